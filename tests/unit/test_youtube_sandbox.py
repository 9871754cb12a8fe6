"""The YouTube sandbox: its world is deterministic and plausible, and its API answers in the real
shapes, limits, error bodies and quota rules. Requests go through the server's dispatcher, without
a socket."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from core.settings import Windows
from sandbox import registry
from sandbox.world import load_campaigns
from sandbox.world import posts_window as videos_window
from sandbox.youtube import (
    DEFAULT_TOKEN,
    PACIFIC,
    YouTubeSandbox,
    YouTubeWorld,
    minimum_calls,
)
from sources.config import load_config

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CHANNEL = "UCcedarValleyHealth000001"
UPLOADS = "UUcedarValleyHealth000001"
AUTH = {"authorization": f"Bearer {DEFAULT_TOKEN}"}
SOURCE = load_config().sources.youtube


@pytest.fixture(scope="module")
def world() -> YouTubeWorld:
    return YouTubeWorld()


def call(server: YouTubeSandbox, path: str, headers: dict[str, str] | None = None, **params: object):
    reply = server.dispatch("GET", path, urlencode(params), AUTH if headers is None else headers, b"")
    try:
        return reply.status, json.loads(reply.body)
    except ValueError:
        return reply.status, reply.body


def error_reason(body: dict) -> str:
    return body["error"]["errors"][0]["reason"]


# -- the world ----------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_channel_and_another_seed_another(world):
    def fingerprint(w: YouTubeWorld):
        return [(v.id, v.published_at, v.title, v.launch_views) for v in w.uploads(CHANNEL, NOW)[:20]]

    assert fingerprint(YouTubeWorld()) == fingerprint(world)
    assert fingerprint(YouTubeWorld(seed=7)) != fingerprint(world)


def test_videos_have_youtube_shaped_ids_and_a_plausible_cadence(world):
    uploads = world.uploads(CHANNEL, NOW)
    ids = [v.id for v in uploads]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert [v.published_at for v in uploads] == sorted((v.published_at for v in uploads), reverse=True)
    last_quarter = world.videos(CHANNEL, date(2026, 8, 22), date(2026, 11, 19), NOW)
    assert 12 <= len(last_quarter) <= 45  # a few videos a week
    assert any(v.is_short for v in last_quarter) and not all(v.is_short for v in last_quarter)
    assert world.channel(CHANNEL).uploads_playlist_id == UPLOADS


def test_campaign_videos_carry_a_known_utm_campaign_in_their_description(world):
    campaign_ids = {c.id for c in load_campaigns()}
    tagged = [v for v in world.uploads(CHANNEL, NOW)[:200] if v.campaign_id is not None]
    assert 60 <= len(tagged) <= 140
    for video in tagged:
        query = parse_qs(urlsplit(video.description.split("Learn more: ")[1]).query)
        assert query["utm_campaign"] == [video.campaign_id] and video.campaign_id in campaign_ids
        assert query["utm_source"] == ["youtube"]


def test_statistics_grow_fast_at_first_and_keep_growing_afterwards(world):
    video = next(v for v in world.uploads(CHANNEL, NOW) if not v.likes_hidden and not v.comments_disabled)
    ages = [timedelta(hours=h) for h in (1, 6, 24, 72, 14 * 24, 30 * 24, 365 * 24)]
    views = [world.video_statistics(video, video.published_at + age)["view_count"] for age in ages]
    assert views == sorted(views) and views[-1] > views[-2] > views[-3]  # evergreen views after maturity
    assert views[2] > 0.5 * views[4]  # most of the launch within the first day
    stats = world.video_statistics(video, NOW)
    assert 0 < stats["like_count"] < stats["view_count"] and stats["comment_count"] is not None


def test_hidden_likes_and_disabled_comments_are_left_out(world):
    uploads = world.uploads(CHANNEL, NOW)
    hidden = next(v for v in uploads if v.likes_hidden)
    closed = next(v for v in uploads if v.comments_disabled)
    assert world.video_statistics(hidden, NOW)["like_count"] is None
    assert world.video_statistics(closed, NOW)["comment_count"] is None
    assert 0.02 < sum(v.likes_hidden for v in uploads) / len(uploads) < 0.2


def test_channel_statistics_add_up_and_round_subscribers_like_the_api(world):
    stats = world.channel_statistics(CHANNEL, NOW)
    exact = world.subscribers(CHANNEL, NOW.astimezone(PACIFIC).date() - timedelta(days=1))
    assert stats["video_count"] == len(world.uploads(CHANNEL, NOW))
    assert stats["subscriber_count"] <= exact < stats["subscriber_count"] + 100  # three significant figures
    assert str(stats["subscriber_count"])[3:].strip("0") == ""
    assert 3_000 <= stats["subscriber_count"] <= 30_000
    assert stats["view_count"] == int(sum(v.views_at(NOW) for v in world.uploads(CHANNEL, NOW)))


def test_analytics_days_are_pacific_days_whose_views_are_the_videos_growth(world):
    first, last = date(2026, 10, 1), date(2026, 10, 10)
    start = datetime(2026, 10, 1, tzinfo=PACIFIC)
    end = datetime(2026, 10, 11, tzinfo=PACIFIC)
    videos = world.uploads(CHANNEL, end)
    growth = sum(v.views_at(end) - v.views_at(start) for v in videos)
    days = [world.channel_day(CHANNEL, first + timedelta(days=i)) for i in range((last - first).days + 1)]
    assert abs(sum(d["views"] for d in days) - growth) <= len(days)  # one rounding per day
    for values in days:
        assert values["likes"] < values["views"] and values["subscribersLost"] < values["subscribersGained"]
        seconds_per_view = values["estimatedMinutesWatched"] * 60 / values["views"]
        assert abs(values["averageViewDuration"] - seconds_per_view) <= 1  # both rounded from exact sums


def test_analytics_lag_two_to_three_days_behind_the_nightly_partition_and_days_become_ready_in_order(world):
    readies = [world.analytics_ready_at(date(2026, 10, 1) + timedelta(days=i)) for i in range(40)]
    assert readies == sorted(readies)
    lags = set()
    for i in range(40):
        partition = date(2026, 10, 1) + timedelta(days=i)
        nightly_run = datetime.combine(partition + timedelta(days=1), time(4, 30), tzinfo=world.tz)
        lags.add((partition - world.last_analytics_day(nightly_run)).days)
    assert lags == {2, 3}


def test_minimum_calls_count_upload_pages_up_to_the_first_older_video():
    world = YouTubeWorld(scale=5)
    windows = Windows(backfill_days=90, lookback_days=3, post_snapshot_days=28)
    partition = date(2026, 11, 19)
    window = videos_window(windows, False, partition)
    uploads = world.uploads(CHANNEL, NOW)
    in_window = len(world.videos(CHANNEL, window.start, window.end, NOW))
    first_older = next(i for i, v in enumerate(uploads) if v.published_at < world.day_start(window.start))
    assert 100 < in_window <= 150
    assert minimum_calls(world, NOW, SOURCE, windows, partition, False) == {
        "channels": 1,
        "playlist_items": first_older // 50 + 1,
        "videos": 3,
        "reports": 1,
    }
    assert videos_window(windows, True, partition) == videos_window(
        Windows(backfill_days=5, lookback_days=3, post_snapshot_days=28), False, partition
    )


# -- the Data API -------------------------------------------------------------------------------


@pytest.fixture
def server(world) -> YouTubeSandbox:
    return YouTubeSandbox(world=world, now=NOW)


def test_channels_answer_statistics_as_strings_and_the_uploads_playlist(server, world):
    status, body = call(server, "/youtube/v3/channels", part="statistics,contentDetails", id=CHANNEL)
    assert status == 200 and body["kind"] == "youtube#channelListResponse"
    (item,) = body["items"]
    stats = world.channel_statistics(CHANNEL, NOW)
    assert item["statistics"] == {
        "viewCount": str(stats["view_count"]),
        "subscriberCount": str(stats["subscriber_count"]),
        "hiddenSubscriberCount": False,
        "videoCount": str(stats["video_count"]),
    }
    assert item["contentDetails"]["relatedPlaylists"]["uploads"] == UPLOADS
    assert call(server, "/youtube/v3/channels", part="id", mine="true")[1]["items"][0]["id"] == CHANNEL
    status, body = call(server, "/youtube/v3/channels", part="statistics", id="UCnobody")
    assert status == 200 and "items" not in body and body["pageInfo"]["totalResults"] == 0


def test_the_uploads_playlist_pages_newest_first_by_page_token(server, world):
    seen, token, pages = [], None, 0
    while True:
        params = {"part": "contentDetails,snippet", "playlistId": UPLOADS, "maxResults": 50}
        status, body = call(server, "/youtube/v3/playlistItems", **params, **({"pageToken": token} if token else {}))
        assert status == 200 and len(body["items"]) <= 50
        seen += [(i["contentDetails"]["videoId"], i["contentDetails"]["videoPublishedAt"]) for i in body["items"]]
        pages += 1
        token = body.get("nextPageToken")
        if token is None:
            break
    uploads = world.uploads(CHANNEL, NOW)
    assert [s[0] for s in seen] == [v.id for v in uploads]
    assert seen[0][1] == uploads[0].published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert pages == -(-len(uploads) // 50) and body["pageInfo"]["totalResults"] == len(uploads)
    assert body["items"][-1]["snippet"]["position"] == len(uploads) - 1
    assert call(server, "/youtube/v3/playlistItems", part="id", playlistId=UPLOADS)[1]["pageInfo"] == {
        "totalResults": len(uploads),
        "resultsPerPage": 5,
    }


def test_the_data_api_enforces_its_documented_limits(server):
    status, body = call(server, "/youtube/v3/playlistItems", part="id", playlistId=UPLOADS, maxResults=51)
    assert (status, error_reason(body)) == (400, "invalidParameter")
    status, body = call(server, "/youtube/v3/playlistItems", part="id", playlistId=UPLOADS, pageToken="bogus")
    assert (status, error_reason(body)) == (400, "invalidPageToken")
    status, body = call(server, "/youtube/v3/playlistItems", part="id", playlistId="UUnobody")
    assert (status, error_reason(body)) == (404, "playlistNotFound")
    ids = ",".join(f"video{n:05d}x" for n in range(51))
    assert call(server, "/youtube/v3/videos", part="statistics", id=ids)[0] == 400
    status, body = call(server, "/youtube/v3/videos", id="abc")
    assert (status, error_reason(body)) == (400, "required")
    status, body = call(server, "/youtube/v3/videos", part="statistics,fileDetails", id="abc")
    assert (status, error_reason(body), body["error"]["errors"][0]["domain"]) == (400, "unknownPart", "youtube.part")
    assert call(server, "/youtube/v3/search", part="snippet", q="flu")[0] == 404  # never used, not served


def test_videos_answer_statistics_in_request_order_and_leave_hidden_counts_out(server, world):
    uploads = world.uploads(CHANNEL, NOW)
    full = next(v for v in uploads if not v.likes_hidden and not v.comments_disabled)
    hidden = next(v for v in uploads if v.likes_hidden and not v.comments_disabled)
    closed = next(v for v in uploads if v.comments_disabled and not v.likes_hidden)
    ids = [closed.id, full.id, "doesNotExis", hidden.id]
    status, body = call(server, "/youtube/v3/videos", part="statistics", id=",".join(ids))
    assert status == 200 and [i["id"] for i in body["items"]] == [closed.id, full.id, hidden.id]
    by_id = {i["id"]: i["statistics"] for i in body["items"]}
    truth = world.video_statistics(full, NOW)
    assert by_id[full.id] == {
        "viewCount": str(truth["view_count"]),
        "likeCount": str(truth["like_count"]),
        "favoriteCount": "0",
        "commentCount": str(truth["comment_count"]),
    }
    assert "likeCount" not in by_id[hidden.id] and "commentCount" in by_id[hidden.id]
    assert "commentCount" not in by_id[closed.id] and "likeCount" in by_id[closed.id]


def test_an_invalid_token_is_a_401_with_googles_error_body(server):
    status, body = call(server, "/youtube/v3/channels", headers={}, part="id", id=CHANNEL)
    assert status == 401
    assert body["error"]["status"] == "UNAUTHENTICATED" and error_reason(body) == "authError"
    server.revoke_token(DEFAULT_TOKEN)
    assert call(server, "/v2/reports", ids="channel==MINE")[0] == 401


def test_the_data_api_quota_is_spent_one_unit_a_list_call_and_resets_at_midnight_pacific(world):
    server = YouTubeSandbox(world=world, now=NOW, quota_units=3)
    for _ in range(3):
        assert call(server, "/youtube/v3/channels", part="id", id=CHANNEL)[0] == 200
    report = {"ids": "channel==MINE", "startDate": "2026-11-01", "endDate": "2026-11-02", "metrics": "views"}
    assert call(server, "/v2/reports", **report)[0] == 200  # the Analytics API has its own quota
    status, body = call(server, "/youtube/v3/videos", part="statistics", id="abc")
    assert (status, error_reason(body), body["error"]["errors"][0]["domain"]) == (403, "quotaExceeded", "youtube.quota")
    assert server.quota_used == 3
    server.fixed_now = datetime(2026, 11, 21, 8, 0, 1, tzinfo=UTC)  # just after midnight Pacific
    assert server.quota_used == 0
    assert call(server, "/youtube/v3/channels", part="id", id=CHANNEL)[0] == 200


# -- the Analytics API --------------------------------------------------------------------------


def test_reports_cut_end_date_back_to_the_last_complete_day(server, world):
    params = {"ids": "channel==MINE", "startDate": "2026-11-01", "endDate": "2026-11-19", "dimensions": "day"}
    status, body = call(server, "/v2/reports", **params, metrics="likes,views", sort="day")
    assert status == 200 and body["kind"] == "youtubeAnalytics#resultTable"
    assert body["columnHeaders"] == [
        {"name": "day", "columnType": "DIMENSION", "dataType": "STRING"},
        {"name": "likes", "columnType": "METRIC", "dataType": "INTEGER"},
        {"name": "views", "columnType": "METRIC", "dataType": "INTEGER"},
    ]
    last = world.last_analytics_day(NOW)
    assert [r[0] for r in body["rows"]] == [(date(2026, 11, 1) + timedelta(days=i)).isoformat() for i in range(17)]
    assert body["rows"][-1] == [last.isoformat(), *(world.channel_day(CHANNEL, last)[m] for m in ("likes", "views"))]
    status, body = call(server, "/v2/reports", **{**params, "startDate": "2026-11-19"}, metrics="views")
    assert status == 200 and "rows" not in body  # nothing complete yet
    status, body = call(server, "/v2/reports", **{**params, "dimensions": ""}, metrics="views")
    assert body["rows"] == [
        [sum(world.channel_day(CHANNEL, date(2026, 11, 1) + timedelta(days=i))["views"] for i in range(17))]
    ]


def test_reports_refuse_unknown_metrics_other_channels_and_unsupported_queries(server):
    params = {"ids": f"channel=={CHANNEL}", "startDate": "2026-11-01", "endDate": "2026-11-05", "dimensions": "day"}
    status, body = call(server, "/v2/reports", **params, metrics="views,impressions")
    assert (
        status == 400
        and body["error"]["message"] == "Unknown identifier (impressions) given in field parameters.metrics."
    )
    status, body = call(server, "/v2/reports", **{**params, "ids": "channel==UCsomeoneElse"}, metrics="views")
    assert (status, error_reason(body)) == (403, "forbidden")
    status, body = call(server, "/v2/reports", **{**params, "dimensions": "video"}, metrics="views")
    assert status == 400 and "not supported" in body["error"]["message"]
    status, body = call(server, "/v2/reports", ids="channel==MINE", metrics="views")
    assert (status, body["error"]["errors"][0]["location"]) == (400, "startDate")


# -- faults and the registry --------------------------------------------------------------------


def test_faults_fire_on_their_schedule_in_googles_shapes(world):
    server = YouTubeSandbox(world=world, now=NOW, throttle_every=2)
    replies = [call(server, "/youtube/v3/channels", part="id", id=CHANNEL) for _ in range(6)]
    throttles = [(s, error_reason(b)) for s, b in replies[1::2]]
    assert throttles == [(403, "rateLimitExceeded"), (403, "userRateLimitExceeded"), (429, "rateLimitExceeded")]
    assert server.calls == {"channels": 6, "throttled": 3} and server.total_calls == 6

    server = YouTubeSandbox(world=world, now=NOW, transient_every=4, server_error_every=3, malformed_every=5)
    replies = [call(server, "/youtube/v3/channels", part="id", id=CHANNEL) for _ in range(5)]
    assert replies[2][0] == 502 and b"Server Error" in replies[2][1]
    assert replies[3][0] == 500 and error_reason(replies[3][1]) == "backendError"
    assert replies[4][0] == 200 and not replies[4][1].endswith(b"}")  # truncated JSON
    assert server.calls["faults"] == 3

    server = YouTubeSandbox(world=world, now=NOW, quota_exceeded_every=2)
    assert call(server, "/youtube/v3/videos", part="statistics", id="abc")[0] == 200
    status, body = call(server, "/youtube/v3/videos", part="statistics", id="abc")
    assert (status, error_reason(body)) == (403, "quotaExceeded")


def test_the_registry_builds_the_youtube_sandbox_and_ignores_other_platforms_options():
    assert "youtube" in registry.platforms()
    server = registry.create("youtube", 7, 2.0, NOW, throttle_every=4, regain_minutes=3, quota_units=50)
    assert isinstance(server, YouTubeSandbox)
    assert (server.throttle_every, server.quota_units, server.world.seed, server.world.scale) == (4, 50, 7, 2.0)
