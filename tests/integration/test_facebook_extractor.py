"""The Facebook Pages extractor and the shared Graph HTTP layer against the sandbox over real HTTP.

Expected values come from the sandbox world's ground truth, never from the responses themselves."""

from __future__ import annotations

import json
import logging
import math
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
import requests

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files
from core.paths import PROJECT_ROOT
from core.settings import HttpSettings, Windows
from core.windows import DateWindow
from extractors.http import (
    ApiEndpoint,
    GraphClient,
    GraphInvalidParameterError,
    GraphResponseError,
    GraphThrottledError,
    TokenExpiredError,
)
from nightly.extract import extract
from sandbox.facebook import DEFAULT_TOKEN
from sandbox.facebook import FacebookWorld as SandboxWorld
from sandbox.facebook import minimum_calls as budget_minimum_calls
from sandbox.world import posts_window
from sources.config import load_config
from sources.facebook_pages import SOURCE, SPEC, FacebookPages

pytestmark = pytest.mark.integration

CONFIG = load_config()  # the demo's configuration: its pages, metrics and windows
SOURCE_CFG = CONFIG.sources.facebook_pages
TZ = CONFIG.organisation.tz
PARTITION = date(2026, 11, 19)  # the last complete day (America/Chicago) at the sandbox fixture's clock
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0)
ENTITIES = ("page_insights", "posts", "post_snapshots")
LINEAGE = {f.name for f in LINEAGE_FIELDS}


def endpoint(server, account, token: str = DEFAULT_TOKEN) -> ApiEndpoint:
    return ApiEndpoint(server.url, token, "v24.0", account.connection_id)


def run(
    server,
    day: date = PARTITION,
    source: FacebookPages = SOURCE_CFG,
    windows: Windows = CONFIG.windows,
    http: HttpSettings = FAST,
    token: str = DEFAULT_TOKEN,
    sleep=lambda seconds: None,
) -> dict[str, dict[str, int]]:
    """One nightly extraction of every configured page, as the DAG runs it."""
    ctx = RunContext.now(day, f"test-{day}")
    return {
        account.id: extract(
            SPEC, account, endpoint(server, account, token), source, windows, http, ctx, TZ, sleep=sleep
        )
        for account in source.accounts
    }


def landed(entity: str, day: date = PARTITION) -> list[dict]:
    """The landed rows of one partition (every page), lineage columns left out, in a stable order."""
    rows = []
    for path in partition_files(SOURCE, entity, day):
        rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def post_window(windows: Windows, has_history: bool, day: date = PARTITION) -> DateWindow:
    return posts_window(windows, has_history, day)


def minimum_calls(server, source: FacebookPages, insight_days: int, window: DateWindow) -> dict:
    """The fewest calls the API's paging allows for one run over every configured page."""
    return budget_minimum_calls(server.world, server.now(), source, insight_days, window)


def test_a_first_run_lands_the_worlds_ground_truth(sandbox, data_dir):
    counts = run(sandbox)

    world, now = sandbox.world, sandbox.now()
    window = DateWindow(PARTITION - timedelta(days=CONFIG.windows.backfill_days - 1), PARTITION)
    expected_insights = [
        {"page_id": a.id, "metric": m, "period": "day", "date": d, "value": world.page_insight(a.id, m, d)}
        for a in SOURCE_CFG.accounts
        for m in SOURCE_CFG.page_metrics
        for d in (window.start + timedelta(days=i) for i in range(window.days))
    ]
    assert landed("page_insights") == sorted(expected_insights, key=lambda r: tuple(str(v) for v in r.values()))

    posts = {a.id: world.posts(a.id, window.start, window.end, now) for a in SOURCE_CFG.accounts}
    landed_posts = {r["post_id"]: r for r in landed("posts")}
    assert set(landed_posts) == {p.id for page_posts in posts.values() for p in page_posts}
    snapshots = {(r["post_id"], r["metric"]): r for r in landed("post_snapshots")}
    for post in (p for page_posts in posts.values() for p in page_posts):
        truth = world.post_metrics(post, now)
        row = landed_posts[post.id]
        assert row["created_time"] == post.created_time
        assert row["message"] == post.message
        assert row["permalink_url"] == post.permalink_url
        assert (row["reactions"], row["comments"], row["shares"]) == (
            truth["reactions"],
            truth["comments"],
            truth["shares"],
        )
        for metric in ("reactions", "comments", "shares", *SOURCE_CFG.post_metrics):
            snapshot = snapshots[(post.id, metric)]
            assert (snapshot["value"], snapshot["as_of_date"]) == (truth[metric], PARTITION)
    assert len(snapshots) == len(landed_posts) * (3 + len(SOURCE_CFG.post_metrics))
    assert counts[SOURCE_CFG.accounts[0].id] == {
        "page_insights": window.days * len(SOURCE_CFG.page_metrics),
        "posts": len(posts[SOURCE_CFG.accounts[0].id]),
        "post_snapshots": len(posts[SOURCE_CFG.accounts[0].id]) * (3 + len(SOURCE_CFG.post_metrics)),
    }


