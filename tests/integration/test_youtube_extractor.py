"""The YouTube extractor against the YouTube sandbox over real HTTP.

Expected values come from the sandbox world's ground truth, never from the responses themselves."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files
from core.settings import HttpSettings, Windows
from extractors.http import (
    ApiEndpoint,
    ApiError,
    InvalidParameterError,
    PermissionDeniedError,
    QuotaExceededError,
    ResponseError,
    TokenExpiredError,
)
from nightly.extract import extract
from sandbox.world import posts_window as videos_window
from sandbox.youtube import DEFAULT_TOKEN, YouTubeSandbox, YouTubeWorld, minimum_calls
from sources.config import load_config
from sources.youtube import ANALYTICS_LAG_DAYS, SOURCE, SPEC, YouTube, YouTubeClient
from tests.conftest import SANDBOX_NOW

pytestmark = pytest.mark.integration

CONFIG = load_config()  # the demo's configuration: its channel, metrics and windows
SOURCE_CFG = CONFIG.sources.youtube
TZ = CONFIG.organisation.tz
PARTITION = date(2026, 11, 19)  # the last complete day (America/Chicago) at the sandbox clock
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0)
ENTITIES = ("channels", "videos", "video_snapshots", "channel_daily")
LINEAGE = {f.name for f in LINEAGE_FIELDS}
SNAPSHOT_METRICS = ("view_count", "like_count", "comment_count")


@pytest.fixture(scope="module")
def world() -> YouTubeWorld:
    return YouTubeWorld()


@pytest.fixture
def make_youtube(world) -> Iterator[Callable[..., YouTubeSandbox]]:
    """Start YouTube sandboxes (the module's world and the fixed clock unless told otherwise)."""
    started: list[YouTubeSandbox] = []

    def make(**kwargs: object) -> YouTubeSandbox:
        kwargs.setdefault("world", world)
        kwargs.setdefault("now", SANDBOX_NOW)
        server = YouTubeSandbox(**kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def endpoint(server: YouTubeSandbox, account, token: str = DEFAULT_TOKEN) -> ApiEndpoint:
    # Both APIs on the sandbox's one port; in production the two Google hosts.
    return ApiEndpoint(
        server.url, token, "v3", account.connection_id, "YouTube", extra={"analytics_base_url": server.url}
    )


def run(
    server: YouTubeSandbox,
    day: date = PARTITION,
    source: YouTube = SOURCE_CFG,
    windows: Windows = CONFIG.windows,
    token: str = DEFAULT_TOKEN,
    sleep=lambda seconds: None,
) -> dict[str, dict[str, int]]:
    """One nightly extraction of every configured channel, as the DAG runs it."""
    ctx = RunContext.now(day, f"test-{day}")
    return {
        account.id: extract(
            SPEC, account, endpoint(server, account, token), source, windows, FAST, ctx, TZ, sleep=sleep
        )
        for account in source.accounts
    }


def landed(entity: str, day: date = PARTITION) -> list[dict]:
    """The landed rows of one partition (every channel), lineage columns left out, in a stable order."""
    rows = []
    for path in partition_files(SOURCE, entity, day):
        rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def nothing_landed(data_dir) -> bool:
    return not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def test_a_first_run_lands_the_worlds_ground_truth_with_the_fewest_calls(make_youtube, data_dir):
    server = make_youtube()
    counts = run(server)

    world, now = server.world, server.now()
    (account,) = SOURCE_CFG.accounts
    assert landed("channels") == [
        {"channel_id": account.id, "as_of_date": PARTITION} | world.channel_statistics(account.id, now)
    ]

    window = videos_window(CONFIG.windows, False, PARTITION)
    videos = world.videos(account.id, window.start, window.end, now)
    assert landed("videos") == sorted(
        (
            {
                "channel_id": account.id,
                "video_id": v.id,
                "created_time": v.published_at,
                "title": v.title,
                "description": v.description,
            }
            for v in videos
        ),
        key=lambda r: tuple(str(v) for v in r.values()),
    )
    snapshots = {(r["video_id"], r["metric"]): r for r in landed("video_snapshots")}
    assert len(snapshots) == len(videos) * len(SNAPSHOT_METRICS)
    for video in videos:
        truth = world.video_statistics(video, now)
        for metric in SNAPSHOT_METRICS:
            row = snapshots[(video.id, metric)]
            assert (row["value"], row["as_of_date"], row["created_time"]) == (
                truth[metric],
                PARTITION,
                video.published_at,
            )
    assert any(v.comments_disabled for v in videos)  # NULL, not 0, where the API leaves a count out
    assert all(snapshots[(v.id, "comment_count")]["value"] is None for v in videos if v.comments_disabled)

    # The backfill starts 90 days back; the Analytics API cuts the end back to its last complete day.
    last = world.last_analytics_day(now)
    assert PARTITION - last in (timedelta(days=2), timedelta(days=3))
    days = [PARTITION - timedelta(days=CONFIG.windows.backfill_days - 1) + timedelta(days=i) for i in range(90)]
    expected_daily = [
        {"channel_id": account.id, "metric": m, "date": d, "value": world.channel_day(account.id, d)[m]}
        for d in days
        if d <= last
        for m in SOURCE_CFG.analytics_metrics
    ]
    assert landed("channel_daily") == sorted(expected_daily, key=lambda r: tuple(str(v) for v in r.values()))
    assert counts[account.id] == {
        "channels": 1,
        "videos": len(videos),
        "video_snapshots": 3 * len(videos),
        "channel_daily": len(expected_daily),
    }

    assert dict(server.calls) == minimum_calls(world, now, SOURCE_CFG, CONFIG.windows, PARTITION, False)
    assert server.quota_used == server.calls["channels"] + server.calls["playlist_items"] + server.calls["videos"]


def test_120_videos_refresh_in_3_calls_and_every_upload_of_the_window_lands_once(make_youtube, data_dir):
    server = make_youtube(world=YouTubeWorld(scale=5))  # about 120 videos in the 90-day backfill
    run(server)

    window = videos_window(CONFIG.windows, False, PARTITION)
    (account,) = SOURCE_CFG.accounts
    videos = server.world.videos(account.id, window.start, window.end, server.now())
    assert 100 < len(videos) <= 150
    assert server.calls["videos"] == 3
    video_ids = [r["video_id"] for r in landed("videos")]
    assert sorted(video_ids) == sorted(v.id for v in videos)
    # Upload pages stop at the first video older than the window: the channel has years more.
    assert len(server.world.uploads(account.id, server.now())) > 1000
    assert server.calls["playlist_items"] == 3
    assert dict(server.calls) == minimum_calls(server.world, server.now(), SOURCE_CFG, CONFIG.windows, PARTITION, False)
    likes = {r["video_id"]: r["value"] for r in landed("video_snapshots") if r["metric"] == "like_count"}
    hidden = [v.id for v in videos if v.likes_hidden]
    assert hidden and all(likes[i] is None for i in hidden)
    assert all(likes[v.id] is not None for v in videos if not v.likes_hidden)


def test_throttling_and_server_errors_are_waited_out_and_land_the_same_records(
    make_youtube, data_dir, tmp_path, monkeypatch
):
    run(make_youtube())
    clean = {entity: landed(entity) for entity in ENTITIES}

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "faulty"))
    faulty = make_youtube(throttle_every=2, transient_every=5, server_error_every=7)
    waits: list[float] = []
    run(faulty, sleep=waits.append)

    assert {entity: landed(entity) for entity in ENTITIES} == clean
    assert faulty.calls["throttled"] >= 3  # each of 403 rateLimitExceeded, userRateLimitExceeded, 429
    assert faulty.calls["faults"] >= 1
    assert len(waits) == faulty.calls["throttled"] + faulty.calls["faults"]  # one backoff per faulted call


