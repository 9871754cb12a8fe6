"""The report DAG run for real in Airflow (`airflow dags test`, SQLite metadata DB) on a copy of the
`roi_env` published warehouse, with a real SMTP server on loopback that refuses the first message:
Airflow retries the failed delivery, each due report goes out once and is recorded once.

The run is planned as of its logical date, never as of the day the test runs: `airflow dags test`
queues its run now (`run_after`), and a plan as of today finds nothing due in the fixed sandbox
day's warehouse."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import UTC, datetime

import pytest
import yaml

from core.paths import PROJECT_ROOT, DataPaths
from reports import tasks
from reports.deliveries import SENT, deliveries
from sandbox.demo import AIRFLOW, airflow_base_environment

pytestmark = pytest.mark.e2e

# Monday 16 Nov 2026, 07:05 in Chicago: the weekly report (9-15 Nov) and the monthly one (October) are due.
RUN_AT = datetime(2026, 11, 16, 13, 5, tzinfo=UTC)


def test_report_dag_retries_a_refused_send_and_delivers_each_report_once(roi_env, tmp_path, mail_server):
    published, _ = roi_env
    paths = DataPaths(tmp_path / "data")
    paths.warehouse_dir.mkdir(parents=True)
    shutil.copy(published.published_warehouse, paths.published_warehouse)
    # The shipped configuration with a one-second retry delay, so the retry happens within the test.
    raw = yaml.safe_load((PROJECT_ROOT / "config" / "pipeline.yml").read_text())
    raw["schedule"].update(retry_delay_seconds=1, max_retry_delay_seconds=2)
    config_file = tmp_path / "pipeline.yml"
    config_file.write_text(yaml.safe_dump(raw, allow_unicode=True))

    mail_server.refuse_next = 1
    env = airflow_base_environment(tmp_path / "airflow")
    env["PIPELINE_DATA_DIR"] = str(paths.root)
    env["PIPELINE_CONFIG"] = str(config_file)
    env["AIRFLOW_CONN_SMTP_DEFAULT"] = mail_server.connection("reports@cedarvalleyhealth.org")
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)
    run = subprocess.run(
        [AIRFLOW, "dags", "test", "report_exports", RUN_AT.isoformat()], env=env, capture_output=True, text=True
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-5000:]

    # The try history in the metadata DB, not log lines: one deliver try was refused and retried.
    assert mail_server.refuse_next == 0, "the SMTP server refused one send"
    assert deliver_tries(tmp_path / "airflow" / "airflow.db") == [(1, "success"), (2, "success")], log[-5000:]
    assert retried_deliver_tries(tmp_path / "airflow" / "airflow.db") == [1], log[-5000:]
    assert "SMTP 451" in log, "the refused send names the server's answer"
    subjects = sorted(message["Subject"] for _, message in mail_server.messages)
    assert subjects == [
        "Monthly marketing ROI, social and traditional: October 2026",
        "Weekly social media performance: 9\u201315 Nov 2026",
    ]
    recorded = deliveries(paths.landing)
    assert sorted((d.report_name, d.period_start.isoformat(), d.status) for d in recorded) == [
        ("monthly_marketing_roi", "2026-10-01", SENT),
        ("weekly_social_performance", "2026-11-09", SENT),
    ]
    for recipients, _ in mail_server.messages:
        for address in recipients:
            assert address not in log, "recipients never appear in the task logs"
    # The next run (the Asset-triggered one after tonight's publish) has nothing left to send.
    assert tasks.plan(RUN_AT, {}, "asset_triggered__next", paths) == []


def deliver_tries(metadata_db) -> list[tuple[int, str]]:
    """(try number, state) of each mapped deliver task instance of the run, in try order."""
    with closing(sqlite3.connect(metadata_db)) as db:
        rows = db.execute(
            "select try_number, state from task_instance where dag_id = 'report_exports' and task_id = 'deliver'"
        ).fetchall()
    return sorted(rows)


def retried_deliver_tries(metadata_db) -> list[int]:
    """The try numbers of the deliver tries Airflow archived when it retried them."""
    with closing(sqlite3.connect(metadata_db)) as db:
        rows = db.execute(
            "select try_number from task_instance_history where dag_id = 'report_exports' and task_id = 'deliver'"
        ).fetchall()
    return sorted(number for (number,) in rows)
