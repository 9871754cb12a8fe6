"""YouTube: channel statistics, the uploads playlist, nightly video statistics, and the Analytics
API's daily channel report.

Each entity is a generator of records in the shape of the schemas below; `fetch` reads all four for
one channel and the extract runner (`nightly.extract`) lands them only once every call has
succeeded, so a failed run (an expired token, a spent quota) leaves the previous partitions as they
were. `SPEC` declares the source: its config section, entities, suites and sandbox.

The Data API has a daily quota (10,000 units, 1 per list call), so calls are kept to the minimum
the API allows: videos are enumerated from the uploads playlist, 50 a page, newest first, and the
paging stops at the first video older than the window (never `search.list`, which costs 100 units
a call); statistics are read for up to 50 videos a call. A spent quota stops this source with a
message saying when it resets; it is not retried.

Endpoints: the connection's host is the Data API host (`https://www.googleapis.com`), its extra's
`analytics_base_url` the Analytics API host (`https://youtubeanalytics.googleapis.com`, the
default); paths are the APIs' own (`/youtube/v3/...`, `/v2/reports`). Analytics days are Pacific
days, as YouTube Analytics reports them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import requests
from pydantic import Field

from core.contract import account_daily_schema, account_snapshot_schema, post_snapshot_schema
from core.settings import ApiSourceSettings, Identifier
from core.windows import DateWindow
from extractors.http import (
    ApiClient,
    ApiError,
    InvalidParameterError,
    QuotaExceededError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    status_error,
)
from extractors.spec import ApiSource, Connection, Extraction

logger = logging.getLogger(__name__)

SOURCE = "youtube"
DATA_API = "/youtube/v3"
REPORTS_PATH = "/v2/reports"
ANALYTICS_BASE_URL = "https://youtubeanalytics.googleapis.com"
ITEMS_PER_PAGE = 50
# The Analytics API reports a day only 2-3 days after it ends. Later runs start the report this
# many days before the lookback window, so a day still missing at one run is read by the next;
# a report of any length is one call.
ANALYTICS_LAG_DAYS = 3
PACIFIC = ZoneInfo("America/Los_Angeles")
# Named in the re-authorise message: one token must read both APIs.
TOKEN_KIND = "Google OAuth token (scopes youtube.readonly and yt-analytics.readonly)"
# Landed metric name -> videos.list statistics field (a string; left out when hidden or disabled).
VIDEO_STATISTICS = {"view_count": "viewCount", "like_count": "likeCount", "comment_count": "commentCount"}
CHANNEL_STATISTICS = {"view_count": "viewCount", "subscriber_count": "subscriberCount", "video_count": "videoCount"}

_TOKEN_REASONS = frozenset({"authError", "unauthorized", "invalidCredentials"})
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_THROTTLE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_TRANSIENT_REASONS = frozenset({"backendError", "internalError"})
_UNKNOWN_METRIC = re.compile(r"Unknown identifier \(([^)]+)\) given in field parameters\.metrics")


class YouTube(ApiSourceSettings):
    # videos.list takes at most 50 ids; playlistItems at most 50 a page.
    video_batch_size: int = Field(default=50, ge=1, le=50)
    analytics_metrics: list[Identifier] = Field(min_length=1)


YOUTUBE_CHANNELS = account_snapshot_schema("channel_id", list(CHANNEL_STATISTICS))
YOUTUBE_VIDEOS = pa.schema(
    [
        pa.field("channel_id", pa.string(), nullable=False),
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),  # publishedAt
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
    ]
)
# metric: one of VIDEO_STATISTICS (videos.list statistics)
YOUTUBE_VIDEO_SNAPSHOTS = post_snapshot_schema("channel_id", "video_id")
# metric: the Analytics API report's columns (views, likes, shares, comments, subscribersGained, ...)
YOUTUBE_CHANNEL_DAILY = account_daily_schema("channel_id")
# What the source lands, in landing order.
ENTITIES = {
    "channels": YOUTUBE_CHANNELS,
    "videos": YOUTUBE_VIDEOS,
    "video_snapshots": YOUTUBE_VIDEO_SNAPSHOTS,
    "channel_daily": YOUTUBE_CHANNEL_DAILY,
}


class YouTubeClient(ApiClient):
    """Google's error bodies: `{"error": {"code", "message", "errors": [{"domain", "reason"}]}}`.

    Retries are keyed on `reason`, not the HTTP status: 403 is a rate limit (retry), a spent daily
    quota (stop until midnight Pacific) or a missing permission (stop) depending on it."""

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.request("GET", path, params)

    def error_for(self, response: requests.Response, body: Any, path: str) -> ApiError | None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        details = [d for d in error.get("errors") or [] if isinstance(d, dict)]
        reasons = {str(d.get("reason")) for d in details}
        reason = str(details[0].get("reason")) if details else str(error.get("status") or response.status_code)
        message = str(error.get("message") or "no message")
        status = response.status_code
        text = f"GET {path}: {message} (HTTP {status}, reason {reason})"
        if status == 401 or reasons & _TOKEN_REASONS:
            cls: type[ApiError] = TokenExpiredError
        elif reasons & _QUOTA_REASONS:
            cls, text = QuotaExceededError, self._quota_message(message)
        elif reasons & _THROTTLE_REASONS or status == 429:
            cls = ThrottledError
        elif reasons & _TRANSIENT_REASONS:
            cls = TransientError
        else:
            cls = status_error(status)
        return cls(text, message=message, code=reason, path=path, http_status=status)

    def _quota_message(self, message: str) -> str:
        now = datetime.now(PACIFIC)
        reset = datetime.combine(now.date() + timedelta(days=1), clock_time(), tzinfo=PACIFIC)
        return (
            f"{self.endpoint.platform} daily quota exhausted for connection {self.endpoint.connection_id}; "
            f"it resets at midnight Pacific time — rerun the task after that (next reset "
            f"{reset.astimezone(UTC):%Y-%m-%d %H:%M} UTC). The API said: {message}"
        )


def _count(value: Any, what: str) -> int | None:
    """A count the API sends as a decimal string (Data API) or a number (Analytics); None if absent."""
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    raise ValueError(f"{what}: expected a whole count, got {value!r}")


def _google_time(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def channel(client: YouTubeClient, channel_id: str, as_of: date) -> tuple[dict[str, Any], str]:
    """The channel's statistics as of tonight, and its uploads playlist id."""
    body = client.get(f"{DATA_API}/channels", {"part": "statistics,contentDetails", "id": channel_id})
    items = [i for i in body.get("items", []) if i.get("id") == channel_id]
    if not items:
        raise ApiError(
            f"YouTube channel {channel_id} was not found (connection {client.endpoint.connection_id}): "
            "check the channel id in sources.youtube.accounts.",
            path=f"{DATA_API}/channels",
        )
    stats = items[0].get("statistics") or {}
    row = {"channel_id": channel_id, "as_of_date": as_of}
    row.update({name: _count(stats.get(field), f"{channel_id} {field}") for name, field in CHANNEL_STATISTICS.items()})
    return row, items[0]["contentDetails"]["relatedPlaylists"]["uploads"]


