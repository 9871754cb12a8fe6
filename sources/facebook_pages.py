"""Facebook Pages: daily page insights, published posts, and nightly snapshots of post lifetime metrics.

Each entity is a generator of records in the shape of the schemas below; `fetch` reads all three for
one page and the extract runner (`nightly.extract`) lands them only once every call has succeeded, so
a failed run (an expired token, say) leaves the previous partitions as they were. `SPEC` declares the
source: its config section, entities, suites and sandbox.

Calls are kept to the minimum the API's paging allows: page metrics in groups per call and up to
90 days per call, posts 100 per page, post insights for 50 posts per call through the multi-id
lookup. A metric the API rejects is found by asking for the failing group's metrics one at a time,
dropped with a warning and not asked for again during the run.

Days of page insights are Pacific days, not the organisation's: the API closes the value for day D
at D+1 00:00 America/Los_Angeles (`end_time` 07:00 or 08:00 UTC), so the landed `date` is read
from `end_time` in that zone and `since`/`until` are Pacific midnights (`extractors.graph_days`).
An `end_time` off a Pacific midnight is landed on the Pacific day it closes, with a warning.

Counts the API leaves out land as NULL, never as 0: a `reactions` or `comments` edge without its
`summary.total_count` is what a token without `pages_read_engagement` gets, and 0 would read as
silence. `shares` is the exception: the Graph API omits it for a post nobody shared, so it lands 0
when the same post's reaction and comment summaries came back (engagement was readable), NULL
otherwise. A post seen twice while paging (a post published meanwhile shifts the pages) lands once,
as last seen."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pyarrow as pa
from pydantic import Field

from core.contract import post_snapshot_schema
from core.settings import ApiSourceSettings, Identifier
from core.severity import critical
from core.windows import DateWindow
from extractors.answers import reported_count
from extractors.graph_days import graph_time, insights_midnight, measured_day
from extractors.http import GraphClient, GraphInvalidParameterError
from extractors.spec import ApiSource, Connection, Extraction
from extractors.suites import entity_suites, exact_columns

logger = logging.getLogger(__name__)

SOURCE = "facebook_pages"
MAX_INSIGHTS_DAYS = 90
POSTS_PER_PAGE = 100
IDS_PER_LOOKUP = 50
# Counts the posts listing returns as summaries; snapshotted next to the insights metrics.
LISTING_COUNTS = ("reactions", "comments", "shares")
POST_FIELDS = ",".join(
    [
        "id",
        "created_time",
        "message",
        "permalink_url",
        "shares",
        "reactions.summary(total_count).limit(0)",
        "comments.summary(total_count).limit(0)",
    ]
)


class FacebookPages(ApiSourceSettings):
    page_metrics: list[Identifier] = Field(min_length=1)
    post_metrics: list[Identifier] = Field(min_length=1)
    metrics_per_request: int = Field(default=3, ge=1, le=25)


FACEBOOK_PAGE_INSIGHTS = pa.schema(
    [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),  # the day the value measures (a Pacific day, as the API counts)
        pa.field("value", pa.int64()),
    ]
)

FACEBOOK_POSTS = pa.schema(
    [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("message", pa.string()),
        pa.field("permalink_url", pa.string()),
        pa.field("reactions", pa.int64()),
        pa.field("comments", pa.int64()),
        pa.field("shares", pa.int64()),
    ]
)

# Long format (one row per post x metric) so that a metric the platform drops or renames is a
# missing row, not a schema change.
FACEBOOK_POST_SNAPSHOTS = post_snapshot_schema("page_id", "post_id")


T = TypeVar("T")


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _local_midnight(day: date, tz: ZoneInfo) -> int:
    """Unix timestamp of the local midnight starting `day`."""
    return int(datetime.combine(day, clock_time(), tzinfo=tz).timestamp())


_count = partial(reported_count, note="breakdown metrics are not supported")


def _is_invalid_metric(error: GraphInvalidParameterError) -> bool:
    # The API's message for an unknown metric does not name it; other code-100 causes must surface.
    return "insights metric" in error.message.lower()


class MetricRequests:
    """Requests a list of metrics in groups, dropping (for the rest of the run) any the API rejects."""

    def __init__(self, names: Sequence[str], per_request: int, config_key: str, page_id: str) -> None:
        self.names = list(dict.fromkeys(names))
        self.per_request = per_request
        self.config_key = config_key
        self.page_id = page_id
        self.dropped: set[str] = set()

    @property
    def active(self) -> list[str]:
        return [m for m in self.names if m not in self.dropped]

    def fetch(self, request: Callable[[list[str]], dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The response of `request(group)` for each group of the metrics still in use."""
        for group in map(list, _batches(self.active, self.per_request)):
            try:
                response = request(group)
            except GraphInvalidParameterError as exc:
                if not _is_invalid_metric(exc):
                    raise
                yield from self._probe(group, request, exc)
                continue
            yield response

    def _probe(
        self, group: list[str], request: Callable[[list[str]], dict[str, Any]], failure: GraphInvalidParameterError
    ) -> Iterator[dict[str, Any]]:
        """Ask for each metric alone: the ones that fail are the invalid ones, the others' answers are kept."""
        if len(group) == 1:
            self._drop(group[0], failure)
            return
        dropped_before = len(self.dropped)
        for metric in group:
            try:
                response = request([metric])
            except GraphInvalidParameterError as exc:
                if not _is_invalid_metric(exc):
                    raise
                self._drop(metric, exc)
                continue
            yield response
        if len(self.dropped) == dropped_before:
            raise failure  # each metric is fine alone: the group failed for another reason

    def _drop(self, metric: str, error: GraphInvalidParameterError) -> None:
        self.dropped.add(metric)
        logger.warning(
            "Facebook page %s: dropping metric %r for the rest of this run: the Graph API rejects it (%s). "
            "Remove or rename it in %s.",
            self.page_id,
            metric,
            error.message,
            self.config_key,
        )


