"""The API extractors against bodies in the shapes the real APIs answer with (tests/fixtures, each
citing the public recording or doc page it follows), replayed over real HTTP on loopback.

The sandbox answers in the shapes the extractors were written for; these bodies carry what the
real APIs also do: fields left out, empty `data`, metrics renamed across versions, counts as
strings, `+0000` offsets, Pacific-dated insights, posts of other authors, per-item errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files, write_partition
from core.settings import Account, HttpSettings, Windows
from extractors.http import ApiEndpoint
from nightly.extract import extract
from sources import facebook_pages, instagram, x, youtube
from sources.facebook_pages import FacebookPages
from sources.instagram import Instagram
from sources.x import X_POSTS, X
from sources.youtube import YouTube
from tests.fixtures.replay import ReplayServer

pytestmark = pytest.mark.integration

TZ = ZoneInfo("America/Chicago")
PARTITION = date(2026, 11, 19)
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0, max_retries=0)
WINDOWS = Windows(backfill_days=3, lookback_days=3, post_snapshot_days=3)
LINEAGE = {f.name for f in LINEAGE_FIELDS}
TOKEN = "replayed-token"


def landed(source: str, entity: str, day: date = PARTITION) -> list[dict]:
    """The rows of one landed partition (every account), lineage columns left out."""
    rows = []
    for path in partition_files(source, entity, day):
        rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
    return rows


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    """The extractors' warning messages. A handler of its own, since Airflow's logging setup, done
    on first use, replaces the root logger's handlers (and with them caplog's)."""
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in ("extractors", "sources")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.messages
    for logger in loggers:
        logger.removeHandler(handler)


def run_context() -> RunContext:
    return RunContext.now(PARTITION, f"replay-{PARTITION}")


# -- Facebook Pages -------------------------------------------------------------------------------

PAGE = Account(id="100200300400501", name="Cedar Valley Health", connection_id="facebook_cedar_valley_health")
FACEBOOK = FacebookPages(
    page_metrics=["page_media_view", "page_post_engagements", "page_follows"],
    post_metrics=["post_media_view", "post_clicks"],
    metrics_per_request=3,
    accounts=[PAGE],
)
POSTS_PATH = f"/v24.0/{PAGE.id}/published_posts"


def facebook_server(insights: str = "facebook/page_insights_day.json") -> ReplayServer:
    return (
        ReplayServer()
        .add(f"/v24.0/{PAGE.id}/insights", insights)
        .add(POSTS_PATH, "facebook/published_posts_page_2.json", after="QVFIUmxhc3Q")
        .add(POSTS_PATH, "facebook/published_posts_page_1.json")
        .add("/v24.0/", "facebook/post_insights_lookup.json")
    )


def extract_facebook(server: ReplayServer) -> dict[str, int]:
    endpoint = ApiEndpoint(server.url, TOKEN, "v24.0", PAGE.connection_id)
    return extract(facebook_pages.SPEC, PAGE, endpoint, FACEBOOK, WINDOWS, FAST, run_context(), TZ)


def test_facebook_daily_insights_land_on_the_pacific_day_their_end_time_closes(data_dir):
    with facebook_server() as server:
        extract_facebook(server)

    values = {(r["metric"], r["date"]): r["value"] for r in landed("facebook_pages", "page_insights")}
    assert values == {
        ("page_media_view", date(2026, 11, 17)): 410,
        ("page_media_view", date(2026, 11, 18)): 388,
        ("page_media_view", date(2026, 11, 19)): 502,
        ("page_post_engagements", date(2026, 11, 17)): 31,
        ("page_post_engagements", date(2026, 11, 18)): 0,
        ("page_post_engagements", date(2026, 11, 19)): 17,
    }
    # The days asked for are Pacific days too: since/until are the Pacific midnights around them.
    (params,) = [q for path, q in server.requests if path.endswith("/insights")]
    assert (params["since"], params["until"]) == ("1794902400", "1795161600")  # Nov 17 08:00Z, Nov 20 08:00Z


def test_facebook_insights_off_a_pacific_midnight_are_warned_about(data_dir, warnings):
    with facebook_server("facebook/page_insights_org_midnight.json") as server:
        extract_facebook(server)

    (warning,) = [m for m in warnings if "not a midnight in America/Los_Angeles" in m]
    assert PAGE.id in warning and "2026-11-18T06:00:00+0000" in warning
    # 06:00 UTC is 22:00 Pacific the evening before: each value lands on the Pacific day it falls in.
    assert {r["date"]: r["value"] for r in landed("facebook_pages", "page_insights")} == {
        date(2026, 11, 17): 410,
        date(2026, 11, 18): 388,
        date(2026, 11, 19): 502,
    }


def test_facebook_a_post_on_two_pages_of_the_listing_lands_once_as_last_seen(data_dir):
    with facebook_server() as server:
        counts = extract_facebook(server)

    posts = landed("facebook_pages", "posts")
    assert sorted(r["post_id"] for r in posts) == [f"{PAGE.id}_9001", f"{PAGE.id}_9002", f"{PAGE.id}_9003"]
    assert counts["posts"] == 3
    assert {r["reactions"] for r in posts if r["post_id"] == f"{PAGE.id}_9001"} == {1}  # page 2's reading
    snapshots = [(r["post_id"], r["metric"]) for r in landed("facebook_pages", "post_snapshots")]
    assert len(snapshots) == len(set(snapshots))


def test_facebook_counts_the_api_left_out_land_as_null_not_zero(data_dir):
    with facebook_server() as server:
        extract_facebook(server)

    posts = landed("facebook_pages", "posts")
    by_id = {r["post_id"]: (r["reactions"], r["comments"], r["shares"]) for r in posts}
    assert by_id == {
        f"{PAGE.id}_9001": (1, 0, 0),  # as last seen; shares left out with readable summaries: none
        f"{PAGE.id}_9002": (None, None, None),  # no engagement fields at all: not readable, not zero
        f"{PAGE.id}_9003": (12, 4, 5),
    }
    assert posts[0]["created_time"].utcoffset().total_seconds() == 0
    snapshots = {(r["post_id"], r["metric"]): r["value"] for r in landed("facebook_pages", "post_snapshots")}
    assert snapshots == {
        (f"{PAGE.id}_9001", "reactions"): 1,
        (f"{PAGE.id}_9001", "comments"): 0,
        (f"{PAGE.id}_9001", "shares"): 0,
        (f"{PAGE.id}_9001", "post_media_view"): 120,
        (f"{PAGE.id}_9001", "post_clicks"): 7,
        (f"{PAGE.id}_9002", "reactions"): None,
        (f"{PAGE.id}_9002", "comments"): None,
        (f"{PAGE.id}_9002", "shares"): None,
        (f"{PAGE.id}_9003", "reactions"): 12,
        (f"{PAGE.id}_9003", "comments"): 4,
        (f"{PAGE.id}_9003", "shares"): 5,
        (f"{PAGE.id}_9003", "post_media_view"): 2210,
        (f"{PAGE.id}_9003", "post_clicks"): 0,
    }


# -- Instagram ------------------------------------------------------------------------------------

IG = Account(id="17841400000000501", name="@cedarvalleyhealth", connection_id="instagram_cedar_valley_health")
INSTAGRAM = Instagram(
    account_metrics=["reach", "accounts_engaged", "total_interactions"],
    media_metrics={"FEED": ["reach", "likes", "saved"], "REELS": ["reach", "likes", "views"]},
    metrics_per_request=5,
    accounts=[IG],
)


def instagram_server(
    insights: str = "instagram/account_insights_total_value.json", media: str = "instagram/media_page.json"
) -> ReplayServer:
    base = f"/v24.0/{IG.id}"
    return (
        ReplayServer()
        .add(base, "instagram/account.json")
        .add(f"{base}/insights", insights)  # the same answer for each day's call
        .add(f"{base}/media", media)
        .add(f"{base}/stories", "instagram/empty_data.json")
        .add("/v24.0/17900000000000001/insights", "instagram/media_insights_feed.json")
        .add("/v24.0/17900000000000002/insights", "instagram/error_code_10.json", status=400)
        .add("/v24.0/17900000000000003/insights", "instagram/error_code_100_subcode_33.json", status=400)
    )


def extract_instagram(server: ReplayServer) -> dict[str, int]:
    endpoint = ApiEndpoint(server.url, TOKEN, "v24.0", IG.connection_id, "Instagram Graph API", "Instagram token")
    return extract(instagram.SPEC, IG, endpoint, INSTAGRAM, WINDOWS, FAST, run_context(), TZ)


def test_instagram_account_insights_are_read_in_both_shapes_and_an_unreadable_one_is_warned_about(data_dir, warnings):
    with instagram_server("instagram/account_insights_values.json", media="instagram/empty_data.json") as server:
        extract_instagram(server)

    values = {(r["metric"], r["date"]): r["value"] for r in landed("instagram", "account_insights")}
    days = (date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19))
    assert values == {
        # values[] dated by Pacific end_time: each day's call takes the value of the day it asked for
        **dict(zip((("reach", d) for d in days), (1530, 1611, 1702), strict=True)),
        **dict(zip((("total_interactions", d) for d in days), (96, 0, 44), strict=True)),
        # a series with no end_time cannot say which day it is: NULL, and a warning
        **{("accounts_engaged", d): None for d in days},
    }
    (warning,) = [m for m in warnings if "account insights values could not be read" in m]
    assert "3 account insights values" in warning and "accounts_engaged" in warning
    # Each day asked for is a Pacific day: since/until are the Pacific midnights around it.
    asked = [
        (q["since"], q["until"]) for path, q in server.requests if path.endswith("/insights") and "metric_type" in q
    ]
    assert asked == [("1794902400", "1794988800"), ("1794988800", "1795075200"), ("1795075200", "1795161600")]


def test_instagram_media_refused_to_the_token_are_skipped_and_the_rest_lands(data_dir, warnings):
    with instagram_server() as server:
        counts = extract_instagram(server)

    insights = {(r["metric"], r["date"]): r["value"] for r in landed("instagram", "account_insights")}
    assert {(m, v) for (m, _), v in insights.items()} == {
        ("reach", 1702),
        ("accounts_engaged", 38),
        ("total_interactions", 0),
    }
    assert len(insights) == 9

    snapshots = {(r["media_id"], r["metric"]): r["value"] for r in landed("instagram", "media_snapshots")}
    assert snapshots == {
        ("17900000000000001", "reach"): 812,
        ("17900000000000001", "likes"): 57,
        ("17900000000000001", "saved"): 0,
    }
    media = {r["media_id"]: r for r in landed("instagram", "media")}
    assert sorted(media) == ["17900000000000001", "17900000000000002", "17900000000000003"]
    assert media["17900000000000002"]["like_count"] is None  # hidden likes: left out, not 0
    assert media["17900000000000001"]["created_time"].isoformat() == "2026-11-19T15:02:11+00:00"
    assert counts["accounts"] == 1 and landed("instagram", "accounts")[0]["followers_count"] == 18231
    (warning,) = [m for m in warnings if "refuses to this token" in m]
    assert "2 media" in warning
    assert "17900000000000002 (code 10:" in warning and "17900000000000003 (code 100/33:" in warning


# -- YouTube --------------------------------------------------------------------------------------

CHANNEL = Account(id="UCcedarValleyHealth000001", name="Cedar Valley Health", connection_id="youtube_cedar_valley")
YOUTUBE = YouTube(video_batch_size=50, analytics_metrics=["views", "likes"], accounts=[CHANNEL])


def test_youtube_private_and_deleted_uploads_are_skipped_and_string_counts_land_as_numbers(data_dir, warnings):
    with (
        ReplayServer()
        .add("/youtube/v3/channels", "youtube/channels.json")
        .add("/youtube/v3/playlistItems", "youtube/playlist_items.json")
        .add("/youtube/v3/videos", "youtube/videos_statistics.json")
        .add("/v2/reports", "youtube/analytics_report.json") as server
    ):
        endpoint = ApiEndpoint(
            server.url, TOKEN, "v3", CHANNEL.connection_id, "YouTube", extra={"analytics_base_url": server.url}
        )
        extract(youtube.SPEC, CHANNEL, endpoint, YOUTUBE, WINDOWS, FAST, run_context(), TZ)

    videos = {r["video_id"]: r for r in landed("youtube", "videos")}
    assert sorted(videos) == ["cvhVideo0001", "cvhVideo0004"]
    assert videos["cvhVideo0004"]["created_time"].isoformat() == "2026-11-17T14:30:00+00:00"
    skipped = [m for m in warnings if "private or deleted" in m]
    assert len(skipped) == 2 and all("UUcedarValleyHealth000001" in m for m in skipped)
    assert "VVVjZWRhclZhbGxleS4y" in skipped[0] and "'Private video'" in skipped[0]
    assert "VVVjZWRhclZhbGxleS4z" in skipped[1] and "cvhVideo0003" in skipped[1]

    (channel,) = landed("youtube", "channels")
    assert (channel["view_count"], channel["subscriber_count"], channel["video_count"]) == (1604211, None, 214)
    snapshots = {(r["video_id"], r["metric"]): r["value"] for r in landed("youtube", "video_snapshots")}
    assert snapshots == {
        ("cvhVideo0001", "view_count"): 1093,
        ("cvhVideo0001", "like_count"): 41,
        ("cvhVideo0001", "comment_count"): 0,
        ("cvhVideo0004", "view_count"): 30117,
        ("cvhVideo0004", "like_count"): None,  # hidden likes: left out, not 0
        ("cvhVideo0004", "comment_count"): None,  # comments off
    }
    daily = {(r["metric"], r["date"]): r["value"] for r in landed("youtube", "channel_daily")}
    assert daily == {
        ("views", date(2026, 11, 17)): 812,
        ("likes", date(2026, 11, 17)): 19,
        ("views", date(2026, 11, 18)): 0,
        ("likes", date(2026, 11, 18)): 0,
    }


# -- X --------------------------------------------------------------------------------------------

X_ACCOUNT = Account(id="1500000000000000501", name="@CedarValleyHlth", connection_id="x_cedar_valley_health")
X_SOURCE = X(refresh_batch_size=100, page_size=100, accounts=[X_ACCOUNT])
X_WINDOWS = Windows(backfill_days=3, lookback_days=1, post_snapshot_days=7)


def land_earlier_x_posts() -> None:
    """Posts landed on the night before: the lookup refreshes them."""
    posts = [
        ("1857000000000000001", datetime(2026, 11, 15, 16, 0, tzinfo=UTC)),
        ("1857000000000000002", datetime(2026, 11, 16, 10, 0, tzinfo=UTC)),
        ("1857000000000000003", datetime(2026, 11, 16, 12, 0, tzinfo=UTC)),
    ]
    rows = [{"user_id": X_ACCOUNT.id, "post_id": i, "created_time": t, "text": None} for i, t in posts]
    earlier = RunContext.now(date(2026, 11, 18), "replay-2026-11-18")
    write_partition("x", "posts", X_ACCOUNT.id, rows, X_POSTS, earlier)


def test_x_lookup_keeps_only_the_accounts_posts_it_asked_for(data_dir, warnings):
    land_earlier_x_posts()
    with (
        ReplayServer()
        .add(f"/2/users/{X_ACCOUNT.id}", "x/user.json")
        .add(f"/2/users/{X_ACCOUNT.id}/tweets", "x/user_tweets.json")
        .add("/2/tweets", "x/tweets_lookup.json") as server
    ):
        endpoint = ApiEndpoint(server.url, TOKEN, "2", X_ACCOUNT.connection_id, x.PLATFORM, x.TOKEN_KIND)
        extract(x.SPEC, X_ACCOUNT, endpoint, X_SOURCE, X_WINDOWS, FAST, run_context(), TZ)

    snapshots = {(r["post_id"], r["metric"]): r["value"] for r in landed("x", "post_snapshots")}
    assert {post for post, _ in snapshots} == {"1858000000000000011", "1858000000000000010", "1857000000000000001"}
    assert snapshots[("1857000000000000001", "like_count")] == 61
    # Recorded before the metric existed: NULL, not 0.
    assert snapshots[("1858000000000000010", "impression_count")] is None
    assert snapshots[("1858000000000000010", "like_count")] == 3
    (dropped,) = [m for m in warnings if "not this account's posts asked for" in m]
    assert "1857000000000000002 (author 783214)" in dropped and "1857000000000000099 (not asked for)" in dropped
    assert any("1857000000000000003" in m for m in warnings)  # the deleted one, as a partial error
    (user,) = landed("x", "users")
    assert (user["followers_count"], user["listed_count"]) == (5210, 57)
    assert sorted(r["post_id"] for r in landed("x", "posts")) == ["1858000000000000010", "1858000000000000011"]
