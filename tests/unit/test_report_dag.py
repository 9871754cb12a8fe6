"""The report DAG's wiring: it runs on the report schedules in the organisation's timezone or after
the warehouse is published, one run at a time, plans then builds and delivers each due report, and
takes the resend params."""

from __future__ import annotations

import pytest
from airflow.sdk import AssetOrTimeSchedule

from pipeline.config import load_config
from pipeline.paths import PROJECT_ROOT, data_paths


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "report_exports.py"))
    assert bag.import_errors == {}
    return bag.dags["report_exports"]


def test_runs_on_the_report_schedules_or_after_the_warehouse_is_published(dag):
    config = load_config()
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    assert dag.catchup is False and dag.max_active_runs == 1
    assets = dag.timetable.asset_condition.objects
    assert [(asset.name, asset.uri) for asset in assets] == [
        ("marketing_warehouse", data_paths().published_warehouse.as_uri())
    ]
    crons = {(cron.expression, str(cron.timezone)) for cron in dag.timetable.timetable.timetables}
    assert crons == {(report.schedule, "America/Chicago") for report in config.reports}


def test_plans_then_builds_and_delivers_each_due_report(dag):
    assert dag.get_task("build").upstream_task_ids == {"plan"}
    assert dag.get_task("deliver").upstream_task_ids == {"build"}
    for task_id in ("plan", "build", "deliver"):
        assert dag.get_task(task_id).retries >= 2
    assert {"build", "deliver"} <= {task.task_id for task in dag.tasks if task.is_mapped}


def test_resend_params(dag):
    params = dag.params.dump()
    assert params == {"resend": False, "report": "", "period_start": ""}
    assert "resend" in dag.doc_md and "period_start" in dag.doc_md


def test_without_reports_the_dag_only_follows_the_warehouse():
    from airflow.sdk import Asset

    from reports.schedule import report_schedule

    warehouse = Asset(name="marketing_warehouse", uri="file:///w.duckdb")
    assert report_schedule(load_config().model_copy(update={"reports": []}), warehouse) == [warehouse]
