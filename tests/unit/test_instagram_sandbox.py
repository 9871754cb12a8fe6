"""The Instagram side of the Graph sandbox: a deterministic, plausible world, answered in the
Instagram Graph API's documented shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from core.windows import DateWindow
from sandbox import registry
from sandbox.facebook import DEFAULT_TOKEN
from sandbox.facebook import GraphSandbox as SandboxServer
from sandbox.instagram import (
    ACCOUNT_ID,
    INSIGHTS_LAG,
    MIN_VIEWERS,
    InstagramWorld,
    minimum_calls,
)
from sandbox.world import load_campaigns
from sources.config import load_config

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 19)
SOURCE_CFG = load_config().sources.instagram


@pytest.fixture(scope="module")
def world() -> InstagramWorld:
    return InstagramWorld()


@pytest.fixture
def make_server() -> Iterator:
    started: list[SandboxServer] = []

    def make(**kwargs) -> SandboxServer:
        kwargs.setdefault("now", NOW)
        server = SandboxServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def get(server: SandboxServer, path: str, token: str = DEFAULT_TOKEN, **params) -> requests.Response:
    return requests.get(
        f"{server.url}/v24.0{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def ts(world: InstagramWorld, day: date) -> int:
    return int(world.day_start(day).timestamp())


# -- the world ------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_media_and_another_seed_others(world):
    def fingerprint(w: InstagramWorld):
        return [
            (m.id, m.created_time, m.caption, dict(m.final))
            for m in w.media_between(ACCOUNT_ID, DateWindow(DAY - timedelta(days=6), DAY), NOW)
        ]

    assert fingerprint(world) == fingerprint(InstagramWorld())
    assert fingerprint(world) != fingerprint(InstagramWorld(seed=7))


def test_media_metrics_grow_for_days_and_stories_stop_at_24_hours(world):
    post = world.media_between(ACCOUNT_ID, DateWindow(DAY - timedelta(days=20), DAY - timedelta(days=20)), NOW)[0]
    seen = [world.media_metrics(post, post.created_time + timedelta(hours=h))["reach"] for h in (1, 12, 48, 240, 600)]
    assert seen == sorted(seen) and seen[0] < seen[2] < seen[-1] == post.final["reach"]
    story = next(m for d in range(30) for m in world.media_on(ACCOUNT_ID, DAY - timedelta(days=d)) if m.is_story)
    day_one = world.media_metrics(story, story.created_time + timedelta(hours=24))
    assert day_one == world.media_metrics(story, story.created_time + timedelta(days=5)) == dict(story.final)
    assert world.story_expired(story, story.created_time + timedelta(hours=24))


def test_media_are_plausible_for_a_regional_health_system(world):
    media = world.media_between(ACCOUNT_ID, DateWindow(DAY - timedelta(days=89), DAY), NOW)
    assert 60 <= len(media) <= 200  # about 1.3 feed posts and reels a day
    assert {m.media_product_type for m in media} == {"FEED", "REELS"}
    assert {m.media_type for m in media} == {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}
    for m in media:
        final = m.final
        assert final["total_interactions"] == final["likes"] + final["comments"] + final["shares"] + final["saved"]
        assert 0.01 < final["likes"] / final["reach"] < 0.1
        assert final["views"] >= final["reach"]
    campaign_ids = {c.id for c in load_campaigns()}
    tagged = [m for m in media if m.campaign_id]
    assert 0.3 < len(tagged) / len(media) < 0.8
    assert all(f"utm_campaign={m.campaign_id}" in m.caption and m.campaign_id in campaign_ids for m in tagged)


def test_account_day_totals_come_from_the_days_media_growth(world):
    likes = sum(
        world.media_metrics(m, world.day_end(DAY))["likes"] - world.media_metrics(m, world.day_start(DAY))["likes"]
        for m in world.iter_media(ACCOUNT_ID, world.day_start(DAY) - timedelta(days=20), world.day_end(DAY), NOW, False)
    )
    assert world.account_insight(ACCOUNT_ID, "likes", DAY) == likes
    assert world.account_insight(ACCOUNT_ID, "reach", DAY) <= world.account_insight(ACCOUNT_ID, "views", DAY)
    days = [DAY - timedelta(days=i) for i in range(7)]
    reach = [world.account_insight(ACCOUNT_ID, "reach", d) for d in days]
    assert max(reach) < world.account_total(ACCOUNT_ID, "reach", days) < sum(reach)  # unique people
    assert world.account_total(ACCOUNT_ID, "likes", days) == sum(
        world.account_insight(ACCOUNT_ID, "likes", d) for d in days
    )


# -- the API --------------------------------------------------------------------------------------


def test_the_account_node_answers_its_profile_counts(make_server):
    server = make_server()
    body = get(server, f"/{ACCOUNT_ID}", fields="followers_count,follows_count,media_count").json()

    assert body == {"id": ACCOUNT_ID, **server.instagram.account_fields(ACCOUNT_ID, NOW)}
    assert body["followers_count"] > 10_000 and body["media_count"] > 1_000
    assert dict(server.calls) == {"ig_user": 1}


def test_account_insights_answer_one_total_value_for_the_range(make_server):
    server = make_server()
    world = server.instagram
    since, until = DAY - timedelta(days=7), DAY - timedelta(days=2)
    body = get(
        server,
        f"/{ACCOUNT_ID}/insights",
        metric="reach,likes",
        metric_type="total_value",
        period="day",
        since=ts(world, since),
        until=ts(world, until),
    ).json()

    days = [since + timedelta(days=i) for i in range(5)]
    assert [(s["name"], s["period"], s["total_value"], s["id"]) for s in body["data"]] == [
        ("reach", "day", {"value": world.account_total(ACCOUNT_ID, "reach", days)}, f"{ACCOUNT_ID}/insights/reach/day"),
        ("likes", "day", {"value": world.account_total(ACCOUNT_ID, "likes", days)}, f"{ACCOUNT_ID}/insights/likes/day"),
    ]
    assert {"previous", "next"} <= set(body["paging"])


def test_account_insights_are_empty_until_the_day_is_processed(make_server):
    server = make_server()
    world = server.instagram
    assert not world.insights_published(DAY, NOW) and world.day_end(DAY - timedelta(days=1)) + INSIGHTS_LAG <= NOW

    def data(day: date) -> list:
        params = {
            "metric_type": "total_value",
            "period": "day",
            "since": ts(world, day),
            "until": ts(world, day + timedelta(days=1)),
        }
        return get(server, f"/{ACCOUNT_ID}/insights", metric="views", **params).json()["data"]

    assert data(DAY) == []
    assert data(DAY - timedelta(days=1))[0]["total_value"]["value"] == world.account_insight(
        ACCOUNT_ID, "views", DAY - timedelta(days=1)
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"metric": "reach,bogus", "metric_type": "total_value", "period": "day"},
            "metric[1] must be one of the following values",
        ),
        (
            {"metric": "impressions", "metric_type": "total_value", "period": "day"},
            "the impressions metric is no longer supported",
        ),
        ({"metric": "likes", "period": "day"}, "should be specified with parameter metric_type=total_value"),
        (
            {
                "metric": "likes",
                "metric_type": "total_value",
                "period": "day",
                "since": "2026-09-01",
                "until": "2026-11-01",
            },
            "more than 30 days",
        ),
    ],
)
def test_invalid_account_insights_requests_are_graph_code_100_errors(make_server, params, message):
    response = get(make_server(), f"/{ACCOUNT_ID}/insights", **params)

    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["code"], error["type"]) == (100, "OAuthException") and error["fbtrace_id"]
    assert message in error["message"]


def test_the_media_edge_pages_newest_first_until_next_is_absent(make_server):
    world = InstagramWorld(start=DAY - timedelta(days=100))
    server = make_server(instagram=world)
    fields = "id,timestamp,media_type,media_product_type,permalink,caption,like_count,comments_count"
    pages = [get(server, f"/{ACCOUNT_ID}/media", fields=fields, limit=50).json()]
    while "next" in pages[-1]["paging"]:
        url = pages[-1]["paging"]["next"]
        assert DEFAULT_TOKEN in url  # like the real API's links
        pages.append(requests.get(url, timeout=10).json())

    items = [m for page in pages for m in page["data"]]
    listing = list(world.media_listing(ACCOUNT_ID, NOW))
    assert [m["id"] for m in items] == [m.id for m in listing]
    assert len(pages) == -(-len(listing) // 50) > 2
    assert [m["timestamp"] for m in items] == sorted((m["timestamp"] for m in items), reverse=True)
    first = listing[0]
    assert items[0]["like_count"] == world.media_metrics(first, NOW)["likes"]
    assert all(m["media_product_type"] in ("FEED", "REELS") for m in items)


def test_only_the_most_recent_media_are_reachable(make_server):
    server = make_server(instagram=InstagramWorld(media_reach=120))
    pages = [get(server, f"/{ACCOUNT_ID}/media", fields="id", limit=100).json()]
    pages.append(requests.get(pages[0]["paging"]["next"], timeout=10).json())

    assert [len(p["data"]) for p in pages] == [100, 20]
    assert "next" not in pages[1]["paging"]


def test_the_stories_edge_lists_only_stories_still_up(make_server):
    server = make_server()
    body = get(server, f"/{ACCOUNT_ID}/stories", fields="id,timestamp,media_product_type,caption,like_count").json()

    live = server.instagram.live_stories(ACCOUNT_ID, NOW)
    assert live and [m["id"] for m in body["data"]] == [s.id for s in live]
    assert all(set(m) == {"id", "timestamp", "media_product_type"} for m in body["data"])  # no caption or likes


def test_media_insights_answer_lifetime_values_in_the_documented_shape(make_server):
    server = make_server()
    media = server.instagram.media_between(ACCOUNT_ID, DateWindow(DAY - 3 * timedelta(days=1), DAY), NOW)[0]
    body = get(server, f"/{media.id}/insights", metric="reach,saved,total_interactions").json()

    truth = server.instagram.media_metrics(media, NOW)
    assert body["data"][0] == {
        "name": "reach",
        "period": "lifetime",
        "values": [{"value": truth["reach"]}],
        "title": "Accounts reached",
        "description": "The number of unique accounts that have seen the media.",
        "id": f"{media.id}/insights/reach/lifetime",
    }
    assert [s["values"][0]["value"] for s in body["data"][1:]] == [truth["saved"], truth["total_interactions"]]
    assert dict(server.calls) == {"ig_media_insights": 1}


def test_media_insights_refusals_are_the_apis_errors(make_server):
    world = InstagramWorld(views_refused_for={"REELS"})
    world.business_since = world.day_start(DAY - timedelta(days=10))
    server = make_server(instagram=world)
    media = world.media_between(ACCOUNT_ID, DateWindow(DAY - timedelta(days=30), DAY), NOW)
    old = next(m for m in media if m.created_time < world.business_since)
    reel = next(m for m in media if m.media_product_type == "REELS" and m.created_time >= world.business_since)
    story = world.live_stories(ACCOUNT_ID, NOW)[0]

    before = get(server, f"/{old.id}/insights", metric="reach").json()["error"]
    assert (before["code"], before["error_subcode"], before["message"]) == (100, 2108006, "Invalid parameter")
    assert before["error_user_title"] == "Media posted before business account conversion"
    views = get(server, f"/{reel.id}/insights", metric="reach,views").json()["error"]
    assert (
        views["message"]
        == "(#100) The Media Insights API does not support the views metric for this media product type."
    )
    saved = get(server, f"/{story.id}/insights", metric="reach,saved").json()["error"]
    assert "does not support the saved metric" in saved["message"]
    unknown = get(server, f"/{story.id}/insights", metric="reach,plays").json()["error"]
    assert unknown["message"].startswith("(#100) metric[1] must be one of the following values: reach, views")

    young = make_server(instagram=InstagramWorld(), now=story.created_time + timedelta(minutes=1))
    assert young.instagram.media_metrics(story, young.now())["reach"] < MIN_VIEWERS
    response = get(young, f"/{story.id}/insights", metric="reach")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 10
    assert response.json()["error"]["message"] == "(#10) Not enough viewers for the media to show insights"
    expired = make_server(instagram=InstagramWorld(), now=story.created_time + timedelta(hours=25))
    assert get(expired, f"/{story.id}/insights", metric="reach").json() == {"data": []}


def test_instagram_calls_are_throttled_with_graph_codes_and_report_instagram_usage(make_server):
    server = make_server(throttle_every=2)
    codes, usages = [], []
    for _ in range(6):
        response = get(server, f"/{ACCOUNT_ID}", fields="followers_count")
        if response.status_code != 200:
            codes.append((response.status_code, response.json()["error"]["code"]))
        usages.append(json.loads(response.headers["X-Business-Use-Case-Usage"]))

    assert codes == [(400, 4), (400, 17), (403, 80002)]
    assert all(u[ACCOUNT_ID][0]["type"] == "instagram" for u in usages)
    assert server.calls["throttled"] == 3 and server.calls["ig_user"] == 6


def test_an_expired_token_is_code_190(make_server):
    error = get(make_server(), f"/{ACCOUNT_ID}/media", token="expired", fields="id").json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)


def test_the_registry_builds_the_graph_sandbox_with_a_seeded_instagram_world():
    server = registry.create("facebook", world_seed=7, scale=2.0, now=NOW)
    assert isinstance(server, SandboxServer)
    assert (server.instagram.seed, server.instagram.scale) == (7, 2.0)


def test_the_minimum_reads_one_more_media_page_when_a_full_page_ends_in_the_window(world):
    listing = list(world.media_listing(ACCOUNT_ID, NOW))
    # The window starting at the 100th most recent media: one full page, then a page showing older ones.
    hundredth = listing[99]
    window = DateWindow(world.local_day(hundredth.created_time), DAY)
    newer = [m for m in listing if m.created_time >= world.day_start(window.start)]
    calls = minimum_calls(world, NOW, SOURCE_CFG, 30, window)
    assert calls["ig_media"] == len(newer) // 100 + 1
    assert calls["ig_user_insights"] == 30 * 2
    assert calls["ig_media_insights"] == len(world.media_between(ACCOUNT_ID, window, NOW)) + len(
        world.live_stories(ACCOUNT_ID, NOW)
    )