def test_an_expired_token_fails_at_once_with_a_reauthorise_message_and_lands_nothing(make_youtube, data_dir):
    server = make_youtube()
    with pytest.raises(TokenExpiredError) as failure:
        run(server, token="an-expired-token")

    message = str(failure.value)
    connection = SOURCE_CFG.accounts[0].connection_id
    assert f"Airflow connection '{connection}'" in message
    assert f"Re-authorise connection {connection}" in message
    assert "yt-analytics.readonly" in message  # the scopes the new token needs
    assert "an-expired-token" not in message
    assert (failure.value.http_status, failure.value.code) == (401, "authError")
    assert server.total_calls == 1  # not retried
    assert nothing_landed(data_dir)


def test_a_spent_daily_quota_stops_the_source_with_a_rerun_message_and_lands_nothing(make_youtube, data_dir):
    server = make_youtube(quota_units=2)  # the channel and one uploads page, then no more today
    with pytest.raises(QuotaExceededError) as failure:
        run(server)

    message = str(failure.value)
    connection = SOURCE_CFG.accounts[0].connection_id
    assert f"YouTube Data API daily quota exhausted for connection {connection}" in message
    assert "it resets at midnight Pacific time — rerun the task after that" in message
    assert failure.value.code == "quotaExceeded" and not failure.value.retryable
    assert dict(server.calls) == {"channels": 1, "playlist_items": 1, "videos": 1}  # not retried
    assert nothing_landed(data_dir)


