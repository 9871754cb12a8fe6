"""A local stand-in for the YouTube Data API v3 and the YouTube Analytics API v2.

Both path families are served on one loopback port (`/youtube/v3/...` and `/v2/reports`), with the
real paths, parameters, response shapes, page tokens and Google error bodies
(shared/reference/platform-apis.md §4), so pointing a connection at www.googleapis.com and
youtubeanalytics.googleapis.com is the only change an extractor needs.

The world is Cedar Valley Health's channel: a few videos a week since 2021 (long-form explainers
and Shorts, some promoting a campaign with `utm_campaign=<campaign id>` in the description), views
that follow the shared launch curve (`sandbox.world.lifetime_fraction`) and then keep a small
evergreen trickle from search, so statistics never stop growing. Like and comment counts follow the
views; a few videos hide their likes or have comments turned off, and the API then leaves those
counts out. Analytics days are Pacific days (as in YouTube Analytics), and a day only becomes
available 42-62 hours after it ends: the report's endDate is cut back silently.

The Data API charges quota units (1 per list call, `quota_units` a Pacific day, 10,000 by
default) and answers `quotaExceeded` once they are spent. Faults fire on a fixed schedule of the
call number: throttling (403 rateLimitExceeded / userRateLimitExceeded, 429 RESOURCE_EXHAUSTED in
turn), 5xx backendError, an HTML 502 from the front end, truncated JSON, quotaExceeded."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import string
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from core.settings import Windows
from sandbox.base import ApiError, PlatformSandbox, Reply, json_reply
from sandbox.faults import every
from sandbox.registry import register
from sandbox.world import (
    MATURE_HOURS,
    SHARE_EFFECT,
    PlatformWorld,
    draw_message,
    draw_title,
    lifetime_fraction,
    posts_window,
    viral_multiplier,
)
from sources.youtube import YouTube

DEFAULT_TOKEN = "sandbox-token-youtube"
DEFAULT_QUOTA_UNITS = 10_000
CHANNEL_START = date(2021, 3, 1)
# YouTube Analytics days, and the Data API quota day, are Pacific days.
PACIFIC = ZoneInfo("America/Los_Angeles")
DATA_PREFIX = "/youtube/v3"
REPORTS_PATH = "/v2/reports"
MAX_RESULTS = 50
DEFAULT_MAX_RESULTS = 5
MAX_IDS = 50
# A day's analytics are complete this long after the Pacific day ends (varies per day).
ANALYTICS_LAG_HOURS = (42, 62)

# Analytics metrics the sandbox can report, in the units the API gives them.
ANALYTICS_METRICS = (
    "views",
    "likes",
    "dislikes",
    "comments",
    "shares",
    "estimatedMinutesWatched",
    "averageViewDuration",
    "subscribersGained",
    "subscribersLost",
)
# What each video contributes per view, in this order (see Video.rates).
_PER_VIEW = ("views", "likes", "dislikes", "comments", "shares", "estimatedMinutesWatched")
_MATURE_SECONDS = MATURE_HOURS * 3600
_DAY_SECONDS = 86_400

_CHANNEL_PARTS = frozenset({"id", "snippet", "contentDetails", "statistics"})
_PLAYLIST_ITEM_PARTS = frozenset({"id", "snippet", "contentDetails", "status"})
_VIDEO_PARTS = frozenset({"id", "snippet", "contentDetails", "statistics", "status"})

_ID_CHARS = string.ascii_letters + string.digits + "-_"
# An id encodes 64 bits in 11 base64 characters, so the last one carries only 4 bits.
_ID_LAST_CHARS = "AEIMQUYcgkosw048"

_WEEKDAY_UPLOADS = (1.1, 1.2, 1.2, 1.1, 1.0, 0.3, 0.2)  # Monday first; relative to Channel.videos_per_day
_PUBLISH_HOURS = {8: 1, 9: 2, 10: 3, 11: 3, 12: 2, 13: 2, 14: 3, 15: 3, 16: 2, 17: 1}

_THROTTLES = (
    (
        403,
        "usageLimits",
        "rateLimitExceeded",
        "The request cannot be completed because you have exceeded your rate limit.",
    ),
    (403, "usageLimits", "userRateLimitExceeded", "User rate limit exceeded. Please slow down and retry."),
    (
        429,
        "global",
        "rateLimitExceeded",
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
        "'youtube.googleapis.com'.",
    ),
)


# -- the world ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    id: str
    title: str
    handle: str
    website: str
    description: str
    subscribers_at_start: int
    videos_per_day: float
    audience: float  # multiplies every video's views

    @property
    def uploads_playlist_id(self) -> str:
        return "UU" + self.id[2:]


@dataclass(frozen=True, eq=False)
class Video:
    """One upload: what the Data API lists, and the parameters its views and engagement follow."""

    id: str
    channel_id: str
    published_at: datetime  # UTC, whole seconds
    title: str
    description: str
    campaign_id: str | None
    intent: str  # what the video sets out to do (sandbox.world.INTENTS), the ground truth
    is_short: bool
    duration_seconds: int
    launch_views: float  # views the launch curve reaches after MATURE_HOURS
    evergreen_views_per_day: float  # views a day from then on (search, suggested videos)
    like_rate: float
    dislike_rate: float
    comment_rate: float
    share_rate: float
    watched_fraction: float  # of the duration, on average per view
    likes_hidden: bool  # the owner hid the like count: the API leaves likeCount out
    comments_disabled: bool  # no comments, and no commentCount in the API

    def views_at(self, at: datetime) -> float:
        """Lifetime views at `at`, before rounding: the launch curve, then the evergreen trickle."""
        hours = (at - self.published_at).total_seconds() / 3600
        if hours <= 0:
            return 0.0
        tail_days = max(0.0, hours - MATURE_HOURS) / 24
        return self.launch_views * lifetime_fraction(at - self.published_at) + self.evergreen_views_per_day * tail_days

    @property
    def rates(self) -> tuple[float, ...]:
        """Per view: views, likes, dislikes, comments, shares, minutes watched (as _PER_VIEW)."""
        comments = 0.0 if self.comments_disabled else self.comment_rate
        minutes = self.duration_seconds * self.watched_fraction / 60
        return (1.0, self.like_rate, self.dislike_rate, comments, self.share_rate, minutes)


class _Catalogue:
    """One channel's videos in publishing order, with prefix sums of their evergreen growth."""

    def __init__(self) -> None:
        self.videos: list[Video] = []
        self.published: list[float] = []  # timestamps, for bisect
        self.by_id: dict[str, Video] = {}
        self.evergreen: list[tuple[float, ...]] = [(0.0,) * len(_PER_VIEW)]  # sums over videos[:i]
        self.through: date | None = None


