"""The steps after extraction, on a day landed from the sandbox: landing gate, dbt build, mart
gate, publish; and what a reader of the published warehouse sees."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from airflow.sdk.exceptions import AirflowFailException

from core import storage
from core.landing import RunContext, partition_files
from core.paths import data_paths
from core.windows import partition_date_for
from expectations.runner import QualityGateError
from extractors.http import ApiEndpoint
from nightly import tasks
from nightly.extract import extract
from nightly.extraction_log import logged_extraction
from sandbox.facebook import GraphSandbox as SandboxServer
from sandbox.media_plan import write_media_plan
from sources.config import load_config
from sources.facebook_pages import SPEC
from sources.traditional_media import MEDIA_PLAN
from tests.conftest import SANDBOX_NOW
from warehouse import build as warehouse

pytestmark = pytest.mark.integration

# The run of the 21st lands the 20th, the sandbox's "today" at noon UTC.
LOGICAL_DATE = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
TRADITIONAL = {"tv", "radio", "print", "ooh", "direct_mail"}


@pytest.fixture(scope="module")
def pipeline_env(tmp_path_factory):
    """A data folder with one day landed from the sandbox and the media plan; built and published."""
    root = tmp_path_factory.mktemp("pipeline") / "data"
    with pytest.MonkeyPatch.context() as patch, SandboxServer(now=SANDBOX_NOW) as server:
        patch.setenv("PIPELINE_DATA_DIR", str(root))
        paths = data_paths()
        config = load_config()
        ctx = RunContext.now(partition_date_for(LOGICAL_DATE, config.organisation.tz), "manual__test")
        for account in config.sources.facebook_pages.accounts:
            endpoint = ApiEndpoint(server.url, "sandbox-page-token", "v24.0", account.connection_id)
            with logged_extraction("facebook_pages", account.id, ctx, paths.landing) as outcome:
                outcome.record(
                    extract(
                        SPEC,
                        account,
                        endpoint,
                        config.sources.facebook_pages,
                        config.windows,
                        config.http,
                        ctx,
                        config.organisation.tz,
                        paths.landing,
                    )
                )
        inbox = paths.inbox / config.sources.traditional_media.inbox
        write_media_plan(inbox, ctx.partition_date)
        with logged_extraction("traditional_media", "media_plan", ctx, paths.landing) as outcome:
            outcome.record({"placements": MEDIA_PLAN.land(inbox, paths.quarantine, ctx, paths.landing).rows_landed})

        tasks.landing_gate(LOGICAL_DATE, "manual__test", paths)
        warehouse.build(paths, config, ctx.partition_date, docs=False)
        tasks.mart_gate(LOGICAL_DATE, "manual__test", paths)
        tasks.publish(paths)
        yield paths, config, ctx


def query(path, sql):
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_published_marts_hold_every_channel_with_cost_per_engagement(pipeline_env):
    paths, _, ctx = pipeline_env
    rows = query(
        paths.published_warehouse,
        "select channel, channel_group, sum(total_investment), sum(engagements), "
        "sum(total_investment) / nullif(sum(engagements), 0) "
        "from mart_cost_per_engagement where period_type = 'month' group by all",
    )
    by_channel = {
        channel: (group, investment, engagements, cpe) for channel, group, investment, engagements, cpe in rows
    }
    # Platforms that never landed here still carry their staff time, with no engagements.
    assert {"facebook"} | TRADITIONAL <= set(by_channel)
    assert all(by_channel[c][2] == 0 for c in set(by_channel) - {"facebook"} - TRADITIONAL)
    assert by_channel["facebook"][0] == "organic_social"
    assert by_channel["facebook"][2] > 0 and by_channel["facebook"][3] > 0
    assert all(by_channel[channel][0] == "traditional" for channel in TRADITIONAL)
    (last_day,) = query(paths.published_warehouse, "select max(date_day) from fct_channel_daily")[0]
    assert last_day == ctx.partition_date


def test_staging_keeps_every_landed_day(pipeline_env):
    """The landing layout's `date=` folders must not shadow the files' own date columns."""
    paths, _, ctx = pipeline_env
    landed = pa.concat_tables(
        storage.read_table(path)
        for path in partition_files("facebook_pages", "page_insights", ctx.partition_date, paths.landing)
    )
    expected = len({(r["page_id"], r["metric"], r["date"]) for r in landed.to_pylist()})
    staged, days = query(
        paths.published_warehouse,
        "select count(*), count(distinct metric_date) from stg_facebook_pages__page_insights",
    )[0]
    assert staged == expected
    assert days == len({r["date"] for r in landed.to_pylist()}) > 1


def test_freshness_shows_what_landed_and_what_never_ran(pipeline_env):
    paths, _, ctx = pipeline_env
    rows = query(
        paths.published_warehouse, "select source_name, account_id, last_status, is_stale from source_freshness"
    )
    by_source = {(source, account): (status, stale) for source, account, status, stale in rows}
    assert by_source[("facebook_pages", "100200300400501")] == ("success", False)
    assert by_source[("traditional_media", "media_plan")] == ("success", False)
    assert by_source[("x", "1500000000000000501")] == ("never_run", True)


def test_staff_and_media_costs_reconcile_with_their_inputs(pipeline_env):
    paths, _, ctx = pipeline_env
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
        staff_in = connection.execute("select sum(staff_cost) from int_staff_cost__channel_daily").fetchone()[0]
        staff_out, media_out = connection.execute(
            "select sum(staff_cost), sum(media_spend) from fct_channel_daily"
        ).fetchone()
    plan = storage.read_table(partition_files("traditional_media", "placements", ctx.partition_date, paths.landing)[0])
    started = [
        row["spend"]
        for row in plan.to_pylist()
        # Only days up to the run date are facts; spend of later flight days is still a plan.
        if row["end_date"] <= ctx.partition_date
    ]
    assert staff_out == staff_in
    assert media_out >= sum(started)


def test_bad_landing_partition_stops_at_the_gate_and_keeps_the_published_warehouse(pipeline_env, tmp_path):
    paths, _, ctx = pipeline_env
    published_before = paths.published_warehouse.read_bytes()
    target = storage.local_path(
        partition_files("facebook_pages", "page_insights", ctx.partition_date, paths.landing)[0]
    )
    backup = tmp_path / "backup.parquet"
    shutil.copy(target, backup)
    table = storage.read_table(storage.location(target))
    values = table.column("value").to_pylist()
    values[0] = -42
    pq.write_table(
        table.set_column(table.schema.get_field_index("value"), "value", pa.array(values, pa.int64())), target
    )
    try:
        # The task fails without retries (bad data does not heal), carrying the gate's verdict.
        with pytest.raises(AirflowFailException) as caught:
            tasks.landing_gate(LOGICAL_DATE, "manual__test", paths)
        assert isinstance(caught.value.__cause__, QualityGateError)
        message = str(caught.value)
        assert "page_insights" in message and "value" in message and "-42" in message
        assert "not published" in message
        assert paths.published_warehouse.read_bytes() == published_before
        # The partition left the landing zone for the quarantine, with the reason beside it.
        quarantined = storage.local_path(paths.landing_quarantine) / "facebook_pages" / "page_insights"
        quarantined /= f"date={ctx.partition_date}"
        assert not target.exists() and (quarantined / target.name).exists()
        reason = (quarantined / "REASON.txt").read_text()
        assert "expect_column_values_to_be_between on value" in reason and "rerun the day" in reason
    finally:
        # Put the whole partition back (the gate quarantined every page's file of it).
        quarantined = storage.local_path(paths.landing_quarantine) / "facebook_pages" / "page_insights"
        quarantined /= f"date={ctx.partition_date}"
        for path in quarantined.glob("*.parquet"):
            shutil.move(path, target.parent / path.name)
        shutil.copy(backup, target)


def test_a_reader_of_the_old_warehouse_survives_a_publish(pipeline_env):
    paths, config, ctx = pipeline_env
    reader = duckdb.connect(str(paths.published_warehouse), read_only=True)
    try:
        before = reader.execute("select count(*) from fct_channel_daily").fetchone()[0]
        warehouse.build(paths, config, ctx.partition_date, docs=False)
        tasks.publish(paths)
        assert reader.execute("select count(*) from fct_channel_daily").fetchone()[0] == before
    finally:
        reader.close()
    # The rebuild from the same landing zone is identical in shape (idempotent).
    assert query(paths.published_warehouse, "select count(*) from fct_channel_daily")[0][0] == before
    assert not paths.build_warehouse.exists()


def test_every_landed_post_is_classified_and_mostly_as_the_world_meant_it(pipeline_env):
    from sandbox.facebook import FacebookWorld

    paths, _, _ = pipeline_env
    published = paths.warehouse_dir / "marketing.duckdb"
    labelled = query(published, "select post_id, content_intent, label_source, format from int_content_posts")
    landed = query(published, "select post_id from mart_social_posts where platform = 'facebook'")
    assert labelled and {row[0] for row in labelled} == {row[0] for row in landed}
    assert {row[2] for row in labelled} <= {"rule", "model", "none"} and "rule" in {row[2] for row in labelled}
    world = FacebookWorld(start=None)
    truth = {}
    for page in world.pages:
        truth.update(world.true_intents(page, date(2026, 7, 1), date(2026, 11, 20)))
    judged = [(truth[post_id], intent) for post_id, intent, source, _ in labelled if source != "none"]
    assert sum(true == got for true, got in judged) / len(judged) >= 0.8
    rows = query(
        published,
        "select sum(posts), count(distinct content_intent) from mart_content_performance where platform = 'facebook'",
    )
    assert rows[0][0] == len(labelled) and rows[0][1] >= 4