def page_insights(
    client: GraphClient, page_id: str, metrics: MetricRequests, window: DateWindow
) -> Iterator[dict[str, Any]]:
    """Daily page insights for every (Pacific) day of `window`, one record per metric and day."""
    for chunk in window.chunks(MAX_INSIGHTS_DAYS):
        request = partial(_page_insights_call, client, page_id, chunk)
        # Not paginated: the insights `paging.next` is always present and points at the next window.
        for response in metrics.fetch(request):
            off_midnight: list[str] = []
            for series in response.get("data", []):
                for value in series.get("values", []):
                    day, on_midnight = measured_day(value["end_time"])
                    if not on_midnight:
                        off_midnight.append(f"{series['name']} {value['end_time']}")
                    if chunk.start <= day <= chunk.end:
                        yield {
                            "page_id": page_id,
                            "metric": series["name"],
                            "period": series.get("period", "day"),
                            "date": day,
                            "value": _count(value.get("value"), f"{page_id} {series['name']} {day}"),
                        }
            if off_midnight:
                logger.warning(
                    "Facebook page %s: %d daily insights values of %s..%s have an end_time that is not a midnight "
                    "in America/Los_Angeles (e.g. %s); they are landed on the Pacific day that end_time closes, "
                    "which may be off by one. Check how the Graph API version in use dates page insights.",
                    page_id,
                    len(off_midnight),
                    chunk.start,
                    chunk.end,
                    ", ".join(off_midnight[:3]),
                )


def _page_insights_call(client: GraphClient, page_id: str, chunk: DateWindow, metrics: list[str]) -> dict[str, Any]:
    params = {
        "metric": ",".join(metrics),
        "period": "day",
        "since": insights_midnight(chunk.start),
        "until": insights_midnight(chunk.end + timedelta(days=1)),
    }
    return client.get(f"/{page_id}/insights", params)


def posts(client: GraphClient, page_id: str, window: DateWindow, tz: ZoneInfo) -> Iterator[dict[str, Any]]:
    """The page's posts published on the local days of `window`, newest first."""
    params = {
        "fields": POST_FIELDS,
        "since": _local_midnight(window.start, tz),
        "until": _local_midnight(window.end + timedelta(days=1), tz),
        "limit": POSTS_PER_PAGE,
    }
    for page in client.paginate(f"/{page_id}/published_posts", params):
        for post in page.get("data", []):
            yield {
                "page_id": page_id,
                "post_id": post["id"],
                "created_time": graph_time(post["created_time"]),
                "message": post.get("message"),
                "permalink_url": post.get("permalink_url"),
                **_engagement_counts(post),
            }


def _engagement_counts(post: dict[str, Any]) -> dict[str, int | None]:
    """The listing's counts; NULL where the answer does not say (see the module docstring)."""
    counts: dict[str, int | None] = {
        edge: _count(((post.get(edge) or {}).get("summary") or {}).get("total_count"), f"{post['id']} {edge}")
        for edge in ("reactions", "comments")
    }
    readable = counts["reactions"] is not None and counts["comments"] is not None
    shares = (post.get("shares") or {}).get("count")
    counts["shares"] = _count(shares, f"{post['id']} shares") if shares is not None else (0 if readable else None)
    return counts


