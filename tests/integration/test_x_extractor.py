"""The X extractor against the X sandbox over real HTTP.

Expected values come from the sandbox world's ground truth, never from the responses themselves."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files
from core.settings import HttpSettings, Windows
from extractors.http import (
    ApiEndpoint,
    InvalidParameterError,
    PermissionDeniedError,
    QuotaExceededError,
    ResponseError,
    ThrottledError,
    TokenExpiredError,
)
from nightly.extract import extract
from sandbox.x import DEFAULT_TOKEN, TIMELINE_REACH, USER_ID, XSandbox, XWorld, minimum_calls
from sources.config import load_config
from sources.x import PLATFORM, POST_METRICS, SOURCE, SPEC, TOKEN_KIND, X, XClient, post_snapshots

pytestmark = pytest.mark.integration

CONFIG = load_config()  # the demo's configuration: its account and windows
SOURCE_CFG = CONFIG.sources.x
ACCOUNT = SOURCE_CFG.accounts[0]
TZ = CONFIG.organisation.tz
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PARTITION = date(2026, 11, 19)  # the last complete day (America/Chicago) at the sandbox's clock
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=10, usage_slowdown_seconds=0)
ENTITIES = ("users", "posts", "post_snapshots")
LINEAGE = {f.name for f in LINEAGE_FIELDS}


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., XSandbox]]:
    started: list[XSandbox] = []

    def make(**kwargs) -> XSandbox:
        kwargs.setdefault("now", NOW)
        server = XSandbox(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(make_sandbox) -> XSandbox:
    return make_sandbox()


def endpoint(server: XSandbox, token: str = DEFAULT_TOKEN) -> ApiEndpoint:
    return ApiEndpoint(server.url, token, "2", ACCOUNT.connection_id, PLATFORM, TOKEN_KIND)


def run(
    server: XSandbox,
    day: date = PARTITION,
    source: X = SOURCE_CFG,
    windows: Windows = CONFIG.windows,
    http: HttpSettings = FAST,
    token: str = DEFAULT_TOKEN,
    sleep=lambda seconds: None,
) -> dict[str, int]:
    """One nightly extraction of the account, as the DAG runs it."""
    ctx = RunContext.now(day, f"test-{day}")
    return extract(SPEC, ACCOUNT, endpoint(server, token), source, windows, http, ctx, TZ, sleep=sleep)


def landed(entity: str, day: date = PARTITION) -> list[dict]:
    """The landed rows of one partition, lineage columns left out, in a stable order."""
    rows = []
    for path in partition_files(SOURCE, entity, day):
        rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def snapshot_values(day: date = PARTITION) -> dict[tuple[str, str], int | None]:
    return {(r["post_id"], r["metric"]): r["value"] for r in landed("post_snapshots", day)}


def expected_snapshots(server: XSandbox, posts) -> dict[tuple[str, str], int]:
    return {
        (p.id, metric): value for p in posts for metric, value in server.world.post_metrics(p, server.now()).items()
    }


def days_back(n: int, day: date = PARTITION) -> date:
    return day - timedelta(days=n)


# -- what lands -----------------------------------------------------------------------------------


def test_a_first_run_backfills_and_lands_the_worlds_ground_truth(sandbox, data_dir):
    counts = run(sandbox)

    world, windows = sandbox.world, CONFIG.windows
    posts = world.posts(USER_ID, days_back(windows.backfill_days - 1), PARTITION, NOW)
    assert landed("users") == [{"user_id": USER_ID, "as_of_date": PARTITION, **world.user_metrics(USER_ID, NOW)}]
    assert landed("posts") == sorted(
        ({"user_id": USER_ID, "post_id": p.id, "created_time": p.created_time, "text": p.text} for p in posts),
        key=lambda r: tuple(str(v) for v in r.values()),
    )
    # Every post of the backfill gets a snapshot, not only the young ones: the timeline carries them.
    assert snapshot_values() == expected_snapshots(sandbox, posts)
    assert {r["as_of_date"] for r in landed("post_snapshots")} == {PARTITION}
    assert {r["created_time"] for r in landed("post_snapshots")} == {p.created_time for p in posts}
    assert counts == {"users": 1, "posts": len(posts), "post_snapshots": len(posts) * len(POST_METRICS)}
    assert any("utm_campaign=" in r["text"] for r in landed("posts"))


def test_a_clean_first_run_makes_the_fewest_calls_the_paging_allows(sandbox, data_dir):
    run(sandbox)

    start = days_back(CONFIG.windows.backfill_days - 1)
    expected = minimum_calls(sandbox.world, NOW, SOURCE_CFG, PARTITION, start, CONFIG.windows.post_snapshot_days)
    assert sandbox.calls == Counter(expected)
    assert expected == {"users": 1, "user_tweets": 2, "tweets_lookup": 0}


def test_paging_follows_next_token_to_the_end_and_lands_each_post_once(make_sandbox, data_dir):
    server = make_sandbox(world=XWorld(scale=3))
    source = SOURCE_CFG.model_copy(update={"page_size": 20})
    run(server, source=source)

    expected = server.world.posts(USER_ID, days_back(89), PARTITION, NOW)
    post_ids = [r["post_id"] for r in landed("posts")]
    assert sorted(post_ids) == sorted(p.id for p in expected)
    assert len(set(post_ids)) == len(post_ids) > 300
    assert server.calls["user_tweets"] == math.ceil(len(expected) / 20)


def test_a_later_night_reads_the_lookback_window_and_refreshes_young_posts_by_id(sandbox, data_dir):
    run(sandbox, day=days_back(1))
    first_calls = sandbox.total_calls
    sandbox.reset_calls()

    counts = run(sandbox)

    world, windows = sandbox.world, CONFIG.windows
    lookback = world.posts(USER_ID, days_back(windows.lookback_days - 1), PARTITION, NOW)
    young = world.posts(USER_ID, days_back(windows.post_snapshot_days - 1), PARTITION, NOW)
    assert {r["post_id"] for r in landed("posts")} == {p.id for p in lookback}
    assert snapshot_values() == expected_snapshots(sandbox, young)
    assert counts == {"users": 1, "posts": len(lookback), "post_snapshots": len(young) * len(POST_METRICS)}
    expected = minimum_calls(
        world, NOW, SOURCE_CFG, PARTITION, days_back(windows.lookback_days - 1), windows.post_snapshot_days
    )
    assert sandbox.calls == Counter(expected) == {"users": 1, "user_tweets": 1, "tweets_lookup": 1}
    assert sandbox.total_calls <= first_calls


def test_250_recent_posts_are_refreshed_in_3_calls(make_sandbox, data_dir):
    server = make_sandbox(world=XWorld(scale=3))
    windows = Windows(backfill_days=90, lookback_days=3, post_snapshot_days=49)
    refreshed = server.world.posts(USER_ID, days_back(48), days_back(3), NOW)
    assert len(refreshed) > 250
    for post in refreshed[: len(refreshed) - 250]:  # leaves exactly 250
        server.world.delete_post(post.id, NOW - timedelta(days=30))
    run(server, day=days_back(1), windows=windows)
    server.reset_calls()

    run(server, windows=windows)

    assert len(server.world.posts(USER_ID, days_back(48), days_back(3), NOW)) == 250
    assert server.calls["tweets_lookup"] == 3
    young = server.world.posts(USER_ID, days_back(48), PARTITION, NOW)
    assert snapshot_values() == expected_snapshots(server, young)


def test_a_post_deleted_since_it_was_landed_is_logged_and_skipped(sandbox, data_dir, caplog):
    run(sandbox, day=days_back(1))
    gone = sandbox.world.posts(USER_ID, days_back(10), days_back(10), NOW)[0]
    sandbox.world.delete_post(gone.id, NOW - timedelta(minutes=1))
    sandbox.reset_calls()

    with caplog.at_level(logging.WARNING, logger="sources.x"):
        run(sandbox)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and gone.id in warnings[0] and "Not Found Error" in warnings[0]
    young = sandbox.world.posts(USER_ID, days_back(27), PARTITION, NOW)
    assert gone not in young
    assert snapshot_values() == expected_snapshots(sandbox, young)
    assert sandbox.calls["tweets_lookup"] == 1


def test_missed_nights_are_caught_up_from_the_day_after_the_last_landed_one(sandbox, data_dir):
    run(sandbox, day=days_back(10))
    sandbox.reset_calls()

    run(sandbox)

    caught_up = sandbox.world.posts(USER_ID, days_back(9), PARTITION, NOW)
    assert {r["post_id"] for r in landed("posts")} == {p.id for p in caught_up}
    young = sandbox.world.posts(USER_ID, days_back(27), PARTITION, NOW)
    assert snapshot_values() == expected_snapshots(sandbox, young)
    assert sandbox.calls == Counter(minimum_calls(sandbox.world, NOW, SOURCE_CFG, PARTITION, days_back(9), 28))


def test_rerunning_a_day_replaces_its_partition_with_the_same_records(sandbox, data_dir):
    run(sandbox, day=days_back(1))
    first_counts = run(sandbox)
    first = {entity: landed(entity) for entity in ENTITIES}

    again_counts = run(sandbox)

    assert again_counts == first_counts
    assert {entity: landed(entity) for entity in ENTITIES} == first
    for entity in ENTITIES:
        assert len(partition_files(SOURCE, entity, PARTITION)) == 1


def test_only_the_3200_most_recent_posts_can_be_backfilled(make_sandbox, data_dir, caplog):
    server = make_sandbox(world=XWorld(scale=5))
    windows = Windows(backfill_days=730, lookback_days=3, post_snapshot_days=28)

    with caplog.at_level(logging.WARNING, logger="sources.x"):
        counts = run(server, windows=windows)

    # Nobody posts before 7 a.m., so every post the timeline reaches at the clock's 6 a.m. is in the window.
    assert counts["posts"] == TIMELINE_REACH
    assert len(server.world.posts(USER_ID, days_back(729), PARTITION, NOW)) > counts["posts"]
    assert any("reaches only the 3200 most recent posts" in r.getMessage() for r in caplog.records)


def test_a_metric_the_api_leaves_out_lands_as_null_not_zero():
    post = {"id": "1", "created_at": "2026-11-19T15:05:50.000Z", "public_metrics": {"like_count": 0}}
    rows = {r["metric"]: r["value"] for r in post_snapshots(USER_ID, [post], PARTITION)}
    assert rows == {m: (0 if m == "like_count" else None) for m in POST_METRICS}


# -- rate limits ----------------------------------------------------------------------------------


def test_throttling_is_waited_out_until_the_reset_and_lands_the_same_records(
    make_sandbox, data_dir, tmp_path, monkeypatch
):
    clean = make_sandbox()
    run(clean, day=days_back(1))
    run(clean)
    expected = {entity: landed(entity) for entity in ENTITIES}

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "throttled"))
    throttled = make_sandbox(throttle_every=2, reset_seconds=3)
    waits: list[float] = []
    run(throttled, day=days_back(1), sleep=waits.append)
    run(throttled, sleep=waits.append)

    assert {entity: landed(entity) for entity in ENTITIES} == expected
    assert throttled.calls["throttled"] >= 2
    # Every wait is until the reset (about 3 s ahead), never a quick retry into the same window.
    assert waits and all(1.5 < w <= 3 for w in waits)
    # Each spent window is waited for once before the next call; each 429 once more.
    assert len(waits) >= throttled.calls["throttled"]


def test_a_spent_window_is_waited_for_so_no_call_is_throttled(make_sandbox):
    # One clock for the sandbox's rate-limit windows and the client, moved on by the client's waits.
    clock = [1_800_000_000.5]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    server = make_sandbox(throttle_every=3, reset_seconds=1, wall_clock=lambda: clock[0])
    with XClient(endpoint(server), FAST, sleep=sleep, clock=lambda: clock[0]) as client:
        bodies = [client.get(f"/users/{USER_ID}", {"user.fields": "public_metrics"}) for _ in range(2)]
        client.get(f"/users/{USER_ID}/tweets")  # another endpoint, another window: no wait
        bodies += [client.get(f"/users/{USER_ID}", {"user.fields": "public_metrics"}) for _ in range(2)]

    assert server.calls == {"users": 4, "user_tweets": 1}  # no 429
    assert waits == [0.5]  # after the 2nd call spent the window, until its reset
    assert all(b["data"]["id"] == USER_ID for b in bodies)


def test_a_throttle_wait_is_capped_by_the_settings(make_sandbox):
    server = make_sandbox(throttle_every=1, reset_seconds=600)
    waits: list[float] = []
    settings = FAST.model_copy(update={"max_retries": 2, "max_backoff_seconds": 30})
    with XClient(endpoint(server), settings, sleep=waits.append) as client, pytest.raises(ThrottledError) as failure:
        client.get(f"/users/{USER_ID}")

    assert waits == [30, 30]
    assert f"GET /2/users/{USER_ID}: giving up after 2 retries" in str(failure.value)
    assert "Too Many Requests" in str(failure.value)
    assert server.calls == {"users": 3, "throttled": 3}


# -- errors ---------------------------------------------------------------------------------------


def test_an_expired_token_fails_at_once_with_a_reauthorise_message_and_lands_nothing(sandbox, data_dir):
    with pytest.raises(TokenExpiredError) as failure:
        run(sandbox, token="a-revoked-token")

    message = str(failure.value)
    assert f"X API v2 rejected the token of Airflow connection '{ACCOUNT.connection_id}'" in message
    assert f"Re-authorise connection {ACCOUNT.connection_id}" in message
    assert "app-only Bearer token" in message and "Unauthorized" in message
    assert "a-revoked-token" not in message
    assert failure.value.http_status == 401
    assert sandbox.total_calls == 1  # not retried
    assert not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def test_an_app_outside_a_project_is_refused_with_the_apis_explanation(make_sandbox, data_dir):
    server = make_sandbox(unenrolled_tokens=["unenrolled-app-token"])
    with pytest.raises(PermissionDeniedError) as failure:
        run(server, token="unenrolled-app-token")

    message = str(failure.value)
    assert "Client Forbidden: When authenticating requests to the Twitter API v2 endpoints" in message
    assert "client-not-enrolled" in message and "HTTP 403" in message
    assert server.total_calls == 1
    assert not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def test_the_monthly_post_cap_stops_the_run_without_retrying(make_sandbox, data_dir):
    server = make_sandbox(monthly_post_cap=50)
    with pytest.raises(QuotaExceededError, match="Usage cap exceeded: Monthly product cap"):
        run(server)
    assert server.calls["user_tweets"] == 2
    assert not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def test_an_unknown_account_is_a_clear_configuration_error(sandbox, data_dir):
    unknown = ACCOUNT.model_copy(update={"id": "1500000000000000999"})
    ctx = RunContext.now(PARTITION, "test")
    with pytest.raises(InvalidParameterError, match=r"Could not find user with id: \[1500000000000000999\].*sources.x"):
        extract(SPEC, unknown, endpoint(sandbox), SOURCE_CFG, CONFIG.windows, FAST, ctx, TZ, sleep=lambda s: None)


def test_transient_errors_and_server_errors_are_retried(make_sandbox, data_dir):
    server = make_sandbox(transient_every=2, server_error_every=5)
    waits: list[float] = []
    counts = run(server, sleep=waits.append)

    assert counts["posts"] == len(server.world.posts(USER_ID, days_back(89), PARTITION, NOW))
    assert server.calls["faults"] == len(waits) > 0


def test_a_malformed_body_is_a_clear_error_naming_the_request(make_sandbox):
    server = make_sandbox(malformed_every=1)
    with XClient(endpoint(server), FAST) as client, pytest.raises(ResponseError, match=f"GET /2/users/{USER_ID}"):
        client.get(f"/users/{USER_ID}")


def test_an_invalid_parameter_surfaces_the_apis_message(sandbox):
    with XClient(endpoint(sandbox), FAST) as client, pytest.raises(InvalidParameterError) as failure:
        client.get(f"/users/{USER_ID}/tweets", {"max_results": 500})
    assert "Invalid Request: One or more parameters to your request was invalid." in str(failure.value)
    assert "The `max_results` query parameter value [500] is not between 5 and 100" in str(failure.value)
    assert sandbox.total_calls == 1
