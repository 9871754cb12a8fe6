"""Rerunning a past day: after the night of D+3, the night of D runs again (the README's "fix the
file and rerun the day", an Airflow backfill) and publishes, because the mart gate reconciles the
marts with exactly what the build of D reports on."""

from __future__ import annotations

import shutil
from datetime import timedelta

import duckdb
import pytest

from core.landing import RunContext
from core.paths import DataPaths
from core.windows import partition_date_for
from nightly import tasks
from sandbox import registry
from sandbox.demo import stage_inboxes
from sandbox.facebook import GraphSandbox as SandboxServer
from sources.config import load_config
from tests.conftest import ROI_LOGICAL_DATE, SANDBOX_NOW, _sandbox_token, finish_roi_night, land_api_sources
from warehouse import build as warehouse

pytestmark = pytest.mark.integration

LATER = timedelta(days=3)


def run_later_night(paths: DataPaths, run_id: str) -> None:
    """The whole night of D+3, the sandbox three days further on: every extract of the roi_env
    night, the inboxes, both gates, the build and the publish."""
    config = load_config()
    logical_date = ROI_LOGICAL_DATE + LATER
    now = SANDBOX_NOW + LATER
    ctx = RunContext.now(partition_date_for(logical_date, config.organisation.tz), run_id)
    with (
        SandboxServer(now=now) as graph,
        registry.create("meta_ads", now=now) as ads_sandbox,
        registry.create("ga4", now=now) as ga4_sandbox,
    ):
        land_api_sources(
            paths,
            config,
            ctx,
            [
                ("facebook_pages", graph.url, "sandbox-page-token"),
                ("meta_ads", ads_sandbox.url, _sandbox_token("meta_ads")),
                ("ga4", ga4_sandbox.url, _sandbox_token("ga4")),
            ],
        )
    stage_inboxes(config, paths, ctx.partition_date)
    for inbox in ("traditional_media", "call_tracking"):
        tasks.extract_inbox(inbox, logical_date, run_id)
    tasks.landing_gate(logical_date, run_id, paths)
    warehouse.build(paths, config, ctx.partition_date, docs=False)
    tasks.mart_gate(logical_date, run_id, paths)
    tasks.publish(paths)


def last_reported_day(paths: DataPaths):
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
        return connection.execute("select max(date_day) from int_reporting_calendar").fetchone()[0]


def test_a_past_night_reruns_after_later_nights_and_publishes(roi_env, tmp_path, monkeypatch):
    source_paths, ctx = roi_env
    paths = DataPaths(tmp_path / "data")
    shutil.copytree(source_paths.root, paths.root)
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(paths.root))
    day = ctx.partition_date

    run_later_night(paths, "scheduled__later")
    assert last_reported_day(paths) == day + LATER

    # The rerun of D: the inboxes land again, the gates and the build run for D.
    finish_roi_night(paths, load_config(), day, "backfill__rerun")

    assert last_reported_day(paths) == day