def test_a_clean_run_makes_the_fewest_calls_the_paging_allows(sandbox, data_dir):
    run(sandbox)

    windows = CONFIG.windows
    expected = minimum_calls(sandbox, SOURCE_CFG, windows.backfill_days, post_window(windows, False))
    assert dict(sandbox.calls) == expected


def test_a_long_backfill_is_split_into_90_day_insights_calls(sandbox, data_dir):
    windows = Windows(backfill_days=200, lookback_days=3, post_snapshot_days=28)
    run(sandbox, windows=windows)

    expected = minimum_calls(sandbox, SOURCE_CFG, 200, post_window(windows, False))
    assert dict(sandbox.calls) == expected
    groups = math.ceil(len(SOURCE_CFG.page_metrics) / SOURCE_CFG.metrics_per_request)
    assert expected["page_insights"] == 3 * groups * len(SOURCE_CFG.accounts)
    assert {r["date"] for r in landed("page_insights")} == {PARTITION - timedelta(days=i) for i in range(200)}


def test_pagination_lands_every_post_of_the_window_exactly_once(make_sandbox, data_dir):
    server = make_sandbox(world=SandboxWorld(scale=3))  # about 5 posts a day: several pages of 100
    run(server)

    window = post_window(CONFIG.windows, has_history=False)
    expected = [
        p.id for a in SOURCE_CFG.accounts for p in server.world.posts(a.id, window.start, window.end, server.now())
    ]
    post_ids = [r["post_id"] for r in landed("posts")]
    assert sorted(post_ids) == sorted(expected)
    assert len(set(post_ids)) == len(post_ids)
    assert server.calls["published_posts"] == sum(
        math.ceil(len(server.world.posts(a.id, window.start, window.end, server.now())) / 100)
        for a in SOURCE_CFG.accounts
    )
    assert server.calls["published_posts"] >= 3 * len(SOURCE_CFG.accounts)


def test_throttling_is_waited_out_and_lands_the_same_records(make_sandbox, data_dir, tmp_path, monkeypatch):
    run(make_sandbox())
    clean = {entity: landed(entity) for entity in ENTITIES}

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "throttled"))
    throttled = make_sandbox(throttle_every=3)
    waits: list[float] = []
    run(throttled, sleep=waits.append)

    assert {entity: landed(entity) for entity in ENTITIES} == clean
    assert throttled.calls["throttled"] > 5
    # One backoff per throttled call; usage pacing is off in FAST.
    assert len(waits) == throttled.calls["throttled"]


def test_an_expired_token_fails_at_once_with_a_reauthorise_message_and_lands_nothing(sandbox, data_dir):
    with pytest.raises(TokenExpiredError) as failure:
        run(sandbox, token="an-expired-token")

    message = str(failure.value)
    connection = SOURCE_CFG.accounts[0].connection_id
    assert f"Airflow connection '{connection}'" in message
    assert f"Re-authorise connection {connection}" in message
    assert "190/463" in message
    assert "an-expired-token" not in message
    assert failure.value.code == 190
    assert sandbox.total_calls == 1  # not retried
    assert not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def test_an_invalid_metric_is_dropped_with_a_warning_and_the_others_land(sandbox, data_dir, caplog):
    # A backfill of two insights windows: the drop found in the first must not be probed again.
    windows = Windows(backfill_days=120, lookback_days=3, post_snapshot_days=28)
    valid_page_metrics = list(SOURCE_CFG.page_metrics)
    source = SOURCE_CFG.model_copy(
        update={
            "page_metrics": [valid_page_metrics[0], "page_impressions", *valid_page_metrics[1:]],
            "post_metrics": [*SOURCE_CFG.post_metrics, "post_impressions"],
            "accounts": SOURCE_CFG.accounts[:1],
        }
    )
    page_id = source.accounts[0].id

    with caplog.at_level(logging.WARNING, logger="sources.facebook_pages"):
        counts = run(sandbox, source=source, windows=windows)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "'page_impressions'" in w and page_id in w]) == 1
    assert len([w for w in warnings if "'post_impressions'" in w and page_id in w]) == 1
    assert {r["metric"] for r in landed("page_insights")} == set(valid_page_metrics)
    assert {r["metric"] for r in landed("post_snapshots")} == {"reactions", "comments", "shares"} | set(
        SOURCE_CFG.post_metrics
    )
    assert counts[page_id]["page_insights"] == 120 * len(valid_page_metrics)
    # First window: the failing group and its metrics one by one, then the other groups;
    # second window: only the valid metrics, in groups.
    per_call = SOURCE_CFG.metrics_per_request
    first_window = 1 + per_call + (math.ceil((len(valid_page_metrics) + 1) / per_call) - 1)
    second_window = math.ceil(len(valid_page_metrics) / per_call)
    assert sandbox.calls["page_insights"] == first_window + second_window