def last_seen(rows: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One row per `key` value, the last one seen, in the order the values were first seen."""
    kept: dict[Any, dict[str, Any]] = {}
    for row in rows:
        kept[row[key]] = row
    return list(kept.values())


def post_snapshots(
    client: GraphClient, post_records: Iterable[dict[str, Any]], metrics: MetricRequests, as_of: date
) -> Iterator[dict[str, Any]]:
    """Lifetime metrics of each post as seen tonight: the listing's counts plus the insights metrics."""
    for batch in _batches(list(post_records), IDS_PER_LOOKUP):
        by_id = {p["post_id"]: p for p in batch}
        for post in batch:
            for metric in LISTING_COUNTS:
                yield _snapshot(post, as_of, metric, post[metric])
        request = partial(_post_insights_call, client, ",".join(by_id))
        for response in metrics.fetch(request):
            for post_id, node in response.items():
                post = by_id.get(post_id)
                if post is None:
                    continue
                for series in (node.get("insights") or {}).get("data", []):
                    values = series.get("values") or [{}]
                    value = _count(values[0].get("value"), f"{post_id} {series['name']}")
                    yield _snapshot(post, as_of, series["name"], value)


def _post_insights_call(client: GraphClient, ids: str, metrics: list[str]) -> dict[str, Any]:
    return client.get("/", {"ids": ids, "fields": f"insights.metric({','.join(metrics)})"})


def _snapshot(post: dict[str, Any], as_of: date, metric: str, value: int | None) -> dict[str, Any]:
    return {
        "page_id": post["page_id"],
        "post_id": post["post_id"],
        "created_time": post["created_time"],
        "as_of_date": as_of,
        "metric": metric,
        "value": value,
    }


def fetch(night: Extraction) -> dict[str, list[dict[str, Any]]]:
    """Fetch one page's three entities for `night.day`.

    The first run for a page backfills `windows.backfill_days`; later runs re-read
    `windows.lookback_days`. Posts are listed (and snapshotted) over the longer of that window and
    the last `windows.post_snapshot_days` days, so lifetime metrics are re-read while they grow."""
    page_id, settings, day = night.account.id, night.settings, night.day
    window = night.window()
    snapshot_start = day - timedelta(days=night.windows.post_snapshot_days - 1)
    posts_window = DateWindow(min(window.start, snapshot_start), day)
    logger.info(
        "Facebook page %s (%s): insights %s..%s, posts %s..%s",
        page_id,
        night.account.name,
        window.start,
        window.end,
        posts_window.start,
        posts_window.end,
    )
    page_metrics = MetricRequests(
        settings.page_metrics, settings.metrics_per_request, "sources.facebook_pages.page_metrics", page_id
    )
    post_metrics = MetricRequests(
        settings.post_metrics, settings.metrics_per_request, "sources.facebook_pages.post_metrics", page_id
    )
    with GraphClient(night.endpoint, night.http, sleep=night.sleep) as client:
        insight_rows = list(page_insights(client, page_id, page_metrics, window))
        post_rows = last_seen(posts(client, page_id, posts_window, night.tz), "post_id")
        snapshot_rows = list(post_snapshots(client, post_rows, post_metrics, day))
    return {"page_insights": insight_rows, "posts": post_rows, "post_snapshots": snapshot_rows}


# Landing suites (one partition = one extraction day). GX is imported when a gate builds them,
# never when the DAG file is parsed.


def page_insights_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        exact_columns(FACEBOOK_PAGE_INSIGHTS),
        *(critical(gxe.ExpectColumnValuesToNotBeNull(column=column)) for column in ("page_id", "metric", "date")),
        critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["page_id", "metric", "date"])),
        critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
        # A day after the partition's day has not happened yet.
        critical(gxe.ExpectColumnValuesToBeBetween(column="date", max_value=partition_date)),
    ]


def posts_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        exact_columns(FACEBOOK_POSTS),
        critical(gxe.ExpectColumnValuesToNotBeNull(column="post_id")),
        critical(gxe.ExpectColumnValuesToBeUnique(column="post_id")),
        critical(gxe.ExpectColumnValuesToNotBeNull(column="created_time")),
        *(critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0)) for column in LISTING_COUNTS),
    ]


def post_snapshots_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        exact_columns(FACEBOOK_POST_SNAPSHOTS),
        critical(gxe.ExpectColumnValuesToNotBeNull(column="post_id")),
        critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["post_id", "metric", "as_of_date"])),
        critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
        # Every snapshot of a partition is read on the partition's day.
        critical(
            gxe.ExpectColumnValuesToBeBetween(column="as_of_date", min_value=partition_date, max_value=partition_date)
        ),
    ]


SPEC = ApiSource(
    SOURCE,
    FacebookPages,
    {"page_insights": FACEBOOK_PAGE_INSIGHTS, "posts": FACEBOOK_POSTS, "post_snapshots": FACEBOOK_POST_SNAPSHOTS},
    fetch,
    history_entity="page_insights",
    connection=Connection("Facebook Graph API", "Page access token", "v24.0"),
    sandbox="facebook",
    suites=entity_suites(
        SOURCE,
        {"page_insights": page_insights_checks, "posts": posts_checks, "post_snapshots": post_snapshots_checks},
    ),
    required=True,
)
