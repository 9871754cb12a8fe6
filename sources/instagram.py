"""Instagram (Graph API): the account's profile counts, daily account insights, its media, and
nightly snapshots of media lifetime insights.

Each entity is a generator of records in the shape of the schemas below; `fetch` reads all four for
one Instagram professional account and the extract runner (`nightly.extract`) lands them only once
every call has succeeded, so a failed run (an expired token, say) leaves the previous partitions as
they were. `SPEC` declares the source: its config section, entities, suites and sandbox. Instagram
is served by the Graph API host, so the shared `GraphClient` does the HTTP (Graph error codes,
usage headers, `paging.next`).

Calls, and why:
- account insights with `metric_type=total_value` return ONE total for the whole since..until
  range (for reach and accounts engaged a range's total is not the sum of its days), so each day is
  its own call per group of `metrics_per_request` metrics. A first run therefore backfills only
  `ACCOUNT_INSIGHTS_BACKFILL_DAYS` days (10 metrics in groups of 5: 60 calls); later runs re-read
  `windows.lookback_days`, which also fills the days the API had not yet published (it lags up to
  48 h and answers with empty data meanwhile: those values land as NULL, never 0).
- the media edge is read newest first, 100 a page, until an item older than the window shows
  (only the ~10,000 most recent media are reachable at all). Stories are not on the media edge:
  the stories edge lists those still up (24 hours), and each night lands the ones it sees.
- media insights are one call per media (`GET /{ig-media-id}/insights`) with the whole metric set
  of its `media_product_type` from the config. Not the multi-id lookup: there one media posted
  before the business-account conversion (subcode 2108006), one with too few viewers (`(#10) Not
  enough viewers`) or one product type refusing a metric fails the whole batch, while per media
  those are that item's problem: its metrics land as NULL with a warning and the run goes on.
- a metric the API refuses is named by the API's message (unlike Facebook's, which is why
  `facebook_pages.MetricRequests` and its one-by-one probing are not used): it is dropped with a
  warning for the rest of the run (per product type for media) and the call is repeated without it.
- account insights come in two shapes: `total_value.value` (metric_type=total_value) and the
  older `values[]` of daily values dated by `end_time`. Both are read; like Facebook's, those days
  are Pacific days (`end_time` = the Pacific midnight closing the day, `extractors.graph_days`), so
  `since`/`until` are Pacific midnights. A series in neither shape, or without a value for the day
  asked for, lands NULL with one warning per run naming the metrics.
- a media whose insights the API refuses with a permission or unsupported-request error (code 10,
  code 100 subcode 33) gets no snapshot rows; it is named, with the code, in one warning per run,
  and the account's other media and entities land."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from typing import Any

import pyarrow as pa
from pydantic import Field

from core.contract import account_daily_schema, account_snapshot_schema, post_snapshot_schema
from core.settings import ApiSourceSettings, Identifier
from core.windows import DateWindow
from extractors.answers import reported_count
from extractors.graph_days import graph_time, insights_midnight, measured_day
from extractors.http import GraphClient, GraphInvalidParameterError, GraphPermissionError
from extractors.spec import ApiSource, Connection, Extraction

logger = logging.getLogger(__name__)

SOURCE = "instagram"
# Day-by-day total_value calls are costly: a first run reads at most this many days of account insights.
ACCOUNT_INSIGHTS_BACKFILL_DAYS = 30
MEDIA_PER_PAGE = 100
MEDIA_REACH = 10_000
ACCOUNT_FIELDS = ("followers_count", "follows_count", "media_count")
MEDIA_FIELDS = "id,timestamp,media_type,media_product_type,permalink,caption,like_count,comments_count"
BEFORE_BUSINESS_SUBCODE = 2108006
UNSUPPORTED_REQUEST_SUBCODE = 33

# The API's ways of naming a metric it refuses; `metric[i]` points into the requested list.
_REFUSED_BY_INDEX = re.compile(r"metric\[(\d+)\] must be one of the following values")
_REFUSED_BY_NAME = (
    re.compile(r"does not support the (\w+) metric"),
    re.compile(r"the (\w+) metric is no longer supported"),
    re.compile(r"metric (\w+) is not supported"),
)


class Instagram(ApiSourceSettings):
    # Daily account insights, read with metric_type=total_value.
    account_metrics: list[Identifier] = Field(min_length=1)
    # Lifetime media insights per media_product_type: `views` is refused for some types.
    media_metrics: dict[Identifier, list[Identifier]] = Field(min_length=1)
    metrics_per_request: int = Field(default=5, ge=1, le=25)


INSTAGRAM_ACCOUNTS = account_snapshot_schema("account_id", list(ACCOUNT_FIELDS))
INSTAGRAM_ACCOUNT_INSIGHTS = account_daily_schema("account_id")
INSTAGRAM_MEDIA = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("media_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("media_type", pa.string()),  # IMAGE, VIDEO, CAROUSEL_ALBUM
        pa.field("media_product_type", pa.string()),  # FEED, REELS, STORY
        pa.field("caption", pa.string()),
        pa.field("permalink", pa.string()),
        pa.field("like_count", pa.int64()),
        pa.field("comments_count", pa.int64()),
    ]
)
INSTAGRAM_MEDIA_SNAPSHOTS = post_snapshot_schema("account_id", "media_id")
# What the source lands, in landing order.
ENTITIES = {
    "accounts": INSTAGRAM_ACCOUNTS,
    "account_insights": INSTAGRAM_ACCOUNT_INSIGHTS,
    "media": INSTAGRAM_MEDIA,
    "media_snapshots": INSTAGRAM_MEDIA_SNAPSHOTS,
}


_count = partial(reported_count, note="breakdowns are not supported")


def refused_metric(error: GraphInvalidParameterError, requested: Sequence[str]) -> str | None:
    """The requested metric a code-100 error refuses, or None when the error is about something else."""
    if match := _REFUSED_BY_INDEX.search(error.message):
        index = int(match.group(1))
        return requested[index] if index < len(requested) else None
    for pattern in _REFUSED_BY_NAME:
        if (match := pattern.search(error.message)) and match.group(1) in requested:
            return match.group(1)
    return None


class MetricSets:
    """The metrics to request per set (the account, or a media product type), minus those the API
    refused during this run."""

    def __init__(self, account_id: str, sets: Mapping[str, Sequence[str]], config_key: str) -> None:
        self.account_id = account_id
        self.sets = {name: list(dict.fromkeys(metrics)) for name, metrics in sets.items()}
        self.config_key = config_key
        self.dropped: dict[str, set[str]] = defaultdict(set)

    def active(self, name: str) -> list[str]:
        return [m for m in self.sets.get(name, []) if m not in self.dropped[name]]

    def request(
        self, name: str, metrics: Sequence[str], call: Callable[[list[str]], dict[str, Any]]
    ) -> tuple[list[str], dict[str, Any] | None]:
        """`call(metrics)` with every metric the API refuses dropped; the metrics the answer is for,
        and the answer (None when no metric was left)."""
        metrics = [m for m in metrics if m not in self.dropped[name]]
        while metrics:
            try:
                return metrics, call(metrics)
            except GraphInvalidParameterError as exc:
                metric = refused_metric(exc, metrics)
                if metric is None:
                    raise
                self._drop(name, metric, exc)
                metrics = [m for m in metrics if m != metric]
        return [], None

    def _drop(self, name: str, metric: str, error: GraphInvalidParameterError) -> None:
        self.dropped[name].add(metric)
        logger.warning(
            "Instagram account %s: dropping metric %r (%s) for the rest of this run: the Graph API refuses it (%s). "
            "Remove or rename it in %s.",
            self.account_id,
            metric,
            name,
            error.message,
            self.config_key,
        )


def account_fields(client: GraphClient, account_id: str, as_of: date) -> Iterator[dict[str, Any]]:
    """The account's profile counts as read tonight: one row."""
    node = client.get(f"/{account_id}", {"fields": ",".join(ACCOUNT_FIELDS)})
    row: dict[str, Any] = {"account_id": account_id, "as_of_date": as_of}
    row.update({name: _count(node.get(name), f"{account_id} {name}") for name in ACCOUNT_FIELDS})
    yield row


