"""The nightly DAG run for real in Airflow (`airflow dags test`, SQLite metadata DB) against the
sandbox, as `make demo` runs it."""

from __future__ import annotations

import subprocess
from datetime import date

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.demo import AIRFLOW, DAG_ID, airflow_environment, demo_logical_date
from pipeline.paths import DataPaths
from pipeline.windows import partition_date_for
from sandbox.media_plan import write_media_plan

pytestmark = pytest.mark.e2e


def test_nightly_dag_publishes_the_marts(tmp_path, make_sandbox, monkeypatch):
    config = load_config()
    paths = DataPaths(tmp_path / "data")
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(paths.root))
    server = make_sandbox()
    logical_date = demo_logical_date(config, today=date(2026, 11, 21))
    partition_date = partition_date_for(logical_date, config.organisation.tz)
    write_media_plan(paths.inbox / config.sources.traditional_media.inbox, partition_date)

    env = airflow_environment(server.url, config, airflow_home=tmp_path / "airflow")
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)
    run = subprocess.run(
        [AIRFLOW, "dags", "test", DAG_ID, logical_date.isoformat()], env=env, capture_output=True, text=True
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-5000:]
    for task_id in ("extract_facebook_page", "landing_gate", "build_warehouse", "mart_gate", "publish"):
        assert f"task_id={task_id}" in log

    with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
        channels = dict(
            connection.execute(
                "select channel, sum(total_investment) / nullif(sum(engagements), 0) "
                "from mart_cost_per_engagement where period_type = 'month' group by channel"
            ).fetchall()
        )
    assert set(channels) == {"facebook", "tv", "radio", "print", "ooh", "direct_mail"}
    assert channels["facebook"] is not None and channels["facebook"] > 0
    assert paths.data_docs_index.exists()
    assert (paths.dbt_target / "static_index.html").exists()
    # One page of insights calls per metric group, posts and snapshot batches: nothing wasted.
    assert server.total_calls == 24