class YouTubeWorld(PlatformWorld[Channel, Video]):
    """The ground truth the YouTube sandbox serves; pure functions of (seed, channel, day). The
    channel team publishes on Central time, the world's timezone."""

    NOUN = "channel"
    SEEDS = ("youtube", Channel)
    STREAM = "videos"
    FIRST_DAY = CHANNEL_START

    def __init__(self, **world: Any) -> None:
        super().__init__(**world)
        # YouTube's accounts are channels.
        self.channels = self.accounts
        self._lock = threading.Lock()
        self._catalogues: dict[str, _Catalogue] = {}
        self.channel_day = lru_cache(maxsize=8192)(self._channel_day)

    def channel(self, channel_id: str) -> Channel:
        return self.account(channel_id)

    # -- videos ---------------------------------------------------------------------------------

    def publish(self, channel: Channel, day: date, rng: random.Random) -> tuple[Video, ...]:
        """Videos published on local (Central) `day`, oldest first."""
        expected = channel.videos_per_day * _WEEKDAY_UPLOADS[day.weekday()]
        count = int(expected) + (rng.random() < expected - int(expected))
        hours = rng.choices(list(_PUBLISH_HOURS), weights=list(_PUBLISH_HOURS.values()), k=count)
        times = sorted(
            datetime.combine(day, time(h, rng.randrange(60), rng.randrange(60)), tzinfo=self.tz) for h in hours
        )
        return tuple(self._make_video(channel, day, local.astimezone(UTC), rng) for local in times)

    def _make_video(self, channel: Channel, day: date, published_at: datetime, rng: random.Random) -> Video:
        video_id = "".join(rng.choice(_ID_CHARS) for _ in range(10)) + rng.choice(_ID_LAST_CHARS)
        is_short = rng.random() < 0.35
        campaign = self.campaign_post(day, rng, 0.5)
        said = draw_message(rng, campaign)
        title = draw_title(rng, said.intent)
        if campaign is not None:
            query = urlencode({"utm_source": "youtube", "utm_medium": "social", "utm_campaign": campaign.id})
            description = f"{said.text}\n\nLearn more: {channel.website}/{campaign.id}?{query}"
        else:
            description = f"{said.text}\n\nSubscribe for more from {channel.title}."
        if is_short:
            title += " #Shorts"
        viral = viral_multiplier(rng, 5, 20)
        if is_short:
            launch = rng.lognormvariate(math.log(1400), 0.6)
            evergreen = rng.lognormvariate(math.log(0.6), 0.8)
            duration, watched = rng.randint(15, 59), rng.uniform(0.7, 1.1)
        else:
            launch = rng.lognormvariate(math.log(450), 0.7)
            evergreen = rng.lognormvariate(math.log(1.8), 0.9)
            duration, watched = rng.randint(90, 900), rng.uniform(0.3, 0.55)
        return Video(
            id=video_id,
            channel_id=channel.id,
            published_at=published_at,
            title=title,
            description=description,
            campaign_id=campaign.id if campaign else None,
            intent=said.intent,
            is_short=is_short,
            duration_seconds=duration,
            launch_views=launch * viral * channel.audience,
            evergreen_views_per_day=evergreen * channel.audience,
            like_rate=rng.uniform(0.02, 0.05) if is_short else rng.uniform(0.012, 0.04),
            dislike_rate=rng.uniform(0.0005, 0.002),
            comment_rate=rng.uniform(0.0005, 0.004),
            share_rate=rng.uniform(0.003, 0.012) * SHARE_EFFECT[said.intent],
            watched_fraction=watched,
            likes_hidden=rng.random() < 0.08,
            comments_disabled=rng.random() < 0.2,
        )

    def _catalogue(self, channel_id: str, through: date) -> _Catalogue:
        """The channel's catalogue, generated at least through local day `through`."""
        with self._lock:
            catalogue = self._catalogues.setdefault(channel_id, _Catalogue())
            day = self.start if catalogue.through is None else catalogue.through + timedelta(days=1)
            while day <= through:
                for video in self.posts_on(channel_id, day):
                    catalogue.videos.append(video)
                    catalogue.published.append(video.published_at.timestamp())
                    catalogue.by_id[video.id] = video
                    last = catalogue.evergreen[-1]
                    catalogue.evergreen.append(
                        tuple(s + video.evergreen_views_per_day * r for s, r in zip(last, video.rates, strict=True))
                    )
                catalogue.through = day
                day += timedelta(days=1)
            return catalogue

    def uploads(self, channel_id: str, now: datetime) -> list[Video]:
        """The uploads playlist as the API lists it at `now`: every published video, newest first."""
        catalogue = self._catalogue(channel_id, now.astimezone(self.tz).date())
        published = bisect_right(catalogue.published, now.timestamp())
        return catalogue.videos[:published][::-1]

    def videos(self, channel_id: str, start_day: date, end_day: date, now: datetime) -> list[Video]:
        """Videos published on local days start_day..end_day that exist at `now`, oldest first."""
        catalogue = self._catalogue(channel_id, end_day)
        since = self.day_start(start_day).timestamp()
        until = min(self.day_start(end_day + timedelta(days=1)).timestamp(), now.timestamp() + 1e-6)
        return catalogue.videos[bisect_left(catalogue.published, since) : bisect_left(catalogue.published, until)]

    def video(self, video_id: str, now: datetime) -> Video | None:
        """The video with this id, if it is published at `now`."""
        for channel_id in self.channels:
            video = self._catalogue(channel_id, now.astimezone(self.tz).date()).by_id.get(video_id)
            if video is not None and video.published_at <= now:
                return video
        return None

    @staticmethod
    def video_statistics(video: Video, at: datetime) -> dict[str, int | None]:
        """videos.list statistics at `at`; None where the API leaves the count out."""
        views = video.views_at(at)
        return {
            "view_count": int(views),
            "like_count": None if video.likes_hidden else int(views * video.like_rate),
            "comment_count": None if video.comments_disabled else int(views * video.comment_rate),
        }

    # -- the channel ----------------------------------------------------------------------------

    def channel_statistics(self, channel_id: str, now: datetime) -> dict[str, int]:
        """channels.list statistics at `now`. The subscriber count is the public one: the count at
        the end of the last Pacific day, rounded down to three significant figures."""
        videos = self.uploads(channel_id, now)
        subscribers = self.subscribers(channel_id, now.astimezone(PACIFIC).date() - timedelta(days=1))
        return {
            "view_count": int(sum(v.views_at(now) for v in videos)),
            "subscriber_count": _three_significant_figures(subscribers),
            "video_count": len(videos),
        }

    def subscribers(self, channel_id: str, day: date) -> int:
        """Exact subscribers at the end of Pacific `day`."""

        def net_subscribers(on: date) -> int:
            totals = self.channel_day(channel_id, on)
            return totals["subscribersGained"] - totals["subscribersLost"]

        return self.running_total(channel_id, day, self.channel(channel_id).subscribers_at_start, net_subscribers)

    def _channel_day(self, channel_id: str, day: date) -> dict[str, int]:
        """Every analytics metric of the channel for Pacific `day`."""
        start, end = self.day_start(day, PACIFIC), self.day_start(day + timedelta(days=1), PACIFIC)
        catalogue = self._catalogue(channel_id, end.astimezone(self.tz).date())
        # Videos mature at the day's start grow linearly: their sum comes from the prefix sums.
        mature = bisect_right(catalogue.published, start.timestamp() - _MATURE_SECONDS)
        published = bisect_left(catalogue.published, end.timestamp())
        day_fraction = (end - start).total_seconds() / _DAY_SECONDS  # 23 or 25 hours on DST changes
        growth = [total * day_fraction for total in catalogue.evergreen[mature]]
        for video in catalogue.videos[mature:published]:
            views = video.views_at(end) - video.views_at(start)
            for i, rate in enumerate(video.rates):
                growth[i] += views * rate
        values = dict(zip(_PER_VIEW, (round(g) for g in growth), strict=True))
        rng = self._rng("channel-day", channel_id, day.isoformat())
        gained = round(growth[0] * rng.uniform(0.003, 0.006) + 2 * self.scale * rng.uniform(0.5, 1.5))
        values.update(
            averageViewDuration=round(growth[5] * 60 / growth[0]) if growth[0] else 0,
            subscribersGained=gained,
            subscribersLost=round(gained * rng.uniform(0.15, 0.4)),
        )
        return values

    def analytics_ready_at(self, day: date) -> datetime:
        """When the Analytics API starts reporting Pacific `day`. Lags vary by less than a day, so
        days become ready in order."""
        low, high = ANALYTICS_LAG_HOURS
        lag = self._rng("analytics-lag", day.isoformat()).uniform(low, high)
        return self.day_start(day + timedelta(days=1), PACIFIC) + timedelta(hours=lag)

    def last_analytics_day(self, now: datetime) -> date:
        """The last complete day the Analytics API reports at `now`: where it cuts endDate back to."""
        day = now.astimezone(PACIFIC).date()
        while self.analytics_ready_at(day) > now:
            day -= timedelta(days=1)
        return day


