"""LinkedIn company pages (Community Management API): daily organisation statistics, follower count,
and the page's posts.

Entities (shapes below), all keyed by the organisation id (the number in
`urn:li:organization:<id>`):
- `organization_daily`: one row per metric and day. From the share statistics finder:
  impressionCount, uniqueImpressionsCount, clickCount, likeCount, commentCount, shareCount (the
  `engagement` rate is left out: it is derived from the counts); from the follower statistics
  finder: organicFollowerGain, paidFollowerGain. `date` is the UTC day a value measures: LinkedIn
  cuts statistics at UTC midnight, not at the organisation's local midnight. A metric the API leaves
  out of a day is landed as NULL, never 0.
- `network_sizes`: the follower count (`firstDegreeSize`) as read on the run, `as_of_date` = the
  partition date.
- `posts`: posts published on the local days of the extraction window: the post URN
  (urn:li:share:… or urn:li:ugcPost:…), when it was published, and its commentary as LinkedIn
  stores it (little text format, e.g. `{hashtag|\\#|Nursing}`).

LinkedIn's statistics are final only `statistics_lag_days` after a day ends and are kept for 12
months, and the API refuses a range that breaks either rule: the statistics window is the
extraction window moved back by the lag, and a backfill is cut at 12 months with a warning. One
share and one follower statistics call cover the whole window. Posts are read newest first by
`lastModifiedAt` (which is never earlier than the publishing time), 100 a page, and paging stops
at the first post last modified before the window.

Rate limits are not published: a throttle is a bare HTTP 429 with no wait advice, so it is retried
with exponential backoff by the shared loop instead of failing the run. A sunset API version (426)
fails at once with the config key to bump. `fetch` reads everything before the extract runner
(`nightly.extract`) lands anything; `SPEC` declares the source."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pyarrow as pa
import requests
from pydantic import Field

from core.contract import account_daily_schema, account_snapshot_schema
from core.settings import ApiSourceSettings, ConfigError, HttpSettings
from core.windows import DateWindow
from extractors.answers import reported_count
from extractors.http import (
    ApiClient,
    ApiEndpoint,
    ApiError,
    Cursor,
    InvalidParameterError,
    PermissionDeniedError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
)
from extractors.spec import ApiSource, Connection, Extraction

logger = logging.getLogger(__name__)

SOURCE = "linkedin"
PLATFORM = "LinkedIn Community Management API"
TOKEN_KIND = "LinkedIn access token (3-legged OAuth; access tokens expire after 60 days)"
VERSION_CONFIG_KEY = "sources.linkedin.api_version"
RESTLI_PROTOCOL_VERSION = "2.0.0"

SHARE_METRICS = ("impressionCount", "uniqueImpressionsCount", "clickCount", "likeCount", "commentCount", "shareCount")
FOLLOWER_METRICS = ("organicFollowerGain", "paidFollowerGain")
POSTS_PER_PAGE = 100
# The statistics finders serve a rolling 12-month window.
STATISTICS_HISTORY_DAYS = 365
EDGE_TYPE = "COMPANY_FOLLOWED_BY_MEMBER"

# 65600 invalid, 65601 revoked, 65602 expired, 65604 empty token.
_TOKEN_CODES = frozenset({"INVALID_ACCESS_TOKEN", "REVOKED_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN", "EMPTY_ACCESS_TOKEN"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LinkedIn(ApiSourceSettings):
    # The LinkedIn-Version header (YYYYMM). Versions are sunset after about a year: bump it here.
    api_version: Annotated[str, Field(pattern=r"^\d{6}$")]
    # Statistics are complete only up to two days ago (end <= now - 2 days).
    statistics_lag_days: int = Field(default=2, ge=2, le=30)


# metric: impressionCount, uniqueImpressionsCount, clickCount, likeCount, commentCount, shareCount,
# organicFollowerGain, paidFollowerGain
LINKEDIN_ORGANIZATION_DAILY = account_daily_schema("organization_id")
LINKEDIN_NETWORK_SIZES = account_snapshot_schema("organization_id", ["follower_count"])
LINKEDIN_POSTS = pa.schema(
    [
        pa.field("organization_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),  # urn:li:share:… or urn:li:ugcPost:…
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("commentary", pa.string()),
    ]
)
# In landing order.
ENTITIES = {
    "organization_daily": LINKEDIN_ORGANIZATION_DAILY,
    "network_sizes": LINKEDIN_NETWORK_SIZES,
    "posts": LINKEDIN_POSTS,
}


class ApiVersionNotActiveError(ApiError, ConfigError):
    """LinkedIn no longer serves the configured API version (HTTP 426 NONEXISTENT_VERSION).

    A configuration error as much as an API error: only a new version in the config fixes it, so
    neither the HTTP loop nor the orchestrator retries it."""


class LinkedInClient(ApiClient):
    """Calls to `https://api.linkedin.com/rest` with the version and Rest.li headers on every request.

    The API sends no usage or rate-limit headers, so `observe` keeps the default (never pace): a
    429 is backed off exponentially by the shared loop, or for Retry-After seconds if one is sent."""

    def __init__(
        self,
        endpoint: ApiEndpoint,
        settings: HttpSettings,
        api_version: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Named in error messages: whichever way the endpoint was built, this is LinkedIn's API and token.
        endpoint = replace(endpoint, platform=PLATFORM, token_kind=TOKEN_KIND)
        super().__init__(
            endpoint,
            settings,
            sleep=sleep,
            headers={"LinkedIn-Version": api_version, "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION},
        )
        self.api_version = api_version

    def get(self, path: str, params: list[tuple[str, Any]] | Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params)

    def error_for(self, response: requests.Response, body: Any, path: str) -> ApiError | None:
        status = response.status_code
        if status < 400:
            return None
        fields = body if isinstance(body, dict) else {}
        code = fields.get("code")
        service_code = fields.get("serviceErrorCode")
        message = str(fields.get("message") or f"HTTP {status}")
        codes = "/".join(str(c) for c in (code, service_code) if c is not None) or str(status)
        text = f"GET {path}: HTTP {status} {codes}: {message}"
        if status == 401 or code in _TOKEN_CODES:
            cls: type[ApiError] = TokenExpiredError
        elif status == 426 or code == "NONEXISTENT_VERSION":
            cls = ApiVersionNotActiveError
            text = (
                f"GET {path}: LinkedIn no longer serves API version {self.api_version} ({message}): "
                f"bump linkedin api version in config: set {VERSION_CONFIG_KEY} to a current YYYYMM version "
                "(LinkedIn keeps each monthly version for about a year)"
            )
        elif status == 403:
            cls = PermissionDeniedError
            text += (
                f" (the member who authorised connection '{self.endpoint.connection_id}' must be an ADMINISTRATOR "
                "of the page, with the rw_organization_admin and r_organization_social scopes)"
            )
        elif status == 429:
            cls = ThrottledError
        elif status >= 500:
            cls = TransientError
        elif status == 400:
            cls = InvalidParameterError
        else:
            cls = ApiError
        return cls(
            text,
            message=message,
            code=code if code is not None else status,
            subcode=service_code if isinstance(service_code, int) else None,
            path=path,
            http_status=status,
            wait_seconds=_retry_after(response) if status == 429 else 0.0,
        )


def _retry_after(response: requests.Response) -> float:
    # Not documented for LinkedIn; honoured if it ever comes.
    raw = response.headers.get("Retry-After", "")
    return float(raw) if raw.strip().isdigit() else 0.0


def organization_urn(organization_id: str) -> str:
    return f"urn:li:organization:{organization_id}"


def _epoch_ms(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(milliseconds=1)


def _utc_midnight_ms(day: date) -> int:
    return _epoch_ms(datetime.combine(day, clock_time(), tzinfo=UTC))


def _instant(ms: Any, what: str) -> datetime:
    if isinstance(ms, bool) or not isinstance(ms, int):
        raise ValueError(f"{what}: expected epoch milliseconds, got {ms!r}")
    return _EPOCH + timedelta(seconds=ms // 1000)  # the landing schema keeps whole seconds


_count = partial(reported_count, expected="a count")


def statistics_window(window: DateWindow, lag_days: int, now: datetime) -> DateWindow | None:
    """The UTC days whose statistics a run reads: `window` moved back by the lag, cut to the days
    that are final at `now` and to the API's 12-month range; None when nothing is left."""
    now = now.astimezone(UTC)
    last_final = (now - timedelta(days=lag_days)).date() - timedelta(days=1)
    earliest = (now - timedelta(days=STATISTICS_HISTORY_DAYS)).date() + timedelta(days=1)
    start = window.start - timedelta(days=lag_days)
    end = min(window.end - timedelta(days=lag_days), last_final)
    if start < earliest:
        logger.warning("LinkedIn keeps statistics for 12 months only: reading from %s instead of %s", earliest, start)
        start = earliest
    return DateWindow(start, end) if start <= end else None