def account_insights(
    client: GraphClient, account_id: str, metrics: MetricSets, per_request: int, window: DateWindow
) -> Iterator[dict[str, Any]]:
    """Daily account insights for every (Pacific) day of `window`, one record per metric and day; a
    metric the API leaves out (not yet processed, not available) is a NULL value."""
    unreadable: list[str] = []
    for day in (window.start + timedelta(days=i) for i in range(window.days)):
        params = {
            "metric_type": "total_value",
            "period": "day",
            "since": insights_midnight(day),
            "until": insights_midnight(day + timedelta(days=1)),
        }

        def call(group: list[str], params: dict[str, Any] = params) -> dict[str, Any]:
            return client.get(f"/{account_id}/insights", {**params, "metric": ",".join(group)})

        active = metrics.active("account")
        for start in range(0, len(active), per_request):
            # Not paginated: the insights `paging.next` always points at the next time range.
            asked, response = metrics.request("account", active[start : start + per_request], call)
            values = {
                series["name"]: _day_value(series, day, f"{account_id} {series['name']} {day}", unreadable)
                for series in (response or {}).get("data", [])
            }
            for metric in asked:
                yield {"account_id": account_id, "metric": metric, "date": day, "value": values.get(metric)}
    if unreadable:
        logger.warning(
            "Instagram account %s: %d account insights values could not be read and land as NULL (%s). The "
            "Graph API answered in a shape other than total_value or values[] with a Pacific-midnight "
            "end_time: check the API version in the connection and the metrics in sources.instagram.account_metrics.",
            account_id,
            len(unreadable),
            "; ".join(unreadable[:5]) + ("; ..." if len(unreadable) > 5 else ""),
        )