def _three_significant_figures(count: int) -> int:
    if count < 1000:
        return count
    unit = 10 ** (len(str(count)) - 3)
    return count // unit * unit


# -- the API -----------------------------------------------------------------------------------


class GoogleError(ApiError):
    """An error the sandbox answers with, in the Google API error body shape."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        domain: str = "global",
        location: str | None = None,
        api_status: str | None = None,
        location_type: str = "parameter",
    ) -> None:
        super().__init__(status, message)
        self.reason, self.message, self.domain = reason, message, domain
        self.location, self.location_type, self.api_status = location, location_type, api_status

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"message": self.message, "domain": self.domain, "reason": self.reason}
        if self.location is not None:
            detail.update(location=self.location, locationType=self.location_type)
        error: dict[str, Any] = {"code": self.status, "message": self.message, "errors": [detail]}
        if self.api_status is not None:
            error["status"] = self.api_status
        return {"error": error}


def _unauthenticated() -> GoogleError:
    return GoogleError(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
        "valid authentication credential.",
        location="Authorization",
        location_type="header",
        api_status="UNAUTHENTICATED",
    )


def _quota_exceeded() -> GoogleError:
    return GoogleError(
        403,
        "quotaExceeded",
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">'
        "quota</a>.",
        domain="youtube.quota",
    )


def _bad_request(message: str, reason: str = "badRequest", location: str | None = None) -> GoogleError:
    return GoogleError(400, reason, message, location=location)


def _not_supported() -> GoogleError:
    return _bad_request(
        "The query is not supported. Check the documentation at "
        "https://developers.google.com/youtube/analytics/v2/available_reports for a list of supported queries."
    )


class YouTubeSandbox(PlatformSandbox[YouTubeWorld]):
    """The YouTube Data API v3 and Analytics API v2 for one `YouTubeWorld` on a loopback port.

    Calls are counted per endpoint kind (channels, playlist_items, videos, reports); "throttled"
    and "faults" count the faulted ones. Every valid token owns every channel of the world."""

    LABEL = "YouTube API sandbox"
    WORLD = YouTubeWorld
    TOKEN = DEFAULT_TOKEN
    MALFORMED_BODY = b'{"kind":"youtube#videoListResponse","items":[{"kind":"youtube#vid'

    def __init__(
        self, *, quota_units: int = DEFAULT_QUOTA_UNITS, quota_exceeded_every: int = 0, **sandbox: Any
    ) -> None:
        super().__init__(**sandbox)
        self.quota_units = quota_units
        self.quota_exceeded_every = quota_exceeded_every
        self._quota_day: date | None = None
        self._quota_used = 0

    # -- state ------------------------------------------------------------------------------

    @property
    def quota_used(self) -> int:
        """Data API units spent on the current Pacific day."""
        with self.lock:
            return self._quota_used if self._quota_day == self._pacific_today() else 0

    def _pacific_today(self) -> date:
        return self.now().astimezone(PACIFIC).date()

    def _charge(self, units: int) -> None:
        with self.lock:
            today = self._pacific_today()
            if self._quota_day != today:  # the quota resets at midnight Pacific time
                self._quota_day, self._quota_used = today, 0
            if self._quota_used + units > self.quota_units:
                raise _quota_exceeded()
            self._quota_used += units

    # -- request handling -------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        kind = _route(path)
        number = self.next_call(kind or "unknown")
        fault = self.scheduled_fault(number)
        if fault is None and every(self.quota_exceeded_every, number):
            self.count_fault()
            fault = _quota_exceeded().reply()
        if fault is not None:
            return fault
        params = dict(parse_qsl(query, keep_blank_values=True))
        if kind is None:
            raise GoogleError(404, "notFound", "Not Found")
        if _token(params, headers) not in self.valid_tokens:
            raise _unauthenticated()
        if method != "GET":
            raise GoogleError(405, "httpMethodNotAllowed", f"HTTP method {method} is not supported by this URL")
        if kind == "reports":
            return json_reply(200, self._reports(params))
        self._charge(1)  # every list call costs one unit, whatever it returns
        return json_reply(200, getattr(self, f"_{kind}")(params))

    def internal_error(self) -> Reply:
        return GoogleError(500, "backendError", "Backend Error").reply()

    def scheduled_answer(self, fault: str, number: int, **call: Any) -> Reply | None:
        if fault == "throttle":
            status, domain, reason, message = self.in_turn(_THROTTLES)
            api_status = "RESOURCE_EXHAUSTED" if status == 429 else None
            return GoogleError(status, reason, message, domain=domain, api_status=api_status).reply()
        if fault == "transient":
            return self.internal_error()
        if fault == "server_error":
            html = b"<!DOCTYPE html><html lang=en><title>Error 502 (Server Error)!!1</title><p><b>502.</b> That's an error."
            return Reply(502, html, {"Content-Type": "text/html; charset=UTF-8"})
        return super().scheduled_answer(fault, number)

    # -- Data API ---------------------------------------------------------------------------

    def _channels(self, params: dict[str, str]) -> dict[str, Any]:
        parts = _parts(params, _CHANNEL_PARTS)
        if "id" in params:
            ids = _id_list(params["id"])
        elif params.get("mine") == "true":
            ids = list(self.world.channels)[:1]
        else:
            raise _bad_request(
                "No filter selected. Expected one of: forHandle, forUsername, id, managedByMe, mine",
                reason="missingRequiredParameter",
            )
        items = [self._channel_resource(self.world.channels[i], parts) for i in ids if i in self.world.channels]
        return _list_response("youtube#channelListResponse", items, DEFAULT_MAX_RESULTS)

    def _channel_resource(self, channel: Channel, parts: set[str]) -> dict[str, Any]:
        resource: dict[str, Any] = {"kind": "youtube#channel", "etag": _etag(channel.id), "id": channel.id}
        if "snippet" in parts:
            resource["snippet"] = {
                "title": channel.title,
                "description": channel.description,
                "customUrl": channel.handle,
                "publishedAt": _google_time(self.world.day_start(self.world.start)),
                "country": "US",
            }
        if "contentDetails" in parts:
            resource["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": channel.uploads_playlist_id}}
        if "statistics" in parts:
            stats = self.world.channel_statistics(channel.id, self.now())
            resource["statistics"] = {
                "viewCount": str(stats["view_count"]),
                "subscriberCount": str(stats["subscriber_count"]),
                "hiddenSubscriberCount": False,
                "videoCount": str(stats["video_count"]),
            }
        return resource

    def _playlist_items(self, params: dict[str, str]) -> dict[str, Any]:
        parts = _parts(params, _PLAYLIST_ITEM_PARTS)
        playlist_id = params.get("playlistId")
        if not playlist_id:
            raise _bad_request("No filter selected. Expected one of: id, playlistId", reason="missingRequiredParameter")
        limit = _max_results(params)
        offset = _decode_page_token(params["pageToken"]) if params.get("pageToken") else 0
        channel = next((c for c in self.world.channels.values() if c.uploads_playlist_id == playlist_id), None)
        if channel is None:
            raise GoogleError(
                404,
                "playlistNotFound",
                "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
                domain="youtube.playlistItem",
                location="playlistId",
            )
        uploads = self.world.uploads(channel.id, self.now())
        page = uploads[offset : offset + limit]
        items = [self._playlist_item(channel, video, offset + i, parts) for i, video in enumerate(page)]
        body = _list_response("youtube#playlistItemListResponse", items, limit, total=len(uploads))
        if limit and offset + limit < len(uploads):
            body["nextPageToken"] = self.next_cursor(params.get("pageToken"), _page_token(offset + limit))
        if offset > 0:
            body["prevPageToken"] = _page_token(max(0, offset - limit))
        return body

    def _playlist_item(self, channel: Channel, video: Video, position: int, parts: set[str]) -> dict[str, Any]:
        item_id = base64.b64encode(f"{channel.uploads_playlist_id}.{video.id}".encode()).decode().rstrip("=")
        resource: dict[str, Any] = {"kind": "youtube#playlistItem", "etag": _etag(item_id), "id": item_id}
        if "snippet" in parts:
            resource["snippet"] = _video_snippet(
                video,
                channel,
                playlistId=channel.uploads_playlist_id,
                position=position,
                resourceId={"kind": "youtube#video", "videoId": video.id},
                videoOwnerChannelTitle=channel.title,
                videoOwnerChannelId=channel.id,
            )
        if "contentDetails" in parts:
            resource["contentDetails"] = {"videoId": video.id, "videoPublishedAt": _google_time(video.published_at)}
        if "status" in parts:
            resource["status"] = {"privacyStatus": "public"}
        return resource

    def _videos(self, params: dict[str, str]) -> dict[str, Any]:
        parts = _parts(params, _VIDEO_PARTS)
        if "id" not in params:
            raise _bad_request(
                "No filter selected. Expected one of: chart, id, myRating", reason="missingRequiredParameter"
            )
        ids = _id_list(params["id"])
        if len(ids) > MAX_IDS:
            raise _bad_request(
                f"The request specifies more than {MAX_IDS} video ids ({len(ids)}).",
                reason="invalidParameter",
                location="id",
            )
        now = self.now()
        videos = [v for v in (self.world.video(i, now) for i in ids) if v is not None]  # unknown ids are left out
        items = [self._video_resource(v, parts, now) for v in videos]
        return _list_response("youtube#videoListResponse", items, len(items))

    def _video_resource(self, video: Video, parts: set[str], now: datetime) -> dict[str, Any]:
        resource: dict[str, Any] = {"kind": "youtube#video", "etag": _etag(video.id), "id": video.id}
        if "snippet" in parts:
            resource["snippet"] = _video_snippet(
                video,
                self.world.channel(video.channel_id),
                categoryId="27" if video.campaign_id is None else "26",  # Education, Howto & Style
                liveBroadcastContent="none",
            )
        if "contentDetails" in parts:
            minutes, seconds = divmod(video.duration_seconds, 60)
            duration = f"PT{minutes}M{seconds}S" if minutes else f"PT{seconds}S"
            resource["contentDetails"] = {"duration": duration, "dimension": "2d", "definition": "hd"}
        if "statistics" in parts:
            stats = self.world.video_statistics(video, now)
            statistics = {"viewCount": str(stats["view_count"])}
            if stats["like_count"] is not None:
                statistics["likeCount"] = str(stats["like_count"])
            statistics["favoriteCount"] = "0"
            if stats["comment_count"] is not None:
                statistics["commentCount"] = str(stats["comment_count"])
            resource["statistics"] = statistics
        if "status" in parts:
            resource["status"] = {"uploadStatus": "processed", "privacyStatus": "public", "embeddable": True}
        return resource

    # -- Analytics API ----------------------------------------------------------------------

    def _reports(self, params: dict[str, str]) -> dict[str, Any]:
        for name in ("ids", "startDate", "endDate", "metrics"):
            if not params.get(name):
                raise _bad_request("Required", reason="required", location=name)
        channel = self._report_channel(params["ids"])
        start, end = _report_date(params, "startDate"), _report_date(params, "endDate")
        if start > end:
            raise _bad_request("The start date must be on or before the end date.", location="startDate")
        metrics = [m.strip() for m in params["metrics"].split(",")]
        for metric in metrics:
            if metric not in ANALYTICS_METRICS:
                raise _bad_request(f"Unknown identifier ({metric}) given in field parameters.metrics.")
        dimensions = [d.strip() for d in params.get("dimensions", "").split(",") if d.strip()]
        if dimensions not in ([], ["day"]) or params.get("filters"):
            raise _not_supported()
        # endDate is cut back silently to the last day the API has complete data for.
        last = min(end, self.world.last_analytics_day(self.now()))
        first = max(start, self.world.start)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        headers = [_column("day", "DIMENSION", "STRING")] if dimensions else []
        headers += [_column(m, "METRIC", "INTEGER") for m in metrics]
        if dimensions:
            values = [self.world.channel_day(channel.id, d) for d in days]
            rows = [[d.isoformat(), *(v[m] for m in metrics)] for d, v in zip(days, values, strict=True)]
            if params.get("sort") == "-day":
                rows.reverse()
        else:
            rows = [self._totals(channel, days, metrics)] if days else []
        body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers}
        if rows:  # like the API: no rows key when nothing matched
            body["rows"] = rows
        return body

    def _report_channel(self, ids: str) -> Channel:
        kind, _, value = ids.partition("==")
        if kind != "channel" or not value:
            raise _bad_request(f"Invalid value '{ids}'. Expected channel==MINE or channel==CHANNEL_ID.", location="ids")
        if value == "MINE":
            return next(iter(self.world.channels.values()))
        if value not in self.world.channels:
            raise GoogleError(403, "forbidden", "Forbidden")  # not a channel the token's user owns
        return self.world.channels[value]

    def _totals(self, channel: Channel, days: list[date], metrics: list[str]) -> list[int]:
        per_day = [self.world.channel_day(channel.id, d) for d in days]
        sums = {m: sum(v[m] for v in per_day) for m in ANALYTICS_METRICS}
        minutes, views = sums["estimatedMinutesWatched"], sums["views"]
        sums["averageViewDuration"] = round(minutes * 60 / views) if views else 0
        return [sums[m] for m in metrics]


def _route(path: str) -> str | None:
    """The endpoint kind a path addresses (what calls are counted under), or None."""
    path = path.rstrip("/")
    if path == REPORTS_PATH:
        return "reports"
    return {
        f"{DATA_PREFIX}/channels": "channels",
        f"{DATA_PREFIX}/playlistItems": "playlist_items",
        f"{DATA_PREFIX}/videos": "videos",
    }.get(path)


def _token(params: dict[str, str], headers: dict[str, str]) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return params.get("access_token")


def _parts(params: dict[str, str], allowed: frozenset[str]) -> set[str]:
    if not params.get("part"):
        raise _bad_request("Required parameter: part", reason="required", location="part")
    parts = {p.strip() for p in params["part"].split(",") if p.strip()}
    unknown = sorted(parts - allowed)
    if unknown:
        raise GoogleError(400, "unknownPart", f"'{unknown[0]}'", domain="youtube.part", location="part")
    return parts


def _id_list(raw: str) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in raw.split(",") if i.strip()))


def _max_results(params: dict[str, str]) -> int:
    raw = params.get("maxResults", str(DEFAULT_MAX_RESULTS))
    if not raw.isdigit() or int(raw) > MAX_RESULTS:
        raise _bad_request(
            f"Invalid value '{raw}'. Values must be within the range: [0, {MAX_RESULTS}]",
            reason="invalidParameter",
            location="maxResults",
        )
    return int(raw)


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"PT:{offset}".encode()).decode().rstrip("=")


def _decode_page_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, offset = text.partition(":")
        if prefix == "PT" and offset.isdigit():
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise GoogleError(
        400,
        "invalidPageToken",
        "The request specifies an invalid page token.",
        domain="youtube.parameter",
        location="pageToken",
    )


def _report_date(params: dict[str, str], name: str) -> date:
    try:
        return date.fromisoformat(params[name])
    except ValueError:
        raise _bad_request(f"Invalid value '{params[name]}'. Expected a date as YYYY-MM-DD.", location=name) from None


def _column(name: str, column_type: str, data_type: str) -> dict[str, str]:
    return {"name": name, "columnType": column_type, "dataType": data_type}


def _list_response(kind: str, items: list[dict[str, Any]], per_page: int, total: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "etag": _etag(json.dumps(items, sort_keys=True))}
    body["pageInfo"] = {"totalResults": len(items) if total is None else total, "resultsPerPage": per_page}
    if items:  # like the API: no items key when nothing matched
        body["items"] = items
    return body


def _etag(seed: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha1(seed.encode()).digest()[:20]).decode().rstrip("=")


def _google_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _video_snippet(video: Video, channel: Channel, **more: Any) -> dict[str, Any]:
    """A video's snippet (in a videos or a playlistItems answer), `more` after what both have."""
    return {
        "publishedAt": _google_time(video.published_at),
        "channelId": channel.id,
        "title": video.title,
        "description": video.description,
        "thumbnails": _thumbnails(video.id),
        "channelTitle": channel.title,
        **more,
    }


