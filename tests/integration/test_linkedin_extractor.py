"""The LinkedIn extractor against the LinkedIn sandbox over real HTTP.

Expected values come from the sandbox world's ground truth, never from the responses themselves."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files
from core.settings import ConfigError, HttpSettings, Windows
from extractors.http import (
    ApiEndpoint,
    PermissionDeniedError,
    ResponseError,
    ThrottledError,
    TokenExpiredError,
)
from nightly.extract import extract
from sandbox.linkedin import DEFAULT_TOKEN, LinkedInSandbox, LinkedInWorld, minimum_calls
from sources.config import load_config
from sources.linkedin import SOURCE, SPEC, ApiVersionNotActiveError, LinkedIn, LinkedInClient
from tests.conftest import SANDBOX_NOW

pytestmark = pytest.mark.integration

CONFIG = load_config()  # the demo's configuration: its page, version and windows
SOURCE_CFG = CONFIG.sources.linkedin
ACCOUNT = SOURCE_CFG.accounts[0]
ORG = ACCOUNT.id
TZ = CONFIG.organisation.tz
PARTITION = date(2026, 11, 19)  # the last complete day (America/Chicago) at SANDBOX_NOW
LAG = SOURCE_CFG.statistics_lag_days
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0)
ENTITIES = ("organization_daily", "network_sizes", "posts")
LINEAGE = {f.name for f in LINEAGE_FIELDS}


@pytest.fixture
def make_linkedin() -> Iterator[Callable[..., LinkedInSandbox]]:
    """Start LinkedIn sandboxes (`now` defaults to SANDBOX_NOW); all are stopped at teardown."""
    started: list[LinkedInSandbox] = []

    def make(**kwargs: object) -> LinkedInSandbox:
        kwargs.setdefault("now", SANDBOX_NOW)
        server = LinkedInSandbox(**kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def linkedin(make_linkedin) -> LinkedInSandbox:
    return make_linkedin()


def endpoint(server: LinkedInSandbox, token: str = DEFAULT_TOKEN) -> ApiEndpoint:
    return ApiEndpoint(server.base_url, token, SOURCE_CFG.api_version, ACCOUNT.connection_id)


def run(
    server: LinkedInSandbox,
    day: date = PARTITION,
    source: LinkedIn = SOURCE_CFG,
    windows: Windows = CONFIG.windows,
    http: HttpSettings = FAST,
    token: str = DEFAULT_TOKEN,
    sleep=lambda seconds: None,
) -> dict[str, int]:
    """One nightly extraction of the configured page, run (as the DAG does) after the day ended."""
    ctx = RunContext(day, f"test-{day}", server.now())
    return extract(SPEC, ACCOUNT, endpoint(server, token), source, windows, http, ctx, TZ, sleep=sleep)


def landed(entity: str, day: date = PARTITION) -> list[dict]:
    rows = []
    for path in partition_files(SOURCE, entity, day):
        rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def nothing_landed(data_dir) -> bool:
    return not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def expected_daily(world: LinkedInWorld, stats_days: list[date]) -> list[dict]:
    rows = []
    for day in stats_days:
        values = {**world.share_statistics(ORG, day), **world.follower_gains(ORG, day)}
        rows += [{"organization_id": ORG, "metric": m, "date": day, "value": v} for m, v in values.items()]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def expected_posts(server: LinkedInSandbox, first: date, last: date) -> list[dict]:
    rows = [
        {
            "organization_id": ORG,
            "post_id": post.urn,
            "created_time": post.published_at.replace(microsecond=0),
            "commentary": post.commentary,
        }
        for post in server.world.posts(ORG, first, last, server.now())
    ]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def budget(server: LinkedInSandbox, windows: Windows = CONFIG.windows, has_history: bool = False, day=PARTITION):
    return minimum_calls(server.world, server.now(), SOURCE_CFG, windows, day, has_history)


def test_a_first_run_lands_the_worlds_ground_truth(linkedin, data_dir):
    counts = run(linkedin)

    backfill = CONFIG.windows.backfill_days
    # Statistics are UTC days, final only `statistics_lag_days` after they end.
    stats_days = days(PARTITION - timedelta(days=LAG + backfill - 1), PARTITION - timedelta(days=LAG))
    assert landed("organization_daily") == expected_daily(linkedin.world, stats_days)
    assert landed("network_sizes") == [
        {
            "organization_id": ORG,
            "as_of_date": PARTITION,
            "follower_count": linkedin.world.follower_count(ORG, SANDBOX_NOW),
        }
    ]
    posts = expected_posts(linkedin, PARTITION - timedelta(days=backfill - 1), PARTITION)
    assert landed("posts") == posts
    assert any("utm_campaign=" in p["commentary"] for p in posts)
    assert {p["post_id"].rsplit(":", 1)[0] for p in posts} == {"urn:li:share", "urn:li:ugcPost"}
    assert counts == {"organization_daily": len(stats_days) * 8, "network_sizes": 1, "posts": len(posts)}


def test_a_clean_run_makes_one_call_per_statistics_window_and_the_fewest_post_pages(linkedin, data_dir):
    run(linkedin)

    assert dict(linkedin.calls) == budget(linkedin)
    assert dict(linkedin.calls) == {"share_statistics": 1, "follower_statistics": 1, "network_sizes": 1, "posts": 1}


def test_post_pages_are_read_until_the_first_post_older_than_the_window(make_linkedin, data_dir):
    server = make_linkedin(world=LinkedInWorld(scale=4))  # about 2.7 posts a day: several pages of 100
    run(server)

    backfill = CONFIG.windows.backfill_days
    posts = expected_posts(server, PARTITION - timedelta(days=backfill - 1), PARTITION)
    post_ids = [r["post_id"] for r in landed("posts")]
    assert len(post_ids) == len(set(post_ids)) == len(posts) > 200
    assert landed("posts") == posts
    assert server.calls["posts"] == budget(server)["posts"] >= 3
    # Three years of history behind the window are never paged through.
    assert server.calls["posts"] < math.ceil(len(server.world.listing(ORG, SANDBOX_NOW)) / 100)


def test_paging_runs_to_the_end_when_the_whole_history_is_in_the_window(make_linkedin, data_dir):
    world = LinkedInWorld(scale=8, start=PARTITION - timedelta(days=45))
    server = make_linkedin(world=world)
    run(server)

    listing = world.listing(ORG, SANDBOX_NOW)
    assert len(listing) > 200
    window_end = world.day_start(PARTITION + timedelta(days=1))
    assert {r["post_id"] for r in landed("posts")} == {p.urn for p in listing if p.published_at < window_end}
    assert server.calls["posts"] == math.ceil(len(listing) / 100) == budget(server)["posts"]


def test_throttling_is_backed_off_and_the_run_resumes_with_the_same_records(
    make_linkedin, data_dir, tmp_path, monkeypatch
):
    run(make_linkedin())
    clean = {entity: landed(entity) for entity in ENTITIES}

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "throttled"))
    throttled = make_linkedin(throttle_every=2)
    waits: list[float] = []
    run(throttled, sleep=waits.append)

    assert {entity: landed(entity) for entity in ENTITIES} == clean
    assert throttled.calls["throttled"] == 3
    assert waits == [FAST.backoff_base_seconds] * 3  # each retry got through at once


def test_a_persistent_throttle_backs_off_exponentially_then_gives_up_retryable(make_linkedin):
    server = make_linkedin(throttle_every=1)
    settings = HttpSettings(max_retries=6, backoff_base_seconds=2, max_backoff_seconds=300)
    waits: list[float] = []
    client = LinkedInClient(endpoint(server), settings, SOURCE_CFG.api_version, sleep=waits.append)
    with client, pytest.raises(ThrottledError) as failure:
        client.get(f"/networkSizes/urn%3Ali%3Aorganization%3A{ORG}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})

    assert waits == [2, 4, 8, 16, 32, 64]
    assert failure.value.retryable and failure.value.http_status == 429
    assert "giving up after 6 retries" in str(failure.value)
    assert "TOO_MANY_REQUESTS" in str(failure.value) and "throttle" in str(failure.value)
    assert server.calls["throttled"] == 7


def test_transient_and_server_errors_are_retried(make_linkedin, data_dir):
    server = make_linkedin(transient_every=2, server_error_every=3)
    waits: list[float] = []
    counts = run(server, sleep=waits.append)

    assert counts["organization_daily"] == CONFIG.windows.backfill_days * 8
    assert server.calls["faults"] == len(waits) > 0


@pytest.mark.parametrize("expire", [False, True], ids=["invalid", "expired"])
def test_a_rejected_token_fails_at_once_with_a_reauthorise_message_and_lands_nothing(linkedin, data_dir, expire):
    token = "a-60-day-token"
    if expire:
        linkedin.valid_tokens.add(token)
        linkedin.expire_token(token)
    with pytest.raises(TokenExpiredError) as failure:
        run(linkedin, token=token)

    message = str(failure.value)
    assert f"Airflow connection '{ACCOUNT.connection_id}'" in message
    assert f"Re-authorise connection {ACCOUNT.connection_id}" in message
    assert "60 days" in message
    assert ("EXPIRED_ACCESS_TOKEN/65602" if expire else "INVALID_ACCESS_TOKEN/65600") in message
    assert token not in message
    assert linkedin.total_calls == 1  # not retried
    assert nothing_landed(data_dir)


def test_a_member_who_is_not_a_page_administrator_is_refused_without_retries(make_linkedin, data_dir):
    server = make_linkedin(denied_tokens=["editor-token"])
    with pytest.raises(PermissionDeniedError) as failure:
        run(server, token="editor-token")

    assert failure.value.code == "ACCESS_DENIED" and failure.value.subcode == 100
    assert "ADMINISTRATOR" in str(failure.value) and ACCOUNT.connection_id in str(failure.value)
    assert server.total_calls == 1
    assert nothing_landed(data_dir)


def test_a_sunset_api_version_names_the_config_key_to_bump_and_is_not_retried(linkedin, data_dir):
    source = SOURCE_CFG.model_copy(update={"api_version": "202403"})
    with pytest.raises(ApiVersionNotActiveError) as failure:
        run(linkedin, source=source)

    message = str(failure.value)
    assert "bump linkedin api version in config" in message
    assert "sources.linkedin.api_version" in message
    assert "Requested version 20240301 is not active" in message
    assert isinstance(failure.value, ConfigError)  # the orchestrator does not retry a config error
    assert failure.value.http_status == 426 and failure.value.code == "NONEXISTENT_VERSION"
    assert linkedin.total_calls == 1
    assert nothing_landed(data_dir)


def test_a_malformed_body_is_a_clear_error_naming_the_request(make_linkedin, data_dir):
    server = make_linkedin(malformed_every=1)
    with pytest.raises(ResponseError, match="GET /organizationalEntityShareStatistics"):
        run(server, http=FAST.model_copy(update={"max_retries": 0}))
    assert nothing_landed(data_dir)


def test_a_later_run_rereads_only_the_lookback_window(linkedin, data_dir):
    run(linkedin, day=PARTITION - timedelta(days=1))
    first_calls = linkedin.total_calls
    linkedin.reset_calls()

    counts = run(linkedin)

    lookback = CONFIG.windows.lookback_days
    assert dict(linkedin.calls) == budget(linkedin, has_history=True)
    assert linkedin.total_calls <= first_calls
    stats_days = days(PARTITION - timedelta(days=LAG + lookback - 1), PARTITION - timedelta(days=LAG))
    assert landed("organization_daily") == expected_daily(linkedin.world, stats_days)
    assert landed("posts") == expected_posts(linkedin, PARTITION - timedelta(days=lookback - 1), PARTITION)
    assert counts["organization_daily"] == lookback * 8


def test_rerunning_a_day_replaces_its_partition_with_the_same_records(linkedin, data_dir):
    first_counts = run(linkedin)
    first = {entity: landed(entity) for entity in ENTITIES}

    assert run(linkedin) == first_counts
    assert {entity: landed(entity) for entity in ENTITIES} == first
    for entity in ENTITIES:
        assert len(partition_files(SOURCE, entity, PARTITION)) == 1


def test_a_backfill_beyond_12_months_is_cut_to_what_the_api_keeps(linkedin, data_dir, caplog):
    windows = Windows(backfill_days=400, lookback_days=3, post_snapshot_days=28)
    with caplog.at_level(logging.WARNING, logger="sources.linkedin"):
        run(linkedin, windows=windows)

    earliest = (SANDBOX_NOW - timedelta(days=365)).date() + timedelta(days=1)
    landed_days = sorted({r["date"] for r in landed("organization_daily")})
    assert landed_days == days(earliest, PARTITION - timedelta(days=LAG))
    assert (linkedin.calls["share_statistics"], linkedin.calls["follower_statistics"]) == (1, 1)
    assert any("12 months" in r.getMessage() for r in caplog.records)
    # Posts are not limited: the whole backfill of them lands.
    assert landed("posts") == expected_posts(linkedin, PARTITION - timedelta(days=399), PARTITION)


def test_a_run_long_after_the_partition_still_asks_only_for_final_days_within_12_months(linkedin, data_dir):
    # A rerun of an old partition: windows are anchored on the partition, limits on the call time.
    old = PARTITION - timedelta(days=300)
    ctx = RunContext(old, "rerun", datetime(2026, 11, 20, 11, tzinfo=UTC))
    counts = extract(SPEC, ACCOUNT, endpoint(linkedin), SOURCE_CFG, CONFIG.windows, FAST, ctx, TZ)

    earliest = (ctx.extracted_at - timedelta(days=365)).date() + timedelta(days=1)
    assert sorted({r["date"] for r in landed("organization_daily", old)}) == days(earliest, old - timedelta(days=LAG))
    assert counts["posts"] == len(expected_posts(linkedin, old - timedelta(days=89), old))