def videos(
    client: YouTubeClient, channel_id: str, uploads_playlist_id: str, window: DateWindow, tz: ZoneInfo
) -> Iterator[dict[str, Any]]:
    """The channel's videos published on the local days of `window`, newest first."""
    since = datetime.combine(window.start, clock_time(), tzinfo=tz)
    until = datetime.combine(window.end + timedelta(days=1), clock_time(), tzinfo=tz)
    params = {
        "part": "contentDetails,snippet",
        "playlistId": uploads_playlist_id,
        "maxResults": ITEMS_PER_PAGE,
    }
    seen: set[str] = set()
    path = f"{DATA_API}/playlistItems"
    pages = client.pages(
        path,
        lambda token: client.get(path, params if token is None else {**params, "pageToken": token}),
        lambda page, _: page.get("nextPageToken"),
        items=lambda page: page.get("items"),
    )
    for page in pages:
        for item in page.get("items", []):
            details, snippet = item.get("contentDetails") or {}, item.get("snippet") or {}
            if not _playable(item, details, snippet, uploads_playlist_id):
                continue
            published = _google_time(details["videoPublishedAt"])
            if published < since:
                return  # uploads are newest first: everything after this is older still
            # A video published while paging shifts the pages by one: the same item comes twice.
            if published >= until or details["videoId"] in seen:
                continue
            seen.add(details["videoId"])
            yield {
                "channel_id": channel_id,
                "video_id": details["videoId"],
                "created_time": published,
                "title": snippet.get("title"),
                "description": snippet.get("description"),
            }


def _playable(item: dict[str, Any], details: dict[str, Any], snippet: dict[str, Any], playlist_id: str) -> bool:
    """Whether a playlist item is a video the channel's audience can see. A private or deleted video
    stays in the uploads playlist with its snippet title "Private video" / "Deleted video" and no
    `contentDetails` (or one without `videoPublishedAt`): it is skipped, with a warning."""
    if details.get("videoId") and details.get("videoPublishedAt"):
        return True
    logger.warning(
        "YouTube playlist %s: skipping item %s (video %s, %r): no contentDetails.videoPublishedAt, the video is "
        "private or deleted",
        playlist_id,
        item.get("id"),
        details.get("videoId") or (snippet.get("resourceId") or {}).get("videoId"),
        snippet.get("title"),
    )
    return False


