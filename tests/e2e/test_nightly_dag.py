"""The nightly DAG run for real in Airflow (`airflow dags test`, SQLite metadata DB) against the
sandboxes, as `make demo` runs it, on a fixed sandbox clock and its day's scheduled run."""

from __future__ import annotations

import subprocess

import duckdb
import pytest

from core.paths import DataPaths
from core.windows import partition_date_for
from nightly import DAG_ID
from nightly.marketing_mix import DAG_ID as MIX_DAG_ID
from sandbox.demo import AIRFLOW, airflow_base_environment, airflow_environment, stage_inboxes
from sources import API_SOURCES, INBOX_SOURCES
from sources.config import load_config

pytestmark = pytest.mark.e2e

SOCIAL = {"facebook", "instagram", "x", "youtube", "linkedin"}
PAID = {"meta_ads"}
TRADITIONAL = {"tv", "radio", "print", "ooh", "direct_mail"}
ADVOCACY = {"employee_advocacy"}


def run_nightly(tmp_path, monkeypatch, sandboxes, logical_date) -> tuple[DataPaths, str]:
    config = load_config()
    paths = DataPaths(tmp_path / "data")
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(paths.root))
    stage_inboxes(config, paths, partition_date_for(logical_date, config.organisation.tz))
    urls = {name: server.base_url for name, server in sandboxes.items()}
    env = airflow_environment(urls, config, airflow_home=tmp_path / "airflow")
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)
    log = dag_test(DAG_ID, logical_date, env)
    extracts = [f"extract_{s.name}" for s in (*API_SOURCES, *INBOX_SOURCES)]
    for task_id in [*extracts, "landing_gate", "build_warehouse", "publish"]:
        assert f"task_id={task_id}" in log
    return paths, log


def dag_test(dag_id: str, logical_date, env: dict[str, str]) -> str:
    """One `airflow dags test` run that must succeed; its log."""
    run = subprocess.run(
        [AIRFLOW, "dags", "test", dag_id, logical_date.isoformat()], env=env, capture_output=True, text=True
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-5000:]
    return log


def mart(paths: DataPaths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


CPE_BY_CHANNEL = (
    "select channel, sum(engagements), sum(total_investment) / nullif(sum(engagements), 0) "
    "from mart_cost_per_engagement where period_type = 'month' group by channel"
)


def test_nightly_dag_publishes_every_platform(tmp_path, monkeypatch, fixed_clock_sandboxes, nightly_logical_date):
    paths, _ = run_nightly(tmp_path, monkeypatch, fixed_clock_sandboxes, nightly_logical_date)

    channels = {channel: (engagements, cpe) for channel, engagements, cpe in mart(paths, CPE_BY_CHANNEL)}
    assert set(channels) == SOCIAL | PAID | TRADITIONAL | ADVOCACY
    for channel in SOCIAL | PAID | ADVOCACY:
        engagements, cpe = channels[channel]
        assert engagements > 0 and cpe is not None and cpe > 0, channel
    # The return: every channel group brings first-party conversions with a value, and ROI is computed.
    roi = mart(
        paths,
        "select channel_group, sum(conversions), sum(conversion_value), sum(total_investment) "
        "from mart_roi group by channel_group",
    )
    assert {group for group, *_ in roi} == {"organic_social", "paid_social", "traditional", "employee_advocacy"}
    for group, conversions, value, investment in roi:
        assert conversions > 0 and value > 0 and investment > 0, group
    freshness = mart(paths, "select source_name, last_status, is_stale from source_freshness")
    assert {(source, status, stale) for source, status, stale in freshness} == {
        (source, "success", False) for source, _, _ in freshness
    }
    assert {row[0] for row in mart(paths, "select distinct platform from mart_social_posts")} == SOCIAL
    assert paths.data_docs_index.exists()
    assert (paths.dbt_target / "static_index.html").exists()

    # The weekly marketing-mix DAG, as the published warehouse's Asset triggers it, adds its marts.
    env = airflow_base_environment(tmp_path / "airflow")
    log = dag_test(MIX_DAG_ID, nightly_logical_date, env)
    assert "task_id=fit" in log and "task_id=publish" in log
    [(weeks, r2, latest)] = mart(paths, "select weeks, r2, is_latest from mart_mmm_diagnostics")
    assert weeks > 104 and r2 > 0.5 and latest
    incremental = mart(
        paths,
        "select channel, attributed_conversions, incremental_conversions from mart_incremental_roi "
        "where period = 'last 52 weeks'",
    )
    assert {"meta_ads", "facebook", "tv"} <= {channel for channel, _, _ in incremental}
    assert mart(paths, "select count(*) from mart_roi") != [(0,)]


def test_an_expired_token_fails_its_platform_and_the_rest_publishes(
    tmp_path, monkeypatch, fixed_clock_sandboxes, nightly_logical_date
):
    x = fixed_clock_sandboxes["x"]
    x.revoke_token(next(iter(x.valid_tokens)))
    paths, log = run_nightly(tmp_path, monkeypatch, fixed_clock_sandboxes, nightly_logical_date)

    assert "Re-authorise connection x_cedar_valley_health" in log
    freshness = {
        source: (status, stale, error)
        for source, _, status, stale, error in mart(
            paths, "select source_name, account_id, last_status, is_stale, last_error from source_freshness"
        )
    }
    status, stale, error = freshness["x"]
    assert (status, stale) == ("failed", True) and "re-authorise" in error.lower()
    assert all(v[:2] == ("success", False) for source, v in freshness.items() if source != "x")
    channels = {channel: engagements for channel, engagements, _ in mart(paths, CPE_BY_CHANNEL)}
    assert channels["x"] == 0
    assert all(channels[channel] > 0 for channel in SOCIAL - {"x"})