def test_an_unknown_analytics_metric_is_dropped_with_a_warning_and_the_others_land(make_youtube, data_dir, caplog):
    server = make_youtube()
    source = SOURCE_CFG.model_copy(update={"analytics_metrics": ["views", "impressions", "likes"]})
    with caplog.at_level(logging.WARNING, logger="sources.youtube"):
        run(server, source=source)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "'impressions'" in w and "sources.youtube.analytics_metrics" in w]) == 1
    assert {r["metric"] for r in landed("channel_daily")} == {"views", "likes"}
    assert server.calls["reports"] == 2


def test_a_channel_the_api_does_not_know_is_a_clear_error(make_youtube, data_dir):
    server = make_youtube()
    account = SOURCE_CFG.accounts[0].model_copy(update={"id": "UCnoSuchChannel0000000001"})
    source = SOURCE_CFG.model_copy(update={"accounts": [account]})
    with pytest.raises(ApiError, match="UCnoSuchChannel0000000001 was not found.*sources.youtube.accounts"):
        run(server, source=source)
    assert nothing_landed(data_dir)


def test_a_later_run_rereads_the_lookback_window_and_the_analytics_lag(make_youtube, data_dir):
    server = make_youtube()
    run(server, day=PARTITION - timedelta(days=1))
    first_calls = dict(server.calls)
    server.reset_calls()

    counts = run(server)

    windows = CONFIG.windows
    assert dict(server.calls) == minimum_calls(server.world, server.now(), SOURCE_CFG, windows, PARTITION, True)
    assert dict(server.calls) == first_calls  # a backfill costs no more calls at this channel's size
    report_start = PARTITION - timedelta(days=windows.lookback_days - 1 + ANALYTICS_LAG_DAYS)
    last = server.world.last_analytics_day(server.now())
    expected_days = {report_start + timedelta(days=i) for i in range((last - report_start).days + 1)}
    assert {r["date"] for r in landed("channel_daily")} == expected_days
    window = videos_window(windows, True, PARTITION)
    (account,) = SOURCE_CFG.accounts
    videos = server.world.videos(account.id, window.start, window.end, server.now())
    assert counts[account.id]["videos"] == len(videos) and counts[account.id]["video_snapshots"] == 3 * len(videos)


def test_rerunning_a_day_replaces_its_partition_with_the_same_records(make_youtube, data_dir):
    server = make_youtube()
    first_counts = run(server)
    first = {entity: landed(entity) for entity in ENTITIES}

    again_counts = run(server)

    assert again_counts == first_counts
    assert {entity: landed(entity) for entity in ENTITIES} == first
    for entity in ENTITIES:
        assert len(partition_files(SOURCE, entity, PARTITION)) == len(SOURCE_CFG.accounts)


def test_a_malformed_body_is_a_clear_error_naming_the_request(make_youtube):
    server = make_youtube(malformed_every=1)
    account = SOURCE_CFG.accounts[0]
    with (
        YouTubeClient(endpoint(server, account), FAST) as client,
        pytest.raises(ResponseError, match="GET /youtube/v3/channels"),
    ):
        client.get("/youtube/v3/channels", {"part": "statistics", "id": account.id})


def test_googles_errors_map_to_their_behaviour_without_retrying_what_cannot_succeed(make_youtube):
    server = make_youtube()
    account = SOURCE_CFG.accounts[0]
    report = {"startDate": "2026-11-01", "endDate": "2026-11-05", "metrics": "views", "dimensions": "day"}
    with YouTubeClient(endpoint(server, account), FAST) as client:
        with pytest.raises(PermissionDeniedError, match=r"Forbidden \(HTTP 403, reason forbidden\)"):
            client.get("/v2/reports", {"ids": "channel==UCsomeoneElsesChannel", **report})
        with pytest.raises(InvalidParameterError, match="reason invalidParameter"):
            client.get("/youtube/v3/playlistItems", {"part": "id", "playlistId": "UUx", "maxResults": 500})
        with pytest.raises(ApiError, match="reason playlistNotFound") as not_found:
            client.get("/youtube/v3/playlistItems", {"part": "id", "playlistId": "UUnoSuchPlaylist"})
    assert not not_found.value.retryable
    assert server.total_calls == 3