def video_snapshots(
    client: YouTubeClient, video_records: Iterable[dict[str, Any]], batch_size: int, as_of: date
) -> Iterator[dict[str, Any]]:
    """Each video's lifetime statistics as seen tonight, `batch_size` videos a call."""
    records = list(video_records)
    for start in range(0, len(records), batch_size):
        batch = {r["video_id"]: r for r in records[start : start + batch_size]}
        body = client.get(f"{DATA_API}/videos", {"part": "statistics", "id": ",".join(batch)})
        found = {item["id"]: item.get("statistics") or {} for item in body.get("items", [])}
        for video_id, record in batch.items():
            if video_id not in found:
                logger.warning("YouTube video %s is no longer available (deleted or private): no snapshot", video_id)
                continue
            for metric, field in VIDEO_STATISTICS.items():
                yield {
                    "channel_id": record["channel_id"],
                    "video_id": video_id,
                    "created_time": record["created_time"],
                    "as_of_date": as_of,
                    "metric": metric,
                    "value": _count(found[video_id].get(field), f"{video_id} {field}"),
                }


def channel_daily(
    client: YouTubeClient, channel_id: str, metrics: list[str], window: DateWindow
) -> Iterator[dict[str, Any]]:
    """The Analytics API's daily report for the (Pacific) days of `window` it has complete data for,
    one record per metric and day. A metric the API does not know is dropped with a warning."""
    metrics = list(dict.fromkeys(metrics))
    while True:
        params = {
            "ids": f"channel=={channel_id}",  # not MINE: a token of another channel must fail, not mislead
            "startDate": window.start.isoformat(),
            "endDate": window.end.isoformat(),
            "metrics": ",".join(metrics),
            "dimensions": "day",
            "sort": "day",
        }
        try:
            body = client.get(REPORTS_PATH, params)
            break
        except InvalidParameterError as exc:
            unknown = _UNKNOWN_METRIC.search(exc.message)
            if unknown is None or unknown.group(1) not in metrics or len(metrics) == 1:
                raise
            metrics.remove(unknown.group(1))
            logger.warning(
                "YouTube channel %s: dropping metric %r for this run: the Analytics API does not know it (%s). "
                "Remove or rename it in sources.youtube.analytics_metrics.",
                channel_id,
                unknown.group(1),
                exc.message,
            )
    # Columns are read by name from the headers, never by position.
    headers = [(h["name"], h.get("columnType")) for h in body.get("columnHeaders", [])]
    names = [name for name, _ in headers]
    if "day" not in names:
        raise ApiError(f"GET {REPORTS_PATH}: the report has no day column (headers: {names})", path=REPORTS_PATH)
    day_index = names.index("day")
    metric_columns = [(i, name) for i, (name, kind) in enumerate(headers) if kind == "METRIC"]
    for row in body.get("rows") or []:
        day = date.fromisoformat(row[day_index])
        for i, metric in metric_columns:
            yield {
                "channel_id": channel_id,
                "metric": metric,
                "date": day,
                "value": _count(row[i], f"{channel_id} {metric} {day}"),
            }


def fetch(night: Extraction) -> dict[str, list[dict[str, Any]]]:
    """Fetch one channel's four entities for `night.day`.

    The first run for a channel backfills `windows.backfill_days`; later runs re-read
    `windows.lookback_days` (the daily report `ANALYTICS_LAG_DAYS` more). Videos are listed, and
    snapshotted, over the longer of that window and the last `windows.post_snapshot_days` days."""
    channel_id, settings, day, endpoint = night.account.id, night.settings, night.day, night.endpoint
    window = night.window()
    videos_window = DateWindow(min(window.start, day - timedelta(days=night.windows.post_snapshot_days - 1)), day)
    report_start = window.start - timedelta(days=ANALYTICS_LAG_DAYS) if night.has_history else window.start
    report_window = DateWindow(report_start, day)
    logger.info(
        "YouTube channel %s (%s): videos %s..%s, daily report %s..%s",
        channel_id,
        night.account.name,
        videos_window.start,
        videos_window.end,
        report_window.start,
        report_window.end,
    )
    data_endpoint = replace(endpoint, platform="YouTube Data API", token_kind=TOKEN_KIND)
    analytics_endpoint = replace(
        data_endpoint,
        base_url=str(endpoint.extra.get("analytics_base_url") or ANALYTICS_BASE_URL),
        platform="YouTube Analytics API",
    )
    with (
        YouTubeClient(data_endpoint, night.http, sleep=night.sleep) as data,
        YouTubeClient(analytics_endpoint, night.http, sleep=night.sleep) as analytics,
    ):
        channel_row, uploads = channel(data, channel_id, day)
        video_rows = list(videos(data, channel_id, uploads, videos_window, night.tz))
        snapshot_rows = list(video_snapshots(data, video_rows, settings.video_batch_size, day))
        daily_rows = list(channel_daily(analytics, channel_id, list(settings.analytics_metrics), report_window))
    return {
        "channels": [channel_row],
        "videos": video_rows,
        "video_snapshots": snapshot_rows,
        "channel_daily": daily_rows,
    }


SPEC = ApiSource(
    SOURCE,
    YouTube,
    ENTITIES,
    fetch,
    history_entity="channel_daily",
    connection=Connection("YouTube Data API", "OAuth access token"),
    sandbox="youtube",
)
