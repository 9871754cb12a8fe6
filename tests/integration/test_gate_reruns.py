"""Rerunning a past day: after the night of D+3, the night of D runs again (the README's "fix the
file and rerun the day", an Airflow backfill) and publishes, because the mart gate reconciles the
marts with exactly what the build of D reports on."""

from __future__ import annotations

import shutil
from datetime import timedelta
from functools import partial

import duckdb
import pytest

from core.landing import RunContext
from core.paths import DataPaths
from core.windows import partition_date_for
from extractors.http import ApiEndpoint
from nightly import tasks
from nightly.extract import extract
from nightly.extraction_log import logged_extraction
from sandbox import registry
from sandbox.demo import stage_inboxes
from sandbox.facebook import GraphSandbox as SandboxServer
from sources import facebook_pages, ga4, meta_ads
from sources.config import load_config
from tests.conftest import ROI_LOGICAL_DATE, SANDBOX_NOW, _sandbox_token, finish_roi_night
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
    sources = config.sources
    with (
        SandboxServer(now=now) as graph,
        registry.create("meta_ads", now=now) as ads_sandbox,
        registry.create("ga4", now=now) as ga4_sandbox,
    ):
        api = [
            (
                partial(extract, facebook_pages.SPEC),
                "facebook_pages",
                sources.facebook_pages,
                graph.url,
                "sandbox-page-token",
            ),
            (
                partial(extract, meta_ads.SPEC),
                "meta_ads",
                sources.meta_ads,
                ads_sandbox.url,
                _sandbox_token("meta_ads"),
            ),
            (partial(extract, ga4.SPEC), "ga4", sources.ga4, ga4_sandbox.url, _sandbox_token("ga4")),
        ]
        for extract_one, name, settings, url, token in api:
            for account in settings.accounts:
                endpoint = ApiEndpoint(url, token, "v24.0" if name != "ga4" else "", account.connection_id)
                with logged_extraction(name, account.id, ctx, paths.landing) as outcome:
                    outcome.record(
                        extract_one(
                            account,
                            endpoint,
                            settings,
                            config.windows,
                            config.http,
                            ctx,
                            config.organisation.tz,
                            paths.landing,
                        )
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
