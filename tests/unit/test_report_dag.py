"""The report DAG's wiring: it runs on the report schedules in the organisation's timezone or after
the warehouse is published, one run at a time, plans then builds and delivers each due report, and
takes the resend params."""

from __future__ import annotations

import pytest
from airflow.sdk import AssetOrTimeSchedule

from core.paths import PROJECT_ROOT
from nightly.assets import PUBLISHED_WAREHOUSE_NAME, PUBLISHED_WAREHOUSE_URI
from sources.config import load_config


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
    assert [(asset.name, asset.uri) for asset in assets] == [(PUBLISHED_WAREHOUSE_NAME, PUBLISHED_WAREHOUSE_URI)]
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
    assert params == {"resend": False, "report": None, "period_start": None}
    assert "resend" in dag.doc_md and "period_start" in dag.doc_md


def trigger_form_requires(spec: dict) -> bool:
    """Airflow 3's trigger form (FlexibleForm's isParamRequired) requires a field whose schema has a
    type unless that type is a list including "null"; a required field left at None, or emptied
    (sent as None), keeps the Trigger button disabled."""
    kind = spec["schema"].get("type")
    return bool(kind) and not (isinstance(kind, list) and "null" in kind)


def test_the_trigger_form_accepts_the_defaults(dag):
    from airflow.serialization.serialized_objects import DagSerialization

    # What the API server hands the trigger form: the serialized DAG's params, each dumped.
    served = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag)).params
    specs = {name: served.get_param(name).dump() for name in served}
    assert served.validate() == {"resend": False, "report": None, "period_start": None}
    assert not trigger_form_requires(specs["report"]) and not trigger_form_requires(specs["period_start"])
    for name, spec in specs.items():
        assert not (trigger_form_requires(spec) and spec["value"] is None), f"{name} would block Trigger"


def test_the_defaults_ask_for_every_report_and_its_scheduled_period(dag):
    from reports.tasks import ReportRequest

    scheduled = ReportRequest(resend=False, report=None, period_start=None)
    assert ReportRequest.from_params(dag.params.dump()) == scheduled
    # The CLI's --conf may send empty strings: the same default.
    assert ReportRequest.from_params({"resend": False, "report": "", "period_start": " "}) == scheduled
    assert ReportRequest.from_params(None) == scheduled
    assert ReportRequest.from_params(
        {"resend": True, "report": "monthly_marketing_roi", "period_start": "2026-10-01"}
    ) == ReportRequest(True, "monthly_marketing_roi", "2026-10-01")


def test_without_reports_the_dag_only_follows_the_warehouse():
    from airflow.sdk import Asset

    from reports.schedule import report_schedule

    warehouse = Asset(name=PUBLISHED_WAREHOUSE_NAME, uri=PUBLISHED_WAREHOUSE_URI)
    assert report_schedule(load_config().model_copy(update={"reports": []}), warehouse) == [warehouse]
