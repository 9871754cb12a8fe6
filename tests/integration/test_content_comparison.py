"""Helpful against promotional posts on a sandbox warehouse: mart_content_comparison recovers the
world's documented effect (sandbox/world.py: helpful posts earn 2.0 times the shares and 2.5 times
the saves per impression of promotional ones) within its interval, and says so in plain words.

The warehouse lands the three platforms whose posts count shares and saves per impression
(Facebook, Instagram, X) over the first run's backfill, so the comparison has some hundred posts
of each intent: one platform alone is too few for the interval to be trusted."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from core.landing import RunContext
from core.paths import data_paths
from core.windows import partition_date_for
from sandbox import registry
from sandbox.demo import content_verdicts
from sandbox.world import SAVE_EFFECT, SHARE_EFFECT, true_ratio
from sources.config import load_config
from tests.conftest import ROI_LOGICAL_DATE, SANDBOX_NOW, _sandbox_token, land_api_sources
from warehouse import build as warehouse

pytestmark = pytest.mark.integration

# Each source and its sandbox: one Graph API sandbox serves Facebook pages and Instagram.
SOURCES = {"facebook_pages": "facebook", "instagram": "facebook", "x": "x"}
COLUMNS = (
    "period_type, period_start, period_end, metric, helpful_posts, promotional_posts, cells, "
    "helpful_rate, promotional_rate, ratio, ratio_low, ratio_high, finding, verdict"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The build warehouse of the organic posts of SOURCES, landed from their sandboxes."""
    root = tmp_path_factory.mktemp("content_comparison") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIPELINE_DATA_DIR", str(root))
        paths, config = data_paths(), load_config()
        ctx = RunContext.now(partition_date_for(ROI_LOGICAL_DATE, config.organisation.tz), "manual__content")
        servers = {sandbox: registry.create(sandbox, now=SANDBOX_NOW).start() for sandbox in set(SOURCES.values())}
        try:
            land_api_sources(
                paths,
                config,
                ctx,
                [(source, servers[sandbox].url, _sandbox_token(sandbox)) for source, sandbox in SOURCES.items()],
            )
        finally:
            for server in servers.values():
                server.stop()
        warehouse.build(paths, config, ctx.partition_date, docs=False)
    return paths.build_warehouse


@pytest.fixture(scope="module")
def comparison(built) -> dict[tuple[str, date, str], dict]:
    """The rows of mart_content_comparison, by (period type, period start, metric)."""
    with duckdb.connect(str(built), read_only=True) as connection:
        cursor = connection.execute(f"select {COLUMNS} from mart_content_comparison")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {(row["period_type"], row["period_start"], row["metric"]): row for row in rows}


def overall(comparison, metric: str) -> dict:
    [row] = [row for (period, _, name), row in comparison.items() if period == "all" and name == metric]
    return row


@pytest.mark.parametrize(("metric", "effect"), [("share_rate", SHARE_EFFECT), ("save_rate", SAVE_EFFECT)])
def test_the_interval_holds_the_worlds_true_ratio_and_the_verdict_is_a_clear_difference(comparison, metric, effect):
    row = overall(comparison, metric)
    truth = true_ratio(effect)
    assert row["ratio_low"] <= truth <= row["ratio_high"], row
    assert row["ratio_low"] > 1 and row["finding"] == "helpful_higher"
    assert row["ratio"] == pytest.approx(row["helpful_rate"] / row["promotional_rate"])
    assert row["helpful_posts"] >= 50 and row["promotional_posts"] >= 40
    words = metric.replace("_", " ")
    assert row["verdict"].startswith(f"Helpful posts earned {row['ratio']:.1f}× the {words} of promotional posts")
    assert f"90% interval {row['ratio_low']:.1f}–{row['ratio_high']:.1f}×" in row["verdict"]


def test_every_month_and_metric_has_a_row_and_a_verdict(comparison):
    months = {start for period, start, _ in comparison if period == "month"}
    assert len(months) >= 3
    assert set(comparison) == {
        (period, start, metric)
        for period, start in [("all", min(months)), *(("month", month) for month in months)]
        for metric in ("share_rate", "save_rate", "engagement_rate")
    }
    for row in comparison.values():
        assert row["verdict"]
        if row["period_type"] == "month":
            assert row["period_end"] == (row["period_start"] + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if row["finding"] == "no_clear_difference":
            assert row["ratio_low"] <= 1 <= row["ratio_high"]
            assert row["verdict"].startswith("No clear difference between helpful and promotional posts")
        if row["finding"] == "too_few_posts":
            assert row["ratio"] is None or min(row["helpful_posts"], row["promotional_posts"]) < 10
            assert row["verdict"].startswith("Too few helpful and promotional posts")
    # All months together compare more posts than any one month.
    share = overall(comparison, "share_rate")
    for (period, _, metric), row in comparison.items():
        if period == "month" and metric == "share_rate" and row["ratio"] is not None:
            assert row["helpful_posts"] + row["promotional_posts"] < share["helpful_posts"] + share["promotional_posts"]


def test_the_demo_prints_the_months_share_and_save_verdicts(built, comparison):
    october = date(2026, 10, 1)
    lines = content_verdicts(built, october).splitlines()
    assert lines == [comparison[("month", october, metric)]["verdict"] for metric in ("share_rate", "save_rate")]
    assert content_verdicts(built, date(2025, 10, 1)) == "No helpful or promotional posts this month."