def _time_interval_params(organization_id: str, window: DateWindow) -> list[tuple[str, Any]]:
    return [
        ("q", "organizationalEntity"),
        ("organizationalEntity", organization_urn(organization_id)),
        ("timeIntervals.timeGranularityType", "DAY"),
        ("timeIntervals.timeRange.start", _utc_midnight_ms(window.start)),
        ("timeIntervals.timeRange.end", _utc_midnight_ms(window.end + timedelta(days=1))),
    ]


def _daily_rows(
    body: dict[str, Any], organization_id: str, window: DateWindow, block: str, metrics: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    for element in body.get("elements", []):
        day = _instant((element.get("timeRange") or {}).get("start"), f"{organization_id} timeRange.start").date()
        if not window.start <= day <= window.end:
            continue
        values = element.get(block) or {}
        for metric in metrics:
            yield {
                "organization_id": organization_id,
                "metric": metric,
                "date": day,
                "value": _count(values.get(metric), f"{organization_id} {metric} {day}"),
            }


def share_statistics(client: LinkedInClient, organization_id: str, window: DateWindow) -> Iterator[dict[str, Any]]:
    """The page's organic share statistics, one record per metric and UTC day of `window`."""
    body = client.get("/organizationalEntityShareStatistics", _time_interval_params(organization_id, window))
    yield from _daily_rows(body, organization_id, window, "totalShareStatistics", SHARE_METRICS)


def follower_statistics(client: LinkedInClient, organization_id: str, window: DateWindow) -> Iterator[dict[str, Any]]:
    """Organic and paid follower gains, one record per metric and UTC day of `window`."""
    body = client.get("/organizationalEntityFollowerStatistics", _time_interval_params(organization_id, window))
    yield from _daily_rows(body, organization_id, window, "followerGains", FOLLOWER_METRICS)


def network_size(client: LinkedInClient, organization_id: str, as_of: date) -> dict[str, Any]:
    """The page's follower count as the API reports it now."""
    # Rest.li 2.0 wants the URN in the path encoded.
    urn = organization_urn(organization_id).replace(":", "%3A")
    body = client.get(f"/networkSizes/{urn}", [("edgeType", EDGE_TYPE)])
    return {
        "organization_id": organization_id,
        "as_of_date": as_of,
        "follower_count": _count(body.get("firstDegreeSize"), f"{organization_id} firstDegreeSize"),
    }


def posts(client: LinkedInClient, organization_id: str, window: DateWindow, tz: ZoneInfo) -> Iterator[dict[str, Any]]:
    """Posts published on the local days of `window`, newest first."""
    since = datetime.combine(window.start, clock_time(), tzinfo=tz)
    until = datetime.combine(window.end + timedelta(days=1), clock_time(), tzinfo=tz)
    query = [("author", organization_urn(organization_id)), ("q", "author"), ("sortBy", "LAST_MODIFIED")]
    pages = client.pages(
        "/posts",
        lambda start: client.get("/posts", [*query, ("count", POSTS_PER_PAGE), ("start", start or 0)]),
        _next_start,
    )
    for page in pages:
        elements = page.get("elements") or []
        reached_older = False
        for post in elements:
            urn = post.get("id", "?")
            modified = _instant(post.get("lastModifiedAt"), f"{urn} lastModifiedAt")
            reached_older = reached_older or modified < since
            if post.get("publishedAt") is None:
                continue  # a draft or a scheduled post: not published yet
            published = _instant(post["publishedAt"], f"{urn} publishedAt")
            if since <= published < until:
                yield {
                    "organization_id": organization_id,
                    "post_id": urn,
                    "created_time": published,
                    "commentary": post.get("commentary"),
                }
        if reached_older:
            return


def _next_start(page: dict[str, Any], start: Cursor | None) -> int | None:
    """Where the page after `page` (read from `start`) starts, None after the last: the `start` of
    its `next` link, which is the API's own word for it, else counted on from `start`."""
    elements = page.get("elements") or []
    if not elements:
        return None
    paging = page.get("paging") or {}
    for link in paging.get("links") or []:
        if link.get("rel") == "next":
            linked = dict(parse_qsl(urlsplit(str(link.get("href") or "")).query)).get("start", "")
            if linked.isdigit():
                return int(linked)
            break
    next_start = int(start or 0) + len(elements)
    total = paging.get("total")
    if isinstance(total, int):
        return next_start if next_start < total else None
    # Neither a link nor a total: a full page may have more behind it.
    return next_start if len(elements) >= POSTS_PER_PAGE else None


def fetch(night: Extraction) -> dict[str, list[dict[str, Any]]]:
    """Fetch one LinkedIn page's three entities for `night.day`.

    The first run for a page backfills `windows.backfill_days`; later runs re-read
    `windows.lookback_days`. Posts cover the local days of that window; statistics the UTC days of
    it moved back by `statistics_lag_days` (see `statistics_window`)."""
    organization_id, settings = night.account.id, night.settings
    window = night.window()
    stats_window = statistics_window(window, settings.statistics_lag_days, night.ctx.extracted_at)
    logger.info(
        "LinkedIn page %s (%s): statistics %s (UTC days), posts %s..%s",
        organization_id,
        night.account.name,
        f"{stats_window.start}..{stats_window.end}" if stats_window else "none",
        window.start,
        window.end,
    )
    with LinkedInClient(night.endpoint, night.http, settings.api_version, sleep=night.sleep) as client:
        daily_rows = []
        if stats_window is not None:
            daily_rows += share_statistics(client, organization_id, stats_window)
            daily_rows += follower_statistics(client, organization_id, stats_window)
        size_rows = [network_size(client, organization_id, night.day)]
        post_rows = list(posts(client, organization_id, window, night.tz))
    return {"organization_daily": daily_rows, "network_sizes": size_rows, "posts": post_rows}


SPEC = ApiSource(
    SOURCE,
    LinkedIn,
    ENTITIES,
    fetch,
    history_entity="organization_daily",
    connection=Connection("LinkedIn API", "access token"),
    sandbox="linkedin",
)