def test_a_code_100_that_is_not_an_invalid_metric_is_not_swallowed(sandbox, data_dir):
    source = SOURCE_CFG.model_copy(
        update={"accounts": [SOURCE_CFG.accounts[0].model_copy(update={"id": "100200300400999"})]}
    )
    with pytest.raises(GraphInvalidParameterError, match="does not exist") as failure:
        run(sandbox, source=source)
    assert (failure.value.code, failure.value.subcode) == (100, 33)


def test_a_later_run_rereads_only_the_lookback_window(sandbox, data_dir):
    first_day = PARTITION - timedelta(days=1)
    run(sandbox, day=first_day)
    first_calls = sandbox.total_calls
    sandbox.reset_calls()

    counts = run(sandbox)

    windows = CONFIG.windows
    expected = minimum_calls(sandbox, SOURCE_CFG, windows.lookback_days, post_window(windows, True))
    assert dict(sandbox.calls) == expected
    assert sandbox.total_calls < first_calls
    lookback = {PARTITION - timedelta(days=i) for i in range(windows.lookback_days)}
    assert {r["date"] for r in landed("page_insights")} == lookback
    assert all(c["page_insights"] == len(lookback) * len(SOURCE_CFG.page_metrics) for c in counts.values())


def test_rerunning_a_day_replaces_its_partition_with_the_same_records(sandbox, data_dir):
    first_counts = run(sandbox)
    first = {entity: landed(entity) for entity in ENTITIES}

    again_counts = run(sandbox)

    assert again_counts == first_counts
    assert {entity: landed(entity) for entity in ENTITIES} == first
    for entity in ENTITIES:
        assert len(partition_files(SOURCE, entity, PARTITION)) == len(SOURCE_CFG.accounts)


# -- the shared HTTP layer --------------------------------------------------------------------


def client(server, settings: HttpSettings = FAST, sleep=lambda seconds: None) -> GraphClient:
    return GraphClient(ApiEndpoint(server.url, DEFAULT_TOKEN, "v24.0", "facebook_test"), settings, sleep=sleep)


def test_the_token_never_travels_in_a_url_even_when_paging_links_carry_it(make_sandbox):
    server = make_sandbox(world=SandboxWorld(scale=3))
    page_id = SOURCE_CFG.accounts[0].id
    with client(server) as graph:
        since = int((server.now() - timedelta(days=7)).timestamp())
        pages = list(graph.paginate(f"/{page_id}/published_posts", {"since": since, "limit": 10, "fields": "id"}))

    assert len(pages) > 1
    assert DEFAULT_TOKEN in pages[0]["paging"]["next"]  # the sandbox, like the API, puts it there
    assert server.token_in_url_calls == 0


def test_retries_give_up_with_an_error_naming_the_request(make_sandbox):
    server = make_sandbox(throttle_every=1)
    settings = FAST.model_copy(update={"max_retries": 2})
    page_id = SOURCE_CFG.accounts[0].id
    with client(server, settings) as graph, pytest.raises(GraphThrottledError) as failure:
        graph.get(f"/{page_id}", {"fields": "followers_count"})

    assert f"GET /v24.0/{page_id}: giving up after 2 retries" in str(failure.value)
    assert "request limit reached" in str(failure.value)
    assert DEFAULT_TOKEN not in str(failure.value)
    assert server.calls["throttled"] == 3


