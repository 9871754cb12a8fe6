"""X (API v2): the account's public metrics, its posts, and nightly snapshots of post public metrics.

Each entity is a generator of records in the shape of the schemas below; `fetch` reads all three for
one account and the extract runner (`nightly.extract`) lands them only once every call has
succeeded, so a failed run (a revoked token, say) leaves the previous partitions as they were.
`SPEC` declares the source: its config section, entities, suites and sandbox.

Calls are kept to the minimum the API allows. The owned timeline is read only over the extraction
window, 100 posts a page, and its posts come with their public metrics; the younger posts landed on
earlier nights are known from the landing zone and refreshed through the multi-id lookup, 100 ids a
call, instead of re-reading the timeline. Posts deleted since they were landed come back from the
lookup as partial errors: they are logged and skipped.

Only the 3,200 most recent posts of an account are reachable through the timeline: a backfill
reaching further back than that gets nothing older (a warning says so when a read comes close).

Rate limits are 15-minute windows per endpoint, reported in `x-rate-limit-*` headers. A 429 is
retried after waiting until the window's reset; when a call leaves nothing of its window, the next
call to that endpoint waits until the reset instead of spending a request on a 429."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import requests
from pydantic import Field

from core import storage
from core.contract import account_snapshot_schema, post_snapshot_schema
from core.landing import partition_dir
from core.settings import ApiSourceSettings, HttpSettings, Windows
from core.windows import DateWindow, extraction_window
from extractors.answers import reported_count
from extractors.http import (
    ApiClient,
    ApiEndpoint,
    ApiError,
    InvalidParameterError,
    QuotaExceededError,
    ThrottledError,
    status_error,
)
from extractors.spec import ApiSource, Connection, Extraction

if TYPE_CHECKING:
    from core.landing import Root

logger = logging.getLogger(__name__)

SOURCE = "x"
# What an ApiEndpoint for X names in its error messages.
PLATFORM = "X API v2"
TOKEN_KIND = "app-only Bearer token"
API_VERSION = "2"
TIMELINE_REACH = 3200
USER_METRICS = ("followers_count", "following_count", "tweet_count", "listed_count")
POST_METRICS = ("retweet_count", "reply_count", "like_count", "quote_count", "impression_count", "bookmark_count")
TWEET_FIELDS = "created_at,public_metrics"
# The lookup also asks for the author, so that an answer about another account's post is caught.
LOOKUP_FIELDS = f"{TWEET_FIELDS},author_id"


class X(ApiSourceSettings):
    # GET /2/tweets?ids= takes at most 100 ids; the timeline at most 100 posts a page.
    refresh_batch_size: int = Field(default=100, ge=1, le=100)
    page_size: int = Field(default=100, ge=5, le=100)


X_USERS = account_snapshot_schema("user_id", list(USER_METRICS))
X_POSTS = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("text", pa.string()),
    ]
)
# metric: one of POST_METRICS
X_POST_SNAPSHOTS = post_snapshot_schema("user_id", "post_id")
# What the source lands, in landing order.
ENTITIES = {"users": X_USERS, "posts": X_POSTS, "post_snapshots": X_POST_SNAPSHOTS}


def _header_number(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        logger.debug("ignoring unparsable %s header %r", name, raw)
        return None


def problem_text(body: Any) -> str:
    """The readable part of an X error body: problem-JSON `title: detail` plus any `errors[].message`
    (invalid parameters, and the older `{"errors":[{"code":88,"message":...}]}` shape)."""
    if not isinstance(body, dict):
        return ""
    title, detail = str(body.get("title") or ""), str(body.get("detail") or "")
    parts = [f"{title}: {detail}" if title and detail and detail != title else title or detail]
    errors = body.get("errors")
    if isinstance(errors, list):
        parts += [str(e.get("message") or e.get("detail") or "") for e in errors if isinstance(e, dict)]
    return " ".join(p for p in parts if p)


@dataclass
class RateWindow:
    """One endpoint's 15-minute window, as its last answer reported it."""

    limit: int
    remaining: int
    reset_epoch: int | None


