"""The Instagram extractor against the Graph sandbox over real HTTP.

Expected values come from the sandbox's Instagram world (ground truth), never from the responses."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files
from core.settings import HttpSettings, Windows
from core.windows import DateWindow
from extractors.http import ApiEndpoint, GraphInvalidParameterError, TokenExpiredError
from nightly.extract import extract
from sandbox.facebook import DEFAULT_TOKEN
from sandbox.instagram import InstagramWorld, minimum_calls
from sources.config import load_config
from sources.instagram import ACCOUNT_INSIGHTS_BACKFILL_DAYS, SOURCE, SPEC, Instagram
from tests.conftest import SANDBOX_NOW

pytestmark = pytest.mark.integration

CONFIG = load_config()  # the demo's configuration: its account, metrics and windows
SOURCE_CFG = CONFIG.sources.instagram
ACCOUNT = SOURCE_CFG.accounts[0]
TZ = CONFIG.organisation.tz
PARTITION = date(2026, 11, 19)  # the last complete day (America/Chicago) at the sandbox fixture's clock
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0)
ENTITIES = ("accounts", "account_insights", "media", "media_snapshots")
LINEAGE = {f.name for f in LINEAGE_FIELDS}


def run(
    server,
    day: date = PARTITION,
    source: Instagram = SOURCE_CFG,
    windows: Windows = CONFIG.windows,
    token: str = DEFAULT_TOKEN,
    sleep=lambda seconds: None,
) -> dict[str, int]:
    """One nightly extraction of the configured account, as the DAG runs it."""
    endpoint = ApiEndpoint(
        server.url, token, "v24.0", ACCOUNT.connection_id, "Instagram Graph API", "Instagram access token"
    )
    ctx = RunContext.now(day, f"test-{day}")
    return extract(SPEC, ACCOUNT, endpoint, source, windows, FAST, ctx, TZ, sleep=sleep)


def landed(entity: str, day: date = PARTITION) -> list[dict]:
    rows = []
    for path in partition_files(SOURCE, entity, day):
        rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def media_window(windows: Windows, has_history: bool, day: date = PARTITION) -> DateWindow:
    days = max(windows.lookback_days if has_history else windows.backfill_days, windows.post_snapshot_days)
    return DateWindow(day - timedelta(days=days - 1), day)


def expected_snapshots(server, window: DateWindow, source: Instagram = SOURCE_CFG, day: date = PARTITION) -> dict:
    """(media_id, metric) -> value tonight, from the world: NULL where the API refuses the media."""
    world, now = server.instagram, server.now()
    media = [*world.media_between(ACCOUNT.id, window, now), *world.live_stories(ACCOUNT.id, now)]
    expected = {}
    for m in media:
        truth = None if world.insights_refusal(m, now) else world.media_metrics(m, now)
        for metric in source.media_metrics[m.media_product_type]:
            expected[(m.id, metric)] = truth[metric] if truth else None
    return expected


def test_a_first_run_lands_the_worlds_ground_truth(sandbox, data_dir):
    counts = run(sandbox)

    world, now = sandbox.instagram, sandbox.now()
    assert landed("accounts") == [
        {"account_id": ACCOUNT.id, "as_of_date": PARTITION, **world.account_fields(ACCOUNT.id, now)}
    ]

    days = [PARTITION - timedelta(days=i) for i in range(ACCOUNT_INSIGHTS_BACKFILL_DAYS)]
    insights = {(r["metric"], r["date"]): r["value"] for r in landed("account_insights")}
    assert insights == {
        (m, d): world.account_insight(ACCOUNT.id, m, d) if world.insights_published(d, now) else None
        for m in SOURCE_CFG.account_metrics
        for d in days
    }
    # The API has not published the last day yet: it answers with empty data, which is not a zero.
    assert all(insights[(m, PARTITION)] is None for m in SOURCE_CFG.account_metrics)
    assert all(insights[(m, PARTITION - timedelta(days=1))] is not None for m in SOURCE_CFG.account_metrics)

    window = media_window(CONFIG.windows, has_history=False)
    feed = world.media_between(ACCOUNT.id, window, now)
    stories = world.live_stories(ACCOUNT.id, now)
    assert stories and any(m.media_product_type == "REELS" for m in feed)
    media = {r["media_id"]: r for r in landed("media")}
    assert set(media) == {m.id for m in [*feed, *stories]}
    for m in [*feed, *stories]:
        row, truth = media[m.id], world.media_metrics(m, now)
        assert (row["created_time"], row["media_type"], row["media_product_type"]) == (
            m.created_time,
            m.media_type,
            m.media_product_type,
        )
        assert (row["caption"], row["permalink"]) == (m.caption, m.permalink)
        if m.is_story:
            assert (row["like_count"], row["comments_count"]) == (None, None)
        else:
            assert (row["like_count"], row["comments_count"]) == (truth["likes"], truth["comments"])
    assert any("utm_campaign=" in (r["caption"] or "") for r in media.values())

    snapshots = landed("media_snapshots")
    assert {(r["media_id"], r["metric"]): r["value"] for r in snapshots} == expected_snapshots(sandbox, window)
    assert {r["as_of_date"] for r in snapshots} == {PARTITION}
    assert counts == {
        "accounts": 1,
        "account_insights": len(days) * len(SOURCE_CFG.account_metrics),
        "media": len(feed) + len(stories),
        "media_snapshots": len(snapshots),
    }


def test_a_clean_first_run_makes_the_fewest_calls_the_api_allows(sandbox, data_dir):
    run(sandbox)

    window = media_window(CONFIG.windows, has_history=False)
    expected = minimum_calls(sandbox.instagram, sandbox.now(), SOURCE_CFG, ACCOUNT_INSIGHTS_BACKFILL_DAYS, window)
    assert dict(sandbox.calls) == expected
    # 30 days x 2 groups of 5 metrics; one insights call per media of the 90 days and per live story.
    assert expected["ig_user_insights"] == 60
    assert expected["ig_media"] == 2


def test_a_later_night_rereads_the_lookback_window_and_fills_the_days_then_published(make_sandbox, data_dir):
    first = make_sandbox()
    run(first)
    later = make_sandbox(now=SANDBOX_NOW + timedelta(days=1))
    next_day = PARTITION + timedelta(days=1)

    counts = run(later, day=next_day)

    windows = CONFIG.windows
    window = media_window(windows, has_history=True, day=next_day)
    assert dict(later.calls) == minimum_calls(later.instagram, later.now(), SOURCE_CFG, windows.lookback_days, window)
    insights = {(r["metric"], r["date"]): r["value"] for r in landed("account_insights", next_day)}
    lookback = {next_day - timedelta(days=i) for i in range(windows.lookback_days)}
    assert {d for _, d in insights} == lookback
    # Yesterday's NULLs are now published values.
    world = later.instagram
    assert all(
        insights[(m, PARTITION)] == world.account_insight(ACCOUNT.id, m, PARTITION) for m in SOURCE_CFG.account_metrics
    )
    assert all(insights[(m, next_day)] is None for m in SOURCE_CFG.account_metrics)
    assert counts["media"] == len(world.media_between(ACCOUNT.id, window, later.now())) + len(
        world.live_stories(ACCOUNT.id, later.now())
    )
    snapshots = {(r["media_id"], r["metric"]): r["value"] for r in landed("media_snapshots", next_day)}
    assert snapshots == expected_snapshots(later, window, day=next_day)


def test_paging_follows_next_until_it_is_absent_and_lands_each_media_once(make_sandbox, data_dir):
    # Three times the media, and a history shorter than the backfill: the edge is read to its end.
    world = InstagramWorld(scale=3, start=PARTITION - timedelta(days=70))
    server = make_sandbox(instagram=world)
    run(server)

    window = media_window(CONFIG.windows, has_history=False)
    feed = world.media_between(ACCOUNT.id, window, server.now())
    assert len(feed) > 2 * 100  # three pages
    media_ids = [r["media_id"] for r in landed("media") if r["media_product_type"] != "STORY"]
    assert sorted(media_ids) == sorted(m.id for m in feed)
    assert len(set(media_ids)) == len(media_ids)
    assert server.calls["ig_media"] == -(-len(list(world.media_listing(ACCOUNT.id, server.now()))) // 100)
    assert dict(server.calls) == minimum_calls(world, server.now(), SOURCE_CFG, ACCOUNT_INSIGHTS_BACKFILL_DAYS, window)


def test_throttling_is_waited_out_and_lands_the_same_records(make_sandbox, data_dir, tmp_path, monkeypatch):
    run(make_sandbox())
    clean = {entity: landed(entity) for entity in ENTITIES}

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "throttled"))
    throttled = make_sandbox(throttle_every=4)
    waits: list[float] = []
    run(throttled, sleep=waits.append)

    assert {entity: landed(entity) for entity in ENTITIES} == clean
    assert throttled.calls["throttled"] > 20
    assert len(waits) == throttled.calls["throttled"]  # one backoff per throttled call


def test_an_expired_token_fails_at_once_with_a_reauthorise_message_and_lands_nothing(sandbox, data_dir):
    with pytest.raises(TokenExpiredError) as failure:
        run(sandbox, token="an-expired-token")

    message = str(failure.value)
    assert f"Instagram Graph API rejected the token of Airflow connection '{ACCOUNT.connection_id}'" in message
    assert f"Re-authorise connection {ACCOUNT.connection_id}" in message
    assert "190/463" in message
    assert "an-expired-token" not in message
    assert sandbox.total_calls == 1  # not retried
    assert not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def test_media_posted_before_the_business_conversion_land_as_null_with_a_warning(make_sandbox, data_dir, caplog):
    world = InstagramWorld()
    world.business_since = world.day_start(PARTITION - timedelta(days=40))
    server = make_sandbox(instagram=world)

    with caplog.at_level(logging.WARNING, logger="sources.instagram"):
        run(server)

    window = media_window(CONFIG.windows, has_history=False)
    old = [m for m in world.media_between(ACCOUNT.id, window, server.now()) if m.created_time < world.business_since]
    assert len(old) > 20
    snapshots = {(r["media_id"], r["metric"]): r["value"] for r in landed("media_snapshots")}
    assert snapshots == expected_snapshots(server, window)
    assert all(snapshots[(m.id, "reach")] is None for m in old)
    assert sum(v is not None for v in snapshots.values()) > 100
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"no insights for {len(old)} media" in warnings[0] and "2108006" in warnings[0]
    # A media the API will not report on costs its one call, like any other.
    minimum = minimum_calls(world, server.now(), SOURCE_CFG, ACCOUNT_INSIGHTS_BACKFILL_DAYS, window)
    assert dict(server.calls) == minimum


def test_media_with_too_few_viewers_land_as_null_and_the_run_goes_on(make_sandbox, data_dir, caplog):
    world = InstagramWorld()
    newest = world.media_between(ACCOUNT.id, DateWindow(PARTITION, PARTITION), SANDBOX_NOW)[-1]
    # A minute after the day's last post: it has reached only a handful of accounts yet.
    server = make_sandbox(instagram=world, now=newest.created_time + timedelta(minutes=1))
    assert world.insights_refusal(newest, server.now()) == "not_enough_viewers"

    with caplog.at_level(logging.WARNING, logger="sources.instagram"):
        run(server)

    snapshots = {(r["media_id"], r["metric"]): r["value"] for r in landed("media_snapshots")}
    window = media_window(CONFIG.windows, has_history=False)
    assert snapshots == expected_snapshots(server, window)
    assert all(snapshots[(newest.id, m)] is None for m in SOURCE_CFG.media_metrics[newest.media_product_type])
    assert any(v is not None for (media_id, _), v in snapshots.items() if media_id != newest.id)
    assert any("Not enough viewers" in r.getMessage() and newest.id in r.getMessage() for r in caplog.records)


def test_refused_metrics_are_dropped_per_product_type_with_a_warning_and_the_others_land(
    make_sandbox, data_dir, caplog
):
    server = make_sandbox(instagram=InstagramWorld(views_refused_for={"REELS"}))
    source = SOURCE_CFG.model_copy(
        update={
            "account_metrics": ["impressions", *SOURCE_CFG.account_metrics, "profile_views_unknown"],
            "media_metrics": {**SOURCE_CFG.media_metrics, "STORY": [*SOURCE_CFG.media_metrics["STORY"], "saved"]},
        }
    )

    with caplog.at_level(logging.WARNING, logger="sources.instagram"):
        run(server, source=source)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for metric, where in (
        ("impressions", "account"),
        ("profile_views_unknown", "account"),
        ("views", "REELS"),
        ("saved", "STORY"),
    ):
        assert len([w for w in warnings if f"{metric!r} ({where})" in w]) == 1, (metric, warnings)
    assert {r["metric"] for r in landed("account_insights")} == set(SOURCE_CFG.account_metrics)
    by_type: dict[str, set[str]] = {}
    types = {r["media_id"]: r["media_product_type"] for r in landed("media")}
    for row in landed("media_snapshots"):
        by_type.setdefault(types[row["media_id"]], set()).add(row["metric"])
    assert by_type["FEED"] == set(SOURCE_CFG.media_metrics["FEED"])
    assert by_type["REELS"] == set(SOURCE_CFG.media_metrics["REELS"]) - {"views"}
    assert by_type["STORY"] == set(SOURCE_CFG.media_metrics["STORY"])
    window = media_window(CONFIG.windows, has_history=False)
    minimum = minimum_calls(server.instagram, server.now(), SOURCE_CFG, ACCOUNT_INSIGHTS_BACKFILL_DAYS, window)
    # Each refusal costs one repeated call, once per run: the first day asks 3 groups (12 metrics) and
    # repeats 2 of them; from then on the 10 valid metrics make 2 groups a day.
    assert server.calls["ig_user_insights"] == minimum["ig_user_insights"] + 1 + 2
    assert server.calls["ig_media_insights"] == minimum["ig_media_insights"] + 2


def test_a_code_100_that_does_not_refuse_a_metric_is_not_swallowed(sandbox, data_dir):
    source = SOURCE_CFG.model_copy(update={"accounts": [ACCOUNT.model_copy(update={"id": "17841400000000999"})]})
    with pytest.raises(GraphInvalidParameterError, match="does not exist") as failure:
        extract(
            SPEC,
            source.accounts[0],
            ApiEndpoint(sandbox.url, DEFAULT_TOKEN, "v24.0", ACCOUNT.connection_id),
            source,
            CONFIG.windows,
            FAST,
            RunContext.now(PARTITION, "test"),
            TZ,
        )
    assert (failure.value.code, failure.value.subcode) == (100, 33)


def test_rerunning_a_day_replaces_its_partition_with_the_same_records(sandbox, data_dir):
    first_counts = run(sandbox)
    first = {entity: landed(entity) for entity in ENTITIES}

    again_counts = run(sandbox)

    assert again_counts == first_counts
    assert {entity: landed(entity) for entity in ENTITIES} == first
    for entity in ENTITIES:
        assert len(partition_files(SOURCE, entity, PARTITION)) == 1