def _day_value(series: Mapping[str, Any], day: date, what: str, unreadable: list[str]) -> int | None:
    """A daily series' value for `day`, in either shape; None (noted in `unreadable`) when it has none."""
    if isinstance(series.get("total_value"), dict):
        return _count(series["total_value"].get("value"), what)
    by_day, off_midnight = {}, []
    for entry in series.get("values") or []:
        if not isinstance(entry, dict) or "end_time" not in entry:
            continue
        measured, on_midnight = measured_day(entry["end_time"])
        if not on_midnight:
            off_midnight.append(entry["end_time"])
        by_day[measured] = entry.get("value")
    if off_midnight:
        unreadable.append(f"{what}: end_time {off_midnight[0]} is not a midnight in America/Los_Angeles")
    elif by_day and day not in by_day:
        unreadable.append(f"{what}: values[] has only {', '.join(str(d) for d in sorted(by_day))}")
    elif not by_day:
        unreadable.append(f"{what}: neither total_value nor dated values[] in {sorted(series)}")
    return _count(by_day[day], what) if day in by_day else None


def media(client: GraphClient, account_id: str, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    """Feed posts and reels created in [since, until), newest first: the media edge is read until an
    item older than `since` shows."""
    params = {"fields": MEDIA_FIELDS, "limit": MEDIA_PER_PAGE}
    seen, oldest = 0, None
    for page in client.paginate(f"/{account_id}/media", params):
        for item in page.get("data", []):
            record = media_record(account_id, item)
            seen, oldest = seen + 1, record["created_time"]
            if oldest < since:
                return
            if oldest < until:
                yield record
    if seen >= MEDIA_REACH:
        logger.warning(
            "Instagram account %s: the media edge ended after %d items at %s; it reaches only the %d most recent "
            "media, so older media of the window since %s are missing",
            account_id,
            seen,
            oldest,
            MEDIA_REACH,
            since,
        )


def stories(client: GraphClient, account_id: str) -> Iterator[dict[str, Any]]:
    """The stories still up (they disappear from the API after 24 hours)."""
    for page in client.paginate(f"/{account_id}/stories", {"fields": MEDIA_FIELDS, "limit": MEDIA_PER_PAGE}):
        for item in page.get("data", []):
            yield media_record(account_id, item)


def media_record(account_id: str, item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "media_id": item["id"],
        "created_time": graph_time(item["timestamp"]),
        "media_type": item.get("media_type"),
        "media_product_type": item.get("media_product_type"),
        "caption": item.get("caption"),
        "permalink": item.get("permalink"),
        "like_count": _count(item.get("like_count"), f"{item['id']} like_count"),
        "comments_count": _count(item.get("comments_count"), f"{item['id']} comments_count"),
    }


def media_snapshots(
    client: GraphClient, media_records: Iterable[dict[str, Any]], metrics: MetricSets, as_of: date
) -> Iterator[dict[str, Any]]:
    """Lifetime insights of each media as seen tonight, one record per media and metric. Media the
    API will not report on (posted before the business-account conversion, too few viewers) get
    NULL values and one warning per reason; media it refuses to this token (permission, unsupported
    request) get no rows and one warning naming them with the code."""
    unavailable: dict[str, list[str]] = defaultdict(list)
    refused: list[str] = []
    unconfigured: set[str] = set()
    for record in media_records:
        product_type = record["media_product_type"]
        if product_type not in metrics.sets:
            unconfigured.add(product_type)
            continue
        media_id = record["media_id"]

        def call(group: list[str], media_id: str = media_id) -> dict[str, Any]:
            return client.get(f"/{media_id}/insights", {"metric": ",".join(group)})

        try:
            asked, response = metrics.request(product_type, metrics.active(product_type), call)
        except (GraphInvalidParameterError, GraphPermissionError) as exc:
            reason = _unavailable_reason(exc)
            if reason is None:
                if not _refused_to_token(exc):
                    raise
                refused.append(f"{media_id} (code {_codes(exc)}: {exc.message})")
                continue
            unavailable[reason].append(media_id)
            asked, response = metrics.active(product_type), None
        values = {
            series["name"]: _lifetime_value(series, f"{media_id} {series['name']}")
            for series in (response or {}).get("data", [])
        }
        for metric in asked:
            yield {
                "account_id": record["account_id"],
                "media_id": media_id,
                "created_time": record["created_time"],
                "as_of_date": as_of,
                "metric": metric,
                "value": values.get(metric),
            }
    account = metrics.account_id
    for reason, ids in unavailable.items():
        logger.warning(
            "Instagram account %s: no insights for %d media (%s); their metrics land as NULL: %s",
            account,
            len(ids),
            reason,
            ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else ""),
        )
    if refused:
        logger.warning(
            "Instagram account %s: skipped the insights of %d media the Graph API refuses to this token, the "
            "rest landed: %s. If every media is refused, grant instagram_manage_insights to the token of the "
            "connection.",
            account,
            len(refused),
            "; ".join(refused[:10]) + ("; ..." if len(refused) > 10 else ""),
        )
    for product_type in sorted(unconfigured, key=str):
        logger.warning(
            "Instagram account %s: no metrics configured for media_product_type %r in %s; its media get no snapshot",
            account,
            product_type,
            metrics.config_key,
        )


