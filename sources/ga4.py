"""Google Analytics 4: first-party sessions and key events by day and session source / medium /
campaign, from the GA4 Data API (`POST /v1beta/properties/{property_id}:runReport`).

Entities (one partition part per property):
- `sessions`: date x sessionSource x sessionMedium x sessionCampaignName with `sessions` and
  `engagedSessions`.
- `key_events`: the same dimensions plus eventName, metric `keyEvents`, filtered to the configured
  key events (`sources.ga4.key_events`, e.g. appointment_request).

Only aggregates are read: no user, client or session id exists in either report, so nothing that
identifies a person lands (HHS OCR tracking-technology bulletin). UTM-tagged links make the
sessions attributable: `sessionCampaignName` is the campaign id, `sessionMedium` the channel
(social, paid_social, tv, radio, print, ooh, direct_mail; "organic" and "(none)" for search and
direct visits, whose campaign is "(not set)").

The first run for a property backfills `windows.backfill_days`; later runs re-read the last
`lookback_days` days up to the partition date, because GA4 keeps processing a day's data for up to
two days. Dates are the property's reporting days (its timezone, which the response's metadata
names; a property whose timezone differs from the organisation's is logged as a warning). Every
value of a report is a string and is parsed here; a report is paged by `offset` with `page_size`
rows a call until `rowCount` rows are read.

Errors are Google's `{"error": {"code", "message", "status"}}`: 401 fails at once with a
re-authorise message naming the Airflow connection, 403 (no access to the property) and 400 (a
bad request) fail at once, 429 RESOURCE_EXHAUSTED (property tokens spent) and 5xx are retried with
backoff by the shared loop. Everything is fetched before anything is landed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from core.contract import GA4_KEY_EVENTS, GA4_SESSIONS
from core.landing import RunContext, land_entities, landed_before
from core.settings import Account, GoogleAnalytics, HttpSettings, Windows
from core.windows import DateWindow, extraction_window
from extractors.http import (
    ApiClient,
    ApiEndpoint,
    ApiError,
    InvalidParameterError,
    PermissionDeniedError,
    ResponseError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
)

logger = logging.getLogger(__name__)

SOURCE = "ga4"
PLATFORM = "GA4 Data API"
TOKEN_KIND = "Google OAuth token with the analytics.readonly scope"
DEFAULT_API_VERSION = "v1beta"
SESSION_DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
# Landed column -> GA4 name.
SESSION_COLUMNS = {
    "date": "date",
    "session_source": "sessionSource",
    "session_medium": "sessionMedium",
    "session_campaign_name": "sessionCampaignName",
}


class Ga4Client(ApiClient):
    """The GA4 Data API: POST requests with a JSON body, errors keyed on Google's `error.status`."""

    def __init__(self, endpoint: ApiEndpoint, settings: HttpSettings, sleep: Callable[[float], None] = time.sleep):
        # Named in error messages: whichever way the endpoint was built, this is GA4 and its token.
        super().__init__(replace(endpoint, platform=PLATFORM, token_kind=TOKEN_KIND), settings, sleep=sleep)

    def run_report(self, property_id: str, body: dict[str, Any]) -> dict[str, Any]:
        version = self.endpoint.api_version or DEFAULT_API_VERSION
        return self.request("POST", f"/{version}/properties/{property_id}:runReport", json_body=body)

    def error_for(self, response: requests.Response, body: Any, path: str) -> ApiError | None:
        status = response.status_code
        error = body.get("error") if isinstance(body, dict) else None
        if status < 400 and not isinstance(error, dict):
            return None
        fields = error if isinstance(error, dict) else {}
        api_status = str(fields.get("status") or status)
        message = str(fields.get("message") or f"HTTP {status}")
        text = f"POST {path}: {message} (HTTP {status} {api_status})"
        if status == 401 or api_status == "UNAUTHENTICATED":
            cls: type[ApiError] = TokenExpiredError
        elif status == 403 or api_status == "PERMISSION_DENIED":
            cls = PermissionDeniedError
            text += (
                f"; the account behind Airflow connection '{self.endpoint.connection_id}' needs at least Viewer "
                "access to this GA4 property (Admin > Property access management), and the property id in "
                "sources.ga4.accounts must be the numeric property id, not a measurement id"
            )
        elif status == 429 or api_status == "RESOURCE_EXHAUSTED":
            cls = ThrottledError
        elif status >= 500:
            cls = TransientError
        elif status == 400 or api_status == "INVALID_ARGUMENT":
            cls = InvalidParameterError
        else:
            cls = ApiError
        return cls(text, message=message, code=api_status, path=path, http_status=status)


def _count(value: Any, report: str, row: int, metric: str) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ResponseError(f"GA4 {report} report row {row}: {metric} should be a whole count as a string, got {value!r}")


def _report_date(value: Any, report: str, row: int, window: DateWindow) -> date:
    try:
        day = datetime.strptime(value, "%Y%m%d").date()
    except (TypeError, ValueError):
        raise ResponseError(f"GA4 {report} report row {row}: date should be YYYYMMDD, got {value!r}") from None
    if not window.start <= day <= window.end:
        raise ResponseError(f"GA4 {report} report row {row}: date {day} is outside the requested {window}")
    return day


