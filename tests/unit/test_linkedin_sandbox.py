"""The LinkedIn sandbox: its world, and the API shapes, limits and errors it answers with."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from core.paths import PROJECT_ROOT
from sandbox import registry
from sandbox.linkedin import (
    DEFAULT_TOKEN,
    LinkedInSandbox,
    LinkedInWorld,
    epoch_ms,
    minimum_calls,
    utc_midnight,
)
from sandbox.world import load_campaigns
from sources.config import load_config

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ORG = "90000501"
URN = f"urn:li:organization:{ORG}"
HEADERS = {
    "Authorization": f"Bearer {DEFAULT_TOKEN}",
    "LinkedIn-Version": "202510",
    "X-Restli-Protocol-Version": "2.0.0",
}
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def world() -> LinkedInWorld:
    return LinkedInWorld()


@pytest.fixture
def server(world):
    with LinkedInSandbox(world=world, now=NOW) as started:
        yield started


def get(server: LinkedInSandbox, path: str, params=None, **headers: str) -> requests.Response:
    merged = {**HEADERS, **headers}
    return requests.get(
        f"{server.base_url}{path}", params=params, headers={k: v for k, v in merged.items() if v}, timeout=10
    )


def daily(finder: str, start: date, end: date, **extra: object) -> dict:
    """Dotted (Rest.li 1.0 style) time-interval parameters for UTC days start..end (inclusive)."""
    return {
        "q": "organizationalEntity",
        "organizationalEntity": URN,
        "timeIntervals.timeGranularityType": "DAY",
        "timeIntervals.timeRange.start": epoch_ms(utc_midnight(start)),
        "timeIntervals.timeRange.end": epoch_ms(utc_midnight(end + timedelta(days=1))),
        **extra,
    }


# -- the world ------------------------------------------------------------------------------


def test_the_world_is_deterministic_per_seed():
    first, again, other = LinkedInWorld(seed=1), LinkedInWorld(seed=1), LinkedInWorld(seed=2)
    day = date(2026, 10, 6)
    assert first.share_statistics(ORG, day) == again.share_statistics(ORG, day)
    assert [p.urn for p in first.listing(ORG, NOW)][:20] == [p.urn for p in again.listing(ORG, NOW)][:20]
    assert [p.urn for p in first.listing(ORG, NOW)][:20] != [p.urn for p in other.listing(ORG, NOW)][:20]


def test_post_counts_keep_growing_for_days_after_posting(world):
    post = world.posts(ORG, date(2026, 10, 1), date(2026, 10, 10), NOW)[0]
    seen = [world.post_metrics(post, post.published_at + timedelta(hours=h)) for h in (2, 24, 72, 240, 400)]
    impressions = [s["impressionCount"] for s in seen]
    assert impressions == sorted(impressions) and impressions[0] < impressions[1] < impressions[2] < impressions[3]
    assert seen[-1] == dict(post.final)


def test_a_days_statistics_come_from_the_posts_growing_that_utc_day(world):
    day = date(2026, 10, 7)
    start, end = utc_midnight(day), utc_midnight(day + timedelta(days=1))
    growth = sum(
        world.post_metrics(p, end)["likeCount"] - world.post_metrics(p, start)["likeCount"]
        for p in world.iter_posts(ORG, start - timedelta(days=20), end)
    )
    stats = world.share_statistics(ORG, day)
    assert growth > 0 and stats["likeCount"] >= growth
    assert stats["uniqueImpressionsCount"] < stats["impressionCount"]


def test_posts_are_a_health_systems_with_campaign_tags_on_some(world):
    posts = world.posts(ORG, date(2026, 8, 22), date(2026, 11, 19), NOW)
    assert 40 < len(posts) < 120  # LinkedIn pages post about once a weekday
    campaign_ids = {c.id for c in load_campaigns()}
    tagged = [p for p in posts if p.campaign_id]
    assert 0.3 < len(tagged) / len(posts) < 0.7
    for post in tagged:
        assert f"utm_source=linkedin&utm_medium=social&utm_campaign={post.campaign_id}" in post.commentary
        assert post.campaign_id in campaign_ids
    assert any(p.created_at < p.published_at for p in posts)  # scheduled ahead
    assert any(p.last_modified(NOW) > p.published_at for p in posts)  # edited after publishing


def test_followers_grow_by_the_gains_less_the_unreported_losses(world):
    yesterday = world.follower_count(ORG, NOW)
    today = world.follower_count(ORG, NOW + timedelta(days=1))
    gains = world.follower_gains(ORG, NOW.date())
    assert 0 <= gains["organicFollowerGain"] + gains["paidFollowerGain"] - (today - yesterday) <= 5
    assert yesterday > world.organization(ORG).followers_at_start


# -- the API --------------------------------------------------------------------------------


def test_share_statistics_come_per_utc_day_in_linkedins_shape(server, world):
    reply = get(server, "/organizationalEntityShareStatistics", daily("share", date(2026, 11, 1), date(2026, 11, 2)))

    assert reply.status_code == 200 and reply.headers["x-restli-protocol-version"] == "2.0.0"
    body = reply.json()
    assert body["paging"] == {"start": 0, "count": 2, "links": []}
    first = body["elements"][0]
    assert first["organizationalEntity"] == URN
    assert first["timeRange"] == {"start": 1793491200000, "end": 1793491200000 + DAY_MS}  # 2026-11-01T00:00Z
    stats = first["totalShareStatistics"]
    truth = world.share_statistics(ORG, date(2026, 11, 1))
    assert {k: stats[k] for k in truth} == truth
    engaged = sum(truth[k] for k in ("clickCount", "likeCount", "commentCount", "shareCount"))
    assert stats["engagement"] == pytest.approx(engaged / truth["impressionCount"])


def test_follower_statistics_and_the_restli_2_syntax(server, world):
    start, end = epoch_ms(utc_midnight(date(2026, 11, 5))), epoch_ms(utc_midnight(date(2026, 11, 8)))
    dotted = get(
        server, "/organizationalEntityFollowerStatistics", daily("follower", date(2026, 11, 5), date(2026, 11, 7))
    )
    tuple_syntax = get(
        server,
        "/organizationalEntityFollowerStatistics",
        {
            "q": "organizationalEntity",
            "organizationalEntity": URN,
            "timeIntervals": f"(timeRange:(start:{start},end:{end}),timeGranularityType:DAY)",
        },
    )
    assert dotted.json() == tuple_syntax.json()
    elements = dotted.json()["elements"]
    assert [e["followerGains"] for e in elements] == [
        world.follower_gains(ORG, date(2026, 11, 5) + timedelta(days=i)) for i in range(3)
    ]


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (date(2026, 11, 10), date(2026, 11, 18), "at least 2 days before the current time"),
        (date(2025, 11, 1), date(2026, 1, 31), "within the past 12 months"),
        (date(2026, 11, 10), date(2026, 11, 9), "Start time must be before end time"),
    ],
)
def test_statistics_ranges_the_api_refuses_are_400s(server, start, end, reason):
    reply = get(server, "/organizationalEntityShareStatistics", daily("share", start, end))
    assert reply.status_code == 400
    body = reply.json()
    assert body["status"] == 400 and body["code"] == "PARAM_INVALID"
    assert body["message"].startswith("Invalid timeIntervals parameter [{timeGranularityType=DAY, timeRange={start=")
    assert reason in body["message"]


def test_a_day_range_must_be_whole_utc_days(server):
    params = daily("share", date(2026, 11, 1), date(2026, 11, 3))
    params["timeIntervals.timeRange.start"] += 6 * 3_600_000  # local midnight in Chicago, not UTC
    reply = get(server, "/organizationalEntityShareStatistics", params)
    assert reply.status_code == 400 and "midnight UTC" in reply.json()["message"]


def test_the_statistics_window_limits_follow_the_clock(server):
    last_final = date(2026, 11, 17)  # ends 2026-11-18T00:00Z, two and a half days before NOW
    earliest = (NOW - timedelta(days=365)).date() + timedelta(days=1)
    assert get(server, "/organizationalEntityShareStatistics", daily("s", earliest, last_final)).status_code == 200
    assert (
        get(
            server, "/organizationalEntityShareStatistics", daily("s", last_final, last_final + timedelta(days=1))
        ).status_code
        == 400
    )


def test_network_size_is_the_follower_count(server, world):
    reply = get(server, f"/networkSizes/{URN.replace(':', '%3A')}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})
    assert reply.json() == {"firstDegreeSize": world.follower_count(ORG, NOW)}
    bad = get(server, f"/networkSizes/{URN}", {"edgeType": "CompanyFollowedByMember"})
    assert bad.status_code == 400


def test_posts_are_paged_by_start_and_count_newest_first(server, world):
    listing = world.listing(ORG, NOW)
    params = {"author": URN, "q": "author", "count": 5}
    first = get(server, "/posts", params).json()
    assert [e["id"] for e in first["elements"]] == [p.urn for p in listing[:5]]
    assert first["paging"]["total"] == len(listing)
    assert [link["rel"] for link in first["paging"]["links"]] == ["next"]
    next_href = first["paging"]["links"][0]["href"]
    assert next_href.startswith("/rest/posts?") and parse_qs(urlsplit(next_href).query)["start"] == ["5"]
    modified = [e["lastModifiedAt"] for e in first["elements"]]
    assert modified == sorted(modified, reverse=True)
    post = first["elements"][0]
    assert post["author"] == URN and post["lifecycleState"] == "PUBLISHED"
    assert {"commentary", "createdAt", "publishedAt", "lastModifiedAt", "visibility", "distribution"} <= set(post)

    last = get(server, "/posts", {**params, "start": len(listing) - 2}).json()
    assert [e["id"] for e in last["elements"]] == [p.urn for p in listing[-2:]]
    assert [link["rel"] for link in last["paging"]["links"]] == ["prev"]

    by_creation = get(server, "/posts", {**params, "sortBy": "CREATED", "count": 100}).json()["elements"]
    created = [e["createdAt"] for e in by_creation]
    assert created == sorted(created, reverse=True)


def test_errors_come_in_linkedins_shape(server):
    assert get(server, "/posts", {"author": URN, "q": "author"}, **{"LinkedIn-Version": "202403"}).json() == {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": "Requested version 20240301 is not active",
    }
    missing_version = get(server, "/posts", {"author": URN, "q": "author"}, **{"LinkedIn-Version": ""})
    assert missing_version.status_code == 400 and missing_version.json()["code"] == "VERSION_MISSING"
    no_restli = get(server, "/posts", {"author": URN, "q": "author"}, **{"X-Restli-Protocol-Version": ""})
    assert no_restli.status_code == 400 and "X-Restli-Protocol-Version" in no_restli.json()["message"]
    assert get(server, "/posts", {"author": URN, "q": "author"}, Authorization="Bearer nope").json() == {
        "status": 401,
        "serviceErrorCode": 65600,
        "code": "INVALID_ACCESS_TOKEN",
        "message": "Invalid access token",
    }
    other_org = get(server, "/posts", {"author": "urn:li:organization:1", "q": "author"})
    assert other_org.status_code == 403
    assert other_org.json() == {
        "status": 403,
        "serviceErrorCode": 100,
        "code": "ACCESS_DENIED",
        "message": "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.20251001",
    }
    assert get(server, "/organizationalEntityPageStatistics").status_code == 404
    assert requests.get(f"{server.url}/posts", headers=HEADERS, timeout=10).status_code == 404  # no /rest prefix


def test_a_throttle_is_a_bare_429_and_calls_are_counted_per_endpoint(world):
    with LinkedInSandbox(world=world, now=NOW, throttle_every=2) as server:
        get(server, "/posts", {"author": URN, "q": "author"})
        throttled = get(
            server, "/organizationalEntityShareStatistics", daily("s", date(2026, 11, 1), date(2026, 11, 1))
        )
        counts = requests.get(f"{server.url}/__sandbox/calls", timeout=10).json()

    assert throttled.status_code == 429
    body = throttled.json()
    assert (body["status"], body["code"]) == (429, "TOO_MANY_REQUESTS")
    assert body["message"].startswith("Resource level throttle") and "limit" in body["message"]
    assert "Retry-After" not in throttled.headers
    assert counts == {"posts": 1, "share_statistics": 1, "throttled": 1}


def test_minimum_calls_count_post_pages_up_to_the_first_older_post():
    world = LinkedInWorld(scale=4)
    config = load_config()
    calls = minimum_calls(world, NOW, config.sources.linkedin, config.windows, date(2026, 11, 19), False)
    assert calls == {"share_statistics": 1, "follower_statistics": 1, "network_sizes": 1, "posts": 3}
    later = minimum_calls(world, NOW, config.sources.linkedin, config.windows, date(2026, 11, 19), True)
    assert later["posts"] == 1


def test_the_registry_builds_the_linkedin_sandbox_with_the_options_it_knows():
    assert "linkedin" in registry.platforms()
    server = registry.create("linkedin", 7, 0.5, NOW, throttle_every=5, regain_minutes=3, active_versions=["202601"])
    assert isinstance(server, LinkedInSandbox)
    assert server.world.seed == 7 and server.world.scale == 0.5 and server.now() == NOW
    assert server.throttle_every == 5 and server.active_versions == {"202601"}


def test_the_cli_serves_linkedin_under_the_rest_prefix(tmp_path):
    url_file = tmp_path / "urls.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--platforms",
            "linkedin",
            "--url-file",
            str(url_file),
            "--now",
            NOW.isoformat(),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not url_file.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        # The url file holds what a connection's host is set to: the /rest base.
        base = json.loads(url_file.read_text())["linkedin"]
        assert base.endswith("/rest")
        reply = requests.get(
            f"{base}/networkSizes/{URN}",
            params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
            headers=HEADERS,
            timeout=10,
        )
        assert reply.json()["firstDegreeSize"] > 0
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr.decode()
