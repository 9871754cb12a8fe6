"""The X sandbox: its world is deterministic and plausible, and its API answers in X's documented shapes."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from sandbox import registry
from sandbox.world import load_campaigns
from sandbox.x import (
    DEFAULT_TOKEN,
    TIMELINE_REACH,
    USER_ID,
    XSandbox,
    XWorld,
    minimum_calls,
    snowflake_time,
)
from sources.config import load_config

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 19)
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
PROBLEMS = "https://api.twitter.com/2/problems"


@pytest.fixture(scope="module")
def world() -> XWorld:
    return XWorld()


@pytest.fixture
def make_server() -> Iterator:
    started: list[XSandbox] = []

    def make(**kwargs) -> XSandbox:
        kwargs.setdefault("now", NOW)
        server = XSandbox(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def get(server: XSandbox, path: str, token: str | None = DEFAULT_TOKEN, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{server.url}{path}", params=params, headers=headers, timeout=10)


# -- the world ------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_posts_and_another_seed_others(world):
    def fingerprint(w: XWorld):
        return [(p.id, p.created_time, p.text, dict(p.final)) for p in w.posts(USER_ID, DAY - timedelta(7), DAY, NOW)]

    assert fingerprint(XWorld()) == fingerprint(world)
    assert fingerprint(XWorld(seed=7)) != fingerprint(world)


def test_post_ids_are_snowflakes_that_sort_like_creation_times(world):
    posts = world.posts(USER_ID, DAY - timedelta(days=60), DAY, NOW)
    assert len(posts) > 60
    for post in posts:
        assert snowflake_time(post.id).replace(microsecond=0) == post.created_time
        assert world.post(post.id, NOW) is post
    assert [int(p.id) for p in posts] == sorted(int(p.id) for p in posts)
    assert world.post("12345", NOW) is None and snowflake_time("not-an-id") is None


def test_metrics_grow_for_days_and_then_stay(world):
    for post in world.posts(USER_ID, DAY - timedelta(days=40), DAY - timedelta(days=20), NOW):
        ages = [timedelta(hours=h) for h in (1, 6, 24, 72, 7 * 24, 16 * 24, 30 * 24)]
        reads = [world.post_metrics(post, post.created_time + age) for age in ages]
        for metric in reads[0]:
            values = [r[metric] for r in reads]
            assert values == sorted(values), (post.id, metric)
            assert values[-1] == values[-2] == post.final[metric]
        assert reads[2]["impression_count"] < reads[-1]["impression_count"]  # still growing after a day


def test_engagement_is_plausible_for_a_regional_health_system(world):
    posts = world.posts(USER_ID, DAY - timedelta(days=89), DAY, NOW)
    per_day = len(posts) / 90
    mean = {m: sum(p.final[m] for p in posts) / len(posts) for m in posts[0].final}
    assert 1 <= per_day <= 3
    assert 1_000 < mean["impression_count"] < 6_000
    assert 0.003 < mean["like_count"] / mean["impression_count"] < 0.02
    assert mean["like_count"] > mean["retweet_count"] > mean["quote_count"]


def test_some_posts_promote_a_known_campaign_in_their_link(world):
    known = {c.id for c in load_campaigns()}
    posts = world.posts(USER_ID, DAY - timedelta(days=89), DAY, NOW)
    tagged = [p for p in posts if p.campaign_id]
    assert 0.25 < len(tagged) / len(posts) < 0.65
    for post in tagged:
        assert post.campaign_id in known
        assert f"utm_campaign={post.campaign_id}" in post.text
    assert all("utm_campaign" not in p.text for p in posts if not p.campaign_id)


def test_account_metrics_count_the_posts_and_grow_with_followers(world):
    before, after = world.user_metrics(USER_ID, NOW - timedelta(days=30)), world.user_metrics(USER_ID, NOW)
    existing = world.posts(USER_ID, world.start, world.local_day(NOW), NOW)
    assert after["tweet_count"] == world.account(USER_ID).posts_before_start + len(existing)
    assert after["tweet_count"] > before["tweet_count"]
    assert 10_000 < before["followers_count"] < after["followers_count"] < 20_000
    assert after["listed_count"] > 0 and after["following_count"] >= before["following_count"]


def test_a_deleted_post_disappears_from_that_moment_on():
    world = XWorld()
    post = world.posts(USER_ID, DAY, DAY, NOW)[0]
    world.delete_post(post.id, NOW - timedelta(hours=1))
    assert world.post(post.id, NOW) is None
    assert world.post(post.id, NOW - timedelta(hours=2)) is post
    assert post.id not in {p.id for p in world.timeline(USER_ID, NOW)}


# -- the API --------------------------------------------------------------------------------------


def test_the_user_lookup_answers_public_metrics(make_server):
    server = make_server()
    body = get(server, f"/2/users/{USER_ID}", **{"user.fields": "public_metrics"}).json()
    assert body == {
        "data": {
            "id": USER_ID,
            "name": "Cedar Valley Health",
            "username": "CedarValleyHlth",
            "public_metrics": server.world.user_metrics(USER_ID, NOW),
        }
    }
    missing = get(server, "/2/users/42").json()
    assert "data" not in missing
    assert missing["errors"][0]["title"] == "Not Found Error"
    assert missing["errors"][0]["type"] == f"{PROBLEMS}/resource-not-found"


def test_the_timeline_pages_newest_first_until_next_token_is_absent(make_server):
    server = make_server()
    window = {"start_time": "2026-10-01T05:00:00Z", "end_time": "2026-11-20T06:00:00Z"}
    params = {"max_results": "25", "tweet.fields": "created_at,public_metrics", **window}
    pages = []
    while True:
        body = get(server, f"/2/users/{USER_ID}/tweets", **params).json()
        pages.append(body)
        if "next_token" not in body["meta"]:
            break
        params["pagination_token"] = body["meta"]["next_token"]

    posts = [p for page in pages for p in page["data"]]
    expected = server.world.posts(USER_ID, date(2026, 10, 1), DAY, NOW)
    assert [p["id"] for p in posts] == [p.id for p in reversed(expected)]
    assert len(pages) == math.ceil(len(expected) / 25)
    first = pages[0]
    assert first["meta"]["result_count"] == 25
    assert (first["meta"]["newest_id"], first["meta"]["oldest_id"]) == (first["data"][0]["id"], first["data"][-1]["id"])
    truth = expected[-1]
    assert posts[0] == {
        "id": truth.id,
        "text": truth.text,
        "edit_history_tweet_ids": [truth.id],
        "created_at": truth.created_time.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "public_metrics": server.world.post_metrics(truth, NOW),
    }
    assert server.calls["user_tweets"] == len(pages)


def test_start_time_is_inclusive_end_time_exclusive_and_an_empty_window_has_no_data(make_server):
    server = make_server()
    post = server.world.posts(USER_ID, DAY, DAY, NOW)[0]
    at = post.created_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (post.created_time + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [
        p["id"] for p in get(server, f"/2/users/{USER_ID}/tweets", start_time=at, end_time=later).json()["data"]
    ] == [post.id]
    # The day's first post, so nothing of its local day (from 06:00 UTC) precedes it.
    before = get(server, f"/2/users/{USER_ID}/tweets", start_time="2026-11-19T06:00:00Z", end_time=at)
    assert before.json() == {"meta": {"result_count": 0}}
    empty = get(
        server, f"/2/users/{USER_ID}/tweets", start_time="2020-01-01T00:00:00Z", end_time="2020-02-01T00:00:00Z"
    )
    assert empty.json() == {"meta": {"result_count": 0}}
    since = get(server, f"/2/users/{USER_ID}/tweets", since_id=post.id, max_results=100).json()["data"]
    assert all(int(p["id"]) > int(post.id) for p in since) and since


def test_only_the_3200_most_recent_posts_are_reachable(make_server):
    server = make_server(world=XWorld(scale=4))
    params = {"max_results": "100"}
    seen = []
    while True:
        body = get(server, f"/2/users/{USER_ID}/tweets", **params).json()
        seen += [p["id"] for p in body.get("data", [])]
        if "next_token" not in body["meta"]:
            break
        params["pagination_token"] = body["meta"]["next_token"]
    assert len(seen) == len(set(seen)) == TIMELINE_REACH
    oldest = snowflake_time(seen[-1])
    assert len(server.world.posts(USER_ID, server.world.start, server.world.local_day(oldest), NOW)) > 1
    # An old post is still there for a lookup by id, though the timeline no longer reaches it.
    old = server.world.posts(USER_ID, server.world.start, server.world.start + timedelta(days=10), NOW)[0]
    assert get(server, "/2/tweets", ids=old.id).json()["data"][0]["id"] == old.id


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            f"/2/users/{USER_ID}/tweets",
            {"max_results": "1000"},
            "The `max_results` query parameter value [1000] is not between 5 and 100",
        ),
        (f"/2/users/{USER_ID}/tweets", {"maxresults": "10"}, "The query parameter [maxresults] is not one of"),
        (
            "/2/tweets",
            {"ids": ",".join(str(n) for n in range(1, 102))},
            "The number of values in the `ids` query parameter list [101] is not between 1 and 100",
        ),
        ("/2/tweets", {"ids": "1,abc"}, "The `ids` query parameter value [abc] is not valid"),
        ("/2/tweets", {"ids": "1", "tweet.fields": "favorite_count"}, "[favorite_count] is not one of"),
        (f"/2/users/{USER_ID}/tweets", {"start_time": "2026-11-01"}, "must be a valid RFC3339 date-time"),
        (f"/2/users/{USER_ID}/tweets", {"pagination_token": "nope"}, "[nope] is not valid"),
    ],
)
def test_invalid_requests_are_problem_json_400s(make_server, path, params, message):
    reply = get(make_server(), path, **params)
    body = reply.json()
    assert reply.status_code == 400
    assert (body["title"], body["type"]) == ("Invalid Request", f"{PROBLEMS}/invalid-request")
    assert body["detail"] == "One or more parameters to your request was invalid."
    assert message in body["errors"][0]["message"]


def test_a_lookup_returns_deleted_posts_as_partial_errors(make_server):
    server = make_server()
    posts = server.world.posts(USER_ID, DAY - timedelta(days=3), DAY, NOW)
    gone = posts[1]
    server.world.delete_post(gone.id, NOW - timedelta(minutes=5))
    ids = [p.id for p in posts]
    reply = get(server, "/2/tweets", ids=",".join(ids), **{"tweet.fields": "public_metrics,created_at"})
    body = reply.json()
    assert reply.status_code == 200
    assert [p["id"] for p in body["data"]] == [i for i in ids if i != gone.id]
    assert body["errors"] == [
        {
            "value": gone.id,
            "detail": f"Could not find tweet with ids: [{gone.id}].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": gone.id,
            "type": f"{PROBLEMS}/resource-not-found",
        }
    ]
    single = get(server, f"/2/tweets/{posts[0].id}", **{"tweet.fields": "public_metrics"}).json()
    assert single["data"]["public_metrics"] == server.world.post_metrics(posts[0], NOW)


def test_authentication_errors_are_401_and_403_problems(make_server):
    server = make_server(unenrolled_tokens=["token-of-an-app-outside-a-project"])
    unauthorized = get(server, f"/2/users/{USER_ID}", token="revoked")
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    assert get(server, f"/2/users/{USER_ID}", token=None).status_code == 401
    forbidden = get(server, f"/2/users/{USER_ID}", token="token-of-an-app-outside-a-project")
    body = forbidden.json()
    assert forbidden.status_code == 403
    assert (body["title"], body["reason"]) == ("Client Forbidden", "client-not-enrolled")
    assert body["type"] == f"{PROBLEMS}/client-forbidden"
    assert "attached to a Project" in body["detail"]


def test_every_answer_reports_its_endpoints_rate_limit_window(make_server):
    server = make_server()
    replies = [get(server, f"/2/users/{USER_ID}") for _ in range(3)] + [get(server, "/2/tweets", ids="1")]
    remaining = [int(r.headers["x-rate-limit-remaining"]) for r in replies]
    assert remaining == [299, 298, 297, 449]
    assert {r.headers["x-rate-limit-limit"] for r in replies[:3]} == {"300"}
    resets = {int(r.headers["x-rate-limit-reset"]) for r in replies[:3]}
    assert len(resets) == 1 and 0 < resets.pop() - datetime.now(UTC).timestamp() <= 15 * 60
    assert replies[0].headers["x-transaction-id"]


def test_throttling_answers_every_nth_call_to_an_endpoint_with_a_429_until_the_reset():
    clock = [1_800_000_000.25]
    with XSandbox(now=NOW, throttle_every=3, reset_seconds=2, wall_clock=lambda: clock[0]) as server:
        statuses = [get(server, f"/2/users/{USER_ID}").status_code for _ in range(3)]
        after = get(server, f"/2/users/{USER_ID}")  # the window ended with its 429
        assert statuses == [200, 200, 429] and after.status_code == 200
        replies = [get(server, f"/2/users/{USER_ID}") for _ in range(2)]
        assert replies[-1].status_code == 429
        assert replies[-1].json() == {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        assert replies[-1].headers["x-rate-limit-remaining"] == "0"
        assert replies[-1].headers["x-rate-limit-reset"] == str(1_800_000_000 + 2)
        # A client that waits until the reset finds a fresh window.
        get(server, f"/2/users/{USER_ID}")
        assert get(server, f"/2/users/{USER_ID}").headers["x-rate-limit-remaining"] == "0"
        clock[0] += 2
        assert get(server, f"/2/users/{USER_ID}").status_code == 200
        assert server.calls["throttled"] == 2 and server.calls["users"] == 9


def test_a_reset_offset_of_zero_reports_the_reset_as_now(make_server):
    server = make_server(throttle_every=2, reset_seconds=0)
    first, second = get(server, f"/2/users/{USER_ID}"), get(server, f"/2/users/{USER_ID}")
    assert (first.status_code, second.status_code) == (200, 429)
    assert int(second.headers["x-rate-limit-reset"]) <= datetime.now(UTC).timestamp()


def test_the_monthly_post_cap_answers_usage_capped(make_server):
    server = make_server(monthly_post_cap=10)
    assert get(server, f"/2/users/{USER_ID}/tweets", max_results=10).status_code == 200
    capped = get(server, f"/2/users/{USER_ID}/tweets", max_results=10)
    assert capped.status_code == 429
    assert capped.json()["type"] == f"{PROBLEMS}/usage-capped"
    assert get(server, f"/2/users/{USER_ID}").status_code == 200  # account lookups read no posts


def test_injected_faults_and_unknown_paths(make_server):
    server = make_server(transient_every=2, server_error_every=3, malformed_every=5)
    replies = [get(server, f"/2/users/{USER_ID}") for _ in range(5)]
    assert [r.status_code for r in replies] == [200, 503, 502, 503, 200]
    assert replies[1].json()["title"] == "Service Unavailable"
    assert replies[2].headers["Content-Type"] == "text/html"
    with pytest.raises(ValueError):
        replies[4].json()
    assert server.calls == {"users": 5, "faults": 4}
    assert get(make_server(), "/2/spaces").status_code == 404


def test_the_registry_builds_the_x_sandbox_and_ignores_other_platforms_options():
    assert "x" in registry.platforms()
    server = registry.create("x", world_seed=7, scale=2, now=NOW, throttle_every=4, regain_minutes=3)
    assert isinstance(server, XSandbox)
    assert (server.world.seed, server.world.scale, server.throttle_every) == (7, 2, 4)
    assert server.valid_tokens == {DEFAULT_TOKEN}


def test_the_minimum_counts_timeline_pages_and_lookup_batches(world):
    source = load_config().sources.x
    first = minimum_calls(world, NOW, source, DAY, DAY - timedelta(days=89), 28)
    listed = len(world.posts(USER_ID, DAY - timedelta(days=89), DAY, NOW))
    assert first == {"users": 1, "user_tweets": math.ceil(listed / 100), "tweets_lookup": 0}
    later = minimum_calls(world, NOW, source, DAY, DAY - timedelta(days=2), 28)
    young = len(world.posts(USER_ID, DAY - timedelta(days=27), DAY - timedelta(days=3), NOW))
    assert later == {"users": 1, "user_tweets": 1, "tweets_lookup": math.ceil(young / 100)}
    small = source.model_copy(update={"refresh_batch_size": 10})
    assert minimum_calls(world, NOW, small, DAY, DAY - timedelta(days=2), 28)["tweets_lookup"] == math.ceil(young / 10)