def _thumbnails(video_id: str) -> dict[str, Any]:
    sizes = {"default": (120, 90), "medium": (320, 180), "high": (480, 360)}
    name = {"default": "default", "medium": "mqdefault", "high": "hqdefault"}
    return {
        size: {"url": f"https://i.ytimg.com/vi/{video_id}/{name[size]}.jpg", "width": w, "height": h}
        for size, (w, h) in sizes.items()
    }


# -- call budget -------------------------------------------------------------------------------


def minimum_calls(
    world: YouTubeWorld,
    now: datetime,
    source: YouTube,
    windows: Windows,
    partition_date: date,
    has_history: bool,
) -> dict[str, int]:
    """The fewest calls one run over every configured channel needs: one channels call, the upload
    pages up to the first video older than the window (newest first, 50 a page), the window's
    videos in batches of `video_batch_size`, and one report (any date range fits one call)."""
    window = posts_window(windows, has_history, partition_date)
    since = world.day_start(window.start)
    calls = {"channels": 0, "playlist_items": 0, "videos": 0, "reports": 0}
    for account in source.accounts:
        uploads = world.uploads(account.id, now)
        first_older = next((i for i, v in enumerate(uploads) if v.published_at < since), None)
        listed = len(world.videos(account.id, window.start, window.end, now))
        calls["channels"] += 1
        if first_older is None:
            calls["playlist_items"] += max(1, math.ceil(len(uploads) / MAX_RESULTS))
        else:
            calls["playlist_items"] += first_older // MAX_RESULTS + 1
        calls["videos"] += math.ceil(listed / source.video_batch_size)
        calls["reports"] += 1
    return calls


# -- registry ----------------------------------------------------------------------------------


def _from_registry(world_seed: int, scale: float, now: datetime | None, **options: Any) -> YouTubeSandbox:
    return YouTubeSandbox(world=YouTubeWorld(seed=world_seed, scale=scale), now=now, **options)


register("youtube", _from_registry, "valid_tokens", "quota_units", "quota_exceeded_every")