def report_rows(
    client: Ga4Client,
    property_id: str,
    report: str,
    request: dict[str, Any],
    page_size: int,
    window: DateWindow,
    tz: ZoneInfo,
) -> Iterator[dict[str, Any]]:
    """Every row of one report, paged by offset until `rowCount` rows are read."""
    offset = 0
    while True:
        body = client.run_report(property_id, {**request, "limit": page_size, "offset": offset})
        time_zone = (body.get("metadata") or {}).get("timeZone")
        if offset == 0 and time_zone and time_zone != tz.key:
            logger.warning(
                "GA4 property %s reports in %s, not the organisation's %s: its dates are %s days",
                property_id,
                time_zone,
                tz.key,
                time_zone,
            )
        records = parse_page(body, report, request, window, offset)
        yield from records
        offset += len(records)
        total = body.get("rowCount", 0)
        if offset >= total:
            return
        if not records:
            raise ResponseError(f"GA4 {report} report: an empty page at offset {offset} of {total} rows")


def parse_page(
    body: dict[str, Any], report: str, request: dict[str, Any], window: DateWindow, offset: int
) -> list[dict[str, Any]]:
    """One page's rows as {dimension name: value, metric name: int}, `date` parsed; rows are
    numbered from 1 over the whole report in errors."""
    dimensions = [d["name"] for d in request["dimensions"]]
    metrics = [m["name"] for m in request["metrics"]]
    # Columns are read by name from the headers, never by position.
    dimension_headers = [h.get("name") for h in body.get("dimensionHeaders") or []]
    metric_headers = [h.get("name") for h in body.get("metricHeaders") or []]
    if sorted(dimension_headers) != sorted(dimensions) or sorted(metric_headers) != sorted(metrics):
        raise ResponseError(
            f"GA4 {report} report: expected columns {dimensions + metrics}, got {dimension_headers + metric_headers}"
        )
    rows = body.get("rows") or []
    total = body.get("rowCount", 0)
    if isinstance(total, bool) or not isinstance(total, int) or total < offset + len(rows):
        raise ResponseError(f"GA4 {report} report: rowCount {total!r} does not cover the {len(rows)} rows sent")
    records = []
    for number, row in enumerate(rows, start=offset + 1):
        values = [v.get("value") for v in row.get("dimensionValues") or []]
        counts = [v.get("value") for v in row.get("metricValues") or []]
        if len(values) != len(dimension_headers) or len(counts) != len(metric_headers):
            raise ResponseError(f"GA4 {report} report row {number}: expected {dimensions + metrics}, got {row}")
        record: dict[str, Any] = dict(zip(dimension_headers, values, strict=True))
        record["date"] = _report_date(record["date"], report, number, window)
        record.update({m: _count(c, report, number, m) for m, c in zip(metric_headers, counts, strict=True)})
        records.append(record)
    return records


def _date_ranges(window: DateWindow) -> list[dict[str, str]]:
    return [{"startDate": window.start.isoformat(), "endDate": window.end.isoformat()}]


def sessions(
    client: Ga4Client, property_id: str, window: DateWindow, page_size: int, tz: ZoneInfo
) -> Iterator[dict[str, Any]]:
    """Sessions and engaged sessions per day and session source / medium / campaign."""
    request = {
        "dateRanges": _date_ranges(window),
        "dimensions": [{"name": name} for name in SESSION_DIMENSIONS],
        "metrics": [{"name": "sessions"}, {"name": "engagedSessions"}],
    }
    for row in report_rows(client, property_id, "sessions", request, page_size, window, tz):
        yield {
            "property_id": property_id,
            **{column: row[name] for column, name in SESSION_COLUMNS.items()},
            "sessions": row["sessions"],
            "engaged_sessions": row["engagedSessions"],
        }


def key_events(
    client: Ga4Client, property_id: str, window: DateWindow, events: list[str], page_size: int, tz: ZoneInfo
) -> Iterator[dict[str, Any]]:
    """Key events per day, session source / medium / campaign and event name, for `events` only."""
    request = {
        "dateRanges": _date_ranges(window),
        "dimensions": [{"name": name} for name in (*SESSION_DIMENSIONS, "eventName")],
        "metrics": [{"name": "keyEvents"}],
        "dimensionFilter": {
            "filter": {"fieldName": "eventName", "inListFilter": {"values": events, "caseSensitive": True}}
        },
    }
    for row in report_rows(client, property_id, "key_events", request, page_size, window, tz):
        yield {
            "property_id": property_id,
            **{column: row[name] for column, name in SESSION_COLUMNS.items()},
            "event_name": row["eventName"],
            "key_events": row["keyEvents"],
        }


def extract_account(
    account: Account,
    endpoint: ApiEndpoint,
    settings: GoogleAnalytics,
    windows: Windows,
    http: HttpSettings,
    ctx: RunContext,
    tz: ZoneInfo,
    landing_root: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Extract one GA4 property for `ctx.partition_date` and land both entities; return rows per entity."""
    property_id = account.id
    has_history = landed_before(SOURCE, "sessions", property_id, ctx.partition_date, landing_root)
    window = extraction_window(ctx.partition_date, has_history, windows.backfill_days, settings.lookback_days)
    logger.info("GA4 property %s (%s): %s..%s", property_id, account.name, window.start, window.end)
    # Everything is fetched before anything is landed: a failure leaves earlier partitions intact.
    with Ga4Client(endpoint, http, sleep=sleep) as client:
        session_rows = list(sessions(client, property_id, window, settings.page_size, tz))
        event_rows = list(key_events(client, property_id, window, list(settings.key_events), settings.page_size, tz))

    landed = land_entities(
        SOURCE,
        property_id,
        (("sessions", session_rows, GA4_SESSIONS), ("key_events", event_rows, GA4_KEY_EVENTS)),
        ctx,
        landing_root,
    )
    logger.info("GA4 property %s: landed %s", property_id, landed)
    return landed