def _lifetime_value(series: Mapping[str, Any], what: str) -> int | None:
    values = series.get("values")
    if isinstance(values, list) and values and isinstance(values[0], dict):
        return _count(values[0].get("value"), what)
    return _count((series.get("total_value") or {}).get("value"), what)


def _refused_to_token(error: GraphInvalidParameterError | GraphPermissionError) -> bool:
    """A per-media refusal: a permission error, or code 100/33 (object unsupported or not visible)."""
    if isinstance(error, GraphPermissionError):
        return True
    return error.code == 100 and error.subcode == UNSUPPORTED_REQUEST_SUBCODE


def _codes(error: GraphInvalidParameterError | GraphPermissionError) -> str:
    return f"{error.code}/{error.subcode}" if error.subcode is not None else f"{error.code}"


def _unavailable_reason(error: GraphInvalidParameterError | GraphPermissionError) -> str | None:
    """Why the API reports nothing for one media, when it is about that media and not the request."""
    if isinstance(error, GraphInvalidParameterError) and error.subcode == BEFORE_BUSINESS_SUBCODE:
        return "posted before the account became a business account, subcode 2108006"
    if isinstance(error, GraphPermissionError) and "not enough viewers" in error.message.lower():
        return f"not enough viewers: {error.message}"
    return None


def fetch(night: Extraction) -> dict[str, list[dict[str, Any]]]:
    """Fetch one Instagram account's `accounts`, `account_insights`, `media` and `media_snapshots`
    for `night.day`.

    The first run for an account backfills `windows.backfill_days` of media (account insights: at
    most ACCOUNT_INSIGHTS_BACKFILL_DAYS); later runs re-read `windows.lookback_days`. Media are listed
    (and snapshotted) over the longer of that window and the last `windows.post_snapshot_days` days,
    so lifetime metrics are re-read while they grow; live stories are landed and snapshotted too."""
    account_id, settings, today, tz = night.account.id, night.settings, night.day, night.tz
    window = night.window()
    insights_window = DateWindow(max(window.start, today - timedelta(days=ACCOUNT_INSIGHTS_BACKFILL_DAYS - 1)), today)
    media_window = DateWindow(min(window.start, today - timedelta(days=night.windows.post_snapshot_days - 1)), today)
    logger.info(
        "Instagram account %s (%s): insights %s..%s, media %s..%s",
        account_id,
        night.account.name,
        insights_window.start,
        insights_window.end,
        media_window.start,
        media_window.end,
    )
    account_metrics = MetricSets(account_id, {"account": settings.account_metrics}, "sources.instagram.account_metrics")
    media_metrics = MetricSets(account_id, settings.media_metrics, "sources.instagram.media_metrics")
    since = datetime.combine(media_window.start, clock_time(), tzinfo=tz)
    until = datetime.combine(today + timedelta(days=1), clock_time(), tzinfo=tz)
    with GraphClient(night.endpoint, night.http, sleep=night.sleep) as client:
        account_rows = list(account_fields(client, account_id, today))
        insight_rows = list(
            account_insights(client, account_id, account_metrics, settings.metrics_per_request, insights_window)
        )
        media_rows = [*media(client, account_id, since, until), *stories(client, account_id)]
        snapshot_rows = list(media_snapshots(client, media_rows, media_metrics, today))
    return {
        "accounts": account_rows,
        "account_insights": insight_rows,
        "media": media_rows,
        "media_snapshots": snapshot_rows,
    }


SPEC = ApiSource(
    SOURCE,
    Instagram,
    ENTITIES,
    fetch,
    history_entity="account_insights",
    connection=Connection("Instagram Graph API", "Instagram access token", "v24.0"),
    sandbox="facebook",
)