class XClient(ApiClient):
    """The X API v2: problem-JSON errors keyed on the HTTP status, waits keyed on `x-rate-limit-reset`.

    Rate limits are per endpoint, so each path's window is tracked on its own: a spent window
    delays only the next call to that path, until its reset."""

    def __init__(
        self,
        endpoint: ApiEndpoint,
        settings: HttpSettings,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(endpoint, settings, sleep)
        self._clock = clock
        self._windows: dict[str, RateWindow] = {}
        self._path = ""  # of the call in flight, which the policy hooks below are about

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One call to `/2{path}`, e.g. path "/users/{id}"; returns the JSON body."""
        self._path = f"/{self.endpoint.api_version or API_VERSION}{path}"
        return self.request("GET", self._path, params)

    def seconds_until(self, reset_epoch: int | None) -> float:
        return 0.0 if reset_epoch is None else max(0.0, reset_epoch - self._clock())

    def error_for(self, response: requests.Response, body: Any, path: str) -> ApiError | None:
        # A 200 may carry `errors` for some of the requested resources: those are the caller's.
        status = response.status_code
        if status < 400:
            return None
        message = problem_text(body) or f"HTTP {status}"
        problem_type = str(body.get("type") or "") if isinstance(body, dict) else ""
        reason = body.get("reason") if isinstance(body, dict) else None
        # A 429 of the usage-capped type is the monthly post cap: nothing more until it renews.
        capped = status == 429 and problem_type.endswith("/usage-capped")
        cls = QuotaExceededError if capped else status_error(status)
        wait = (
            self.seconds_until(_header_number(response.headers, "x-rate-limit-reset")) if cls is ThrottledError else 0.0
        )
        details = ", ".join(str(x) for x in (f"HTTP {status}", reason or problem_type) if x)
        return cls(
            f"{response.request.method} {path}: {message} ({details})",
            message=message,
            code=status,
            trace_id=response.headers.get("x-transaction-id"),
            path=path,
            http_status=status,
            wait_seconds=wait,
        )

    def observe(self, response: requests.Response) -> bool:
        limit = _header_number(response.headers, "x-rate-limit-limit")
        remaining = _header_number(response.headers, "x-rate-limit-remaining")
        if response.status_code == 429 or limit is None or remaining is None:
            # A 429 is waited out by the retry loop, with the reset it carries.
            self._windows.pop(self._path, None)
        else:
            reset = _header_number(response.headers, "x-rate-limit-reset")
            self._windows[self._path] = RateWindow(limit, remaining, reset)
        return any(self._window_wait(w) > 0 for w in self._windows.values())

    def pace_seconds(self) -> float:
        window = self._windows.get(self._path)
        return 0.0 if window is None else self._window_wait(window)

    def _window_wait(self, window: RateWindow) -> float:
        if window.remaining <= 0:
            return min(self.seconds_until(window.reset_epoch), self.settings.max_backoff_seconds)
        used = 100 * (window.limit - window.remaining) / window.limit if window.limit > 0 else 0
        return self.settings.usage_slowdown_seconds if used >= self.settings.usage_slowdown_percent else 0.0


# -- entities -------------------------------------------------------------------------------------


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time(), tzinfo=tz).astimezone(UTC)


def _x_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(microsecond=0)


def user_metrics(client: XClient, user_id: str, as_of: date) -> Iterator[dict[str, Any]]:
    """The account's public metrics as read tonight: one record."""
    body = client.get(f"/users/{user_id}", {"user.fields": "public_metrics"})
    user = body.get("data")
    if not isinstance(user, dict):
        raise InvalidParameterError(
            f"X user {user_id}: {problem_text(body) or 'no user in the answer'}. "
            "Check the account id in sources.x.accounts of the pipeline configuration.",
            path=f"/users/{user_id}",
        )
    metrics = user.get("public_metrics") or {}
    yield {
        "user_id": user_id,
        "as_of_date": as_of,
        **{name: reported_count(metrics.get(name), f"X user {user_id} {name}") for name in USER_METRICS},
    }


def timeline(client: XClient, user_id: str, start: datetime, end: datetime, page_size: int) -> Iterator[dict[str, Any]]:
    """The account's posts created in [start, end), newest first, with their public metrics."""
    params: dict[str, Any] = {
        "max_results": page_size,
        "tweet.fields": TWEET_FIELDS,
        "start_time": _x_time(start),
        "end_time": _x_time(end),
    }
    path = f"/users/{user_id}/tweets"
    pages = client.pages(
        f"/{API_VERSION}{path}",
        lambda token: client.get(path, params if token is None else {**params, "pagination_token": token}),
        lambda body, _: (body.get("meta") or {}).get("next_token"),
        items=lambda body: body.get("data"),
    )
    for body in pages:
        yield from body.get("data") or []
        _log_partial_errors(user_id, body, "timeline")


def lookup(client: XClient, user_id: str, post_ids: Sequence[str], batch_size: int) -> Iterator[dict[str, Any]]:
    """Posts by id with fresh public metrics, `batch_size` ids a call; posts gone since are skipped,
    and so is any post of the answer that was not asked for or is not the account's own."""
    for batch in _batches(post_ids, batch_size):
        body = client.get("/tweets", {"ids": ",".join(batch), "tweet.fields": LOOKUP_FIELDS})
        yield from _own_posts_asked_for(user_id, body.get("data") or [], set(batch))
        _log_partial_errors(user_id, body, "refresh")


def _own_posts_asked_for(user_id: str, posts: Sequence[Mapping[str, Any]], asked: set[str]) -> list[Mapping[str, Any]]:
    kept, dropped = [], []
    for post in posts:
        if post.get("id") not in asked:
            dropped.append(f"{post.get('id')} (not asked for)")
        elif post.get("author_id") != user_id:
            dropped.append(f"{post.get('id')} (author {post.get('author_id')})")
        else:
            kept.append(post)
    if dropped:
        logger.warning(
            "X user %s: the refresh lookup answered with %d posts that are not this account's posts asked for; "
            "not landed: %s",
            user_id,
            len(dropped),
            ", ".join(dropped[:10]) + (", ..." if len(dropped) > 10 else ""),
        )
    return kept


def _log_partial_errors(user_id: str, body: dict[str, Any], what: str) -> None:
    for error in body.get("errors") or []:
        logger.warning(
            "X user %s: %s skipped %s %s: %s (deleted or no longer visible)",
            user_id,
            what,
            error.get("resource_type", "resource"),
            error.get("resource_id") or error.get("value"),
            problem_text(error) or error,
        )


def post_record(user_id: str, post: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "post_id": post["id"],
        "created_time": _parse_time(post["created_at"]),
        "text": post.get("text"),
    }


def post_snapshots(user_id: str, posts: Iterable[Mapping[str, Any]], as_of: date) -> Iterator[dict[str, Any]]:
    """Long format: one record per post and public metric, as read tonight."""
    for post in posts:
        created = _parse_time(post["created_at"])
        metrics = post.get("public_metrics") or {}
        for name in POST_METRICS:
            yield {
                "user_id": user_id,
                "post_id": post["id"],
                "created_time": created,
                "as_of_date": as_of,
                "metric": name,
                "value": reported_count(metrics.get(name), f"X post {post['id']} {name}"),
            }


def landed_posts(
    user_id: str, days: Iterable[date], since: datetime, until: datetime, landing_root: Root | None = None
) -> list[dict[str, Any]]:
    """The account's posts created in [since, until) that the `posts` partitions of `days` hold."""
    found: dict[str, dict[str, Any]] = {}
    for day in days:
        path = partition_dir(SOURCE, "posts", day, landing_root) / f"{user_id}.parquet"
        for row in storage.read_table(path, columns=["post_id", "created_time"]).to_pylist():
            if since <= row["created_time"] < until:
                found[row["post_id"]] = row
    return sorted(found.values(), key=lambda r: (r["created_time"], r["post_id"]))


# -- one account, one night -----------------------------------------------------------------------


def timeline_window(partition_date: date, earlier: Sequence[date], windows: Windows) -> DateWindow:
    """The local days whose posts are read from the timeline, given the account's earlier `posts`
    partitions (oldest first).

    The first run backfills `backfill_days`, and at least `post_snapshot_days`, since no young post
    is known yet; later runs re-read `lookback_days`, or every day since the last landed partition
    when nights were missed (capped at `backfill_days`), so no post is ever skipped."""
    window = extraction_window(partition_date, bool(earlier), windows.backfill_days, windows.lookback_days)
    if not earlier:
        snapshot_start = partition_date - timedelta(days=windows.post_snapshot_days - 1)
        return DateWindow(min(window.start, snapshot_start), partition_date)
    backfill_start = partition_date - timedelta(days=windows.backfill_days - 1)
    catch_up = max(earlier[-1] + timedelta(days=1), backfill_start)
    return DateWindow(min(window.start, catch_up), partition_date)


def fetch(night: Extraction) -> dict[str, list[dict[str, Any]]]:
    """Fetch one X account's `users`, `posts` and `post_snapshots` for `night.day`.

    `night.endpoint` names PLATFORM and TOKEN_KIND, so a rejected token is explained in X's terms."""
    user_id, settings, today, tz = night.account.id, night.settings, night.day, night.tz
    earlier = night.earlier_days("posts")
    window = timeline_window(today, earlier, night.windows)
    listed_from, listed_until = _local_midnight(window.start, tz), _local_midnight(today + timedelta(days=1), tz)
    snapshot_start = today - timedelta(days=night.windows.post_snapshot_days - 1)
    # Young posts older than the timeline read were landed on nights whose partitions are no older
    # than the posts themselves.
    known = landed_posts(
        user_id,
        (d for d in earlier if d >= snapshot_start),
        _local_midnight(snapshot_start, tz),
        listed_from,
        night.landing_root,
    )
    logger.info(
        "X user %s (%s): timeline %s..%s, %d earlier posts to refresh (posts since %s)",
        user_id,
        night.account.name,
        window.start,
        window.end,
        len(known),
        snapshot_start,
    )
    with XClient(night.endpoint, night.http, sleep=night.sleep) as client:
        user_rows = list(user_metrics(client, user_id, today))
        listed = list(timeline(client, user_id, listed_from, listed_until, settings.page_size))
        refreshed = list(lookup(client, user_id, [p["post_id"] for p in known], settings.refresh_batch_size))
    if len(listed) > TIMELINE_REACH - settings.page_size:
        logger.warning(
            "X user %s: read %d posts back to %s; the timeline reaches only the %d most recent posts, so "
            "posts older than that are missing from this backfill",
            user_id,
            len(listed),
            window.start,
            TIMELINE_REACH,
        )
    return {
        "users": user_rows,
        "posts": [post_record(user_id, p) for p in listed],
        "post_snapshots": list(post_snapshots(user_id, [*listed, *refreshed], today)),
    }


SPEC = ApiSource(
    SOURCE,
    X,
    ENTITIES,
    fetch,
    history_entity="posts",
    connection=Connection(PLATFORM, TOKEN_KIND, API_VERSION),
    sandbox="x",
)