def test_backoff_honours_the_platforms_regain_estimate(make_sandbox):
    server = make_sandbox(throttle_every=2, regain_minutes=1)
    waits: list[float] = []
    settings = FAST.model_copy(update={"max_backoff_seconds": 300})
    page_id = SOURCE_CFG.accounts[0].id
    with client(server, settings, sleep=waits.append) as graph:
        graph.get(f"/{page_id}", {"fields": "followers_count"})
        body = graph.get(f"/{page_id}", {"fields": "followers_count,fan_count"})

    assert waits == [60.0]
    assert body["followers_count"] == server.world.followers_count(page_id, server.now())
    assert body["fan_count"] == server.world.fan_count(page_id, server.now())


def test_calls_slow_down_when_usage_nears_the_limit(make_sandbox):
    server = make_sandbox(throttle_every=10)  # usage reported: 10%, 20%, ... 90%, then throttled
    waits: list[float] = []
    settings = FAST.model_copy(update={"usage_slowdown_percent": 80, "usage_slowdown_seconds": 0.5})
    with client(server, settings, sleep=waits.append) as graph:
        for _ in range(9):
            graph.get(f"/{SOURCE_CFG.accounts[0].id}", {"fields": "id"})

    assert waits == [0.5]  # before the 9th call, once the 8th reported 80%


def test_transient_errors_and_server_errors_are_retried(make_sandbox):
    server = make_sandbox(transient_every=2, server_error_every=3)
    waits: list[float] = []
    with client(server, sleep=waits.append) as graph:
        bodies = [graph.get(f"/{SOURCE_CFG.accounts[0].id}", {"fields": "id,name"}) for _ in range(4)]

    assert all(b["name"] for b in bodies)
    assert server.calls["faults"] == len(waits) > 0


def test_a_malformed_body_is_a_clear_error_naming_the_request(make_sandbox):
    server = make_sandbox(malformed_every=1)
    page_id = SOURCE_CFG.accounts[0].id
    with client(server) as graph, pytest.raises(GraphResponseError, match=f"GET /v24.0/{page_id}/insights"):
        graph.get(f"/{page_id}/insights", {"metric": "page_media_view"})


def test_the_sandbox_cli_serves_until_terminated(tmp_path):
    url_file = tmp_path / "sandbox.url"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--url-file", str(url_file), "--now", "2026-11-20T12:00:00Z"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # A ceiling for a start that failed, not a timing: a busy machine takes its time to import.
        deadline = time.monotonic() + 180
        while not url_file.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert url_file.exists(), f"the sandbox CLI wrote no URL file (exit code {process.poll()})"
        base_url = json.loads(url_file.read_text())["facebook"]
        response = requests.get(
            f"{base_url}/v24.0/{SOURCE_CFG.accounts[0].id}",
            params={"fields": "followers_count"},
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
            timeout=10,
        )
        assert response.json()["followers_count"] > 0
        assert requests.get(f"{base_url}/__sandbox/calls", timeout=10).json() == {"page_fields": 1}
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr.decode()


def test_the_sandbox_enforces_the_apis_documented_limits(sandbox):
    page_id = SOURCE_CFG.accounts[0].id
    with client(sandbox) as graph:
        with pytest.raises(GraphInvalidParameterError, match="90 days"):
            graph.get(
                f"/{page_id}/insights", {"metric": "page_media_view", "since": "2026-01-01", "until": "2026-06-01"}
            )
        with pytest.raises(GraphInvalidParameterError, match="Too many IDs"):
            graph.get("/", {"ids": ",".join(f"{page_id}_{n}" for n in range(51)), "fields": "id"})
        with pytest.raises(GraphInvalidParameterError, match="valid insights metric"):
            graph.get(f"/{page_id}/insights", {"metric": "page_media_view,page_fans", "period": "day"})
        insights = graph.get(
            f"/{page_id}/insights",
            {"metric": "page_follows", "period": "day", "since": "2026-10-31", "until": "2026-11-03"},
        )
    series = insights["data"][0]
    # As the real API dates them, end_time is the Pacific midnight ending each day (PDT until Nov 1, then PST).
    assert [v["end_time"] for v in series["values"]] == [
        "2026-11-01T07:00:00+0000",
        "2026-11-02T08:00:00+0000",
        "2026-11-03T08:00:00+0000",
    ]
    assert series["id"] == f"{page_id}/insights/page_follows/day"
    assert "next" in insights["paging"]
