"""Google Analytics 4: first-party sessions and key events by day and session source / medium /
campaign / manual ad content, from the GA4 Data API (`POST /v1beta/properties/{property_id}:runReport`).

Entities (one partition part per property):
- `sessions`: date x sessionSource x sessionMedium x sessionCampaignName x sessionManualAdContent
  with `sessions` and `engagedSessions`.
- `key_events`: the same dimensions plus eventName, metric `keyEvents`, filtered to the configured
  key events (`sources.ga4.key_events`, e.g. appointment_request).

Only aggregates are read: no user, client or session id exists in either report, so nothing that
identifies a person lands (HHS OCR tracking-technology bulletin). UTM-tagged links make the
sessions attributable: `sessionCampaignName` is the campaign id, `sessionMedium` the channel
(social, paid_social, tv, radio, print, ooh, direct_mail; "organic" and "(none)" for search and
direct visits, whose campaign is "(not set)"). `sessionManualAdContent` is the link's utm_content:
employee-advocacy links carry `<team code>_<content id>` there (never a person), so their sessions
and key events are attributed by team and content item; "(not set)" for links without it. Five
dimensions for sessions and six for key events, within GA4's nine per request.

The first run for a property backfills `windows.backfill_days`; later runs re-read the last
`lookback_days` days up to the partition date, because GA4 keeps processing a day's data for up to
two days. Dates are the property's reporting days (its timezone, which the response's metadata
names; a property whose timezone differs from the organisation's is logged as a warning). Every
value of a report is a string and is parsed here; a report is paged by `offset` with `page_size`
rows a call until `rowCount` rows are read.

Errors are Google's `{"error": {"code", "message", "status"}}`: 401 fails at once with a
re-authorise message naming the Airflow connection, 403 (no access to the property) and 400 (a
bad request) fail at once, 429 RESOURCE_EXHAUSTED (property tokens spent) and 5xx are retried with
backoff by the shared loop. `fetch` reads everything before the extract runner (`nightly.extract`)
lands anything; `SPEC` declares the source.

The landing suites check every landed event is one of the configured key events, which the
extractor filters on: anything else means the filter or the property changed under the pipeline."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import requests
from pydantic import Field

from core.settings import ApiSourceSettings, HttpSettings, Identifier
from core.severity import critical
from core.windows import DateWindow
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
from extractors.spec import ApiSource, Connection, Extraction
from extractors.suites import entity_suites, grain_expectations

logger = logging.getLogger(__name__)

SOURCE = "ga4"
PLATFORM = "GA4 Data API"
TOKEN_KIND = "Google OAuth token with the analytics.readonly scope"
DEFAULT_API_VERSION = "v1beta"
SESSION_DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionManualAdContent")
# Landed column -> GA4 name.
SESSION_COLUMNS = {
    "date": "date",
    "session_source": "sessionSource",
    "session_medium": "sessionMedium",
    "session_campaign_name": "sessionCampaignName",
    "session_manual_ad_content": "sessionManualAdContent",
}


class GoogleAnalytics(ApiSourceSettings):
    """GA4 Data API runReport: sessions and key events by day and session source/medium/campaign.
    Account ids are GA4 property ids."""

    # The key events (GA4 "conversions") that count as outcomes, e.g. appointment_request.
    key_events: list[Identifier] = Field(min_length=1)
    # GA4 keeps processing a day's data for up to two days: re-read this many days every night.
    lookback_days: int = Field(default=3, ge=1, le=90)
    page_size: int = Field(default=10_000, ge=1, le=250_000)


# First-party web analytics: GA4 Data API runReport, aggregated by day and session
# source / medium / campaign. Aggregates only: no user, client or session id ever lands.
# Both reports are broken down by the same dimensions: the grain of `sessions`.
_DIMENSIONS = [
    pa.field("property_id", pa.string(), nullable=False),
    pa.field("date", pa.date32(), nullable=False),  # in the property's reporting timezone
    pa.field("session_source", pa.string(), nullable=False),
    pa.field("session_medium", pa.string(), nullable=False),
    pa.field("session_campaign_name", pa.string(), nullable=False),
    pa.field("session_manual_ad_content", pa.string(), nullable=False),  # utm_content; "(not set)" without
]
GA4_SESSIONS = pa.schema(
    [*_DIMENSIONS, pa.field("sessions", pa.int64(), nullable=False), pa.field("engaged_sessions", pa.int64())]
)
GA4_KEY_EVENTS = pa.schema(
    [
        *_DIMENSIONS,
        pa.field("event_name", pa.string(), nullable=False),  # one of the configured key events
        pa.field("key_events", pa.int64(), nullable=False),
    ]
)


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
    """Sessions and engaged sessions per day and session source / medium / campaign / ad content."""
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
    """Key events per day, session source / medium / campaign / ad content and event name, for
    `events` only."""
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


def fetch(night: Extraction) -> dict[str, list[dict[str, Any]]]:
    """Fetch one GA4 property's two entities for `night.day`."""
    property_id, settings = night.account.id, night.settings
    window = night.window(settings.lookback_days)
    logger.info("GA4 property %s (%s): %s..%s", property_id, night.account.name, window.start, window.end)
    with Ga4Client(night.endpoint, night.http, sleep=night.sleep) as client:
        session_rows = list(sessions(client, property_id, window, settings.page_size, night.tz))
        event_rows = list(
            key_events(client, property_id, window, list(settings.key_events), settings.page_size, night.tz)
        )
    return {"sessions": session_rows, "key_events": event_rows}


# Landing suites. GX is imported when a gate builds them, never when the DAG file is parsed.
_GRAIN = [field.name for field in _DIMENSIONS]


def sessions_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        *grain_expectations(GA4_SESSIONS, _GRAIN, partition_date, ["sessions", "engaged_sessions"]),
        critical(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="sessions",
                column_B="engaged_sessions",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        ),
    ]


def key_events_checks(partition_date: date, key_events: Iterable[str]) -> list:
    """Also checks that every landed event is one of `key_events` (the configured ones)."""
    import great_expectations.expectations as gxe

    checks = grain_expectations(GA4_KEY_EVENTS, [*_GRAIN, "event_name"], partition_date, ["key_events"])
    checks.append(critical(gxe.ExpectColumnValuesToBeInSet(column="event_name", value_set=sorted(key_events))))
    return checks


def suites(settings: GoogleAnalytics) -> dict:
    """The suites with the configured key events as the only allowed event names."""
    allowed = tuple(settings.key_events)
    return entity_suites(
        SOURCE, {"sessions": sessions_checks, "key_events": lambda day: key_events_checks(day, allowed)}
    )


SPEC = ApiSource(
    SOURCE,
    GoogleAnalytics,
    {"sessions": GA4_SESSIONS, "key_events": GA4_KEY_EVENTS},
    fetch,
    history_entity="sessions",
    connection=Connection("GA4 Data API", "OAuth access token (analytics.readonly)"),
    sandbox="ga4",
    suites=suites,
)
