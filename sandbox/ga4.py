"""A local stand-in for the Google Analytics 4 Data API (v1beta), answering from `ConversionsWorld`.

Served: `POST /v1beta/properties/{property_id}:runReport` (the base URL stands for
`https://analyticsdata.googleapis.com`) with Google's JSON request body:
- `dateRanges`: 1 to 4 `{startDate, endDate}`, each an ISO date, `NdaysAgo`, `yesterday` or
  `today` (in the property's timezone); with more than one range a `dateRange` dimension is added.
- `dimensions` among date, sessionSource, sessionMedium, sessionCampaignName, sessionManualAdContent
  (the session's utm_content; "(not set)" when its link carried none), eventName; `metrics`
  among sessions, engagedSessions, keyEvents, eventCount. Session-scoped metrics (sessions,
  engagedSessions) cannot be combined with eventName, as a dimension or in the filter: that is a
  400 "incompatible" error (the sandbox keeps no per-event session counts).
- `dimensionFilter`: a FilterExpression of `filter` (`stringFilter` with matchType EXACT,
  BEGINS_WITH, ENDS_WITH, CONTAINS, FULL_REGEXP or PARTIAL_REGEXP, or `inListFilter`), `andGroup`,
  `orGroup` and `notExpression`.
- `orderBys` (dimension or metric, `desc`), `limit` (default 10,000, at most 250,000 per page),
  `offset`, `keepEmptyRows`, `returnPropertyQuota`, `currencyCode` and `property` (ignored).
  `metricFilter`, `metricAggregations`, `cohortSpec` and `comparisons` are refused with a 400 that
  says the sandbox does not serve them; any other field is an unknown-field 400, as Google does.

The response has `dimensionHeaders`, `metricHeaders` (TYPE_INTEGER), `rows` with every value a
string (`date` as YYYYMMDD), `rowCount` (rows before paging), `metadata` {currencyCode, timeZone},
`kind` and, when asked, `propertyQuota`; an empty report has neither `rows` nor `rowCount` (proto3
leaves defaults out). Rows whose metrics are all zero are left out unless `keepEmptyRows`. Without
`orderBys` rows come by the first metric, largest first, then by dimension values. A day is
reported once it has ended in the property's timezone, from the world's first day on.

Events of a session source/medium/campaign/manual ad content and day: `session_start` (one a session),
`user_engagement` (one an engaged session), `page_view` (one a session plus two an engaged
session) and the key events `appointment_request` and `class_registration` (keyEvents = their
eventCount; 0 for the other events).

Errors are Google's `{"error": {"code", "message", "status"}}`: 400 INVALID_ARGUMENT, 401
UNAUTHENTICATED (a token outside `valid_tokens`, sent as `Authorization: Bearer`), 403
PERMISSION_DENIED (a property the token cannot read: not in the world, or a `denied_tokens`
token), 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED (property tokens spent). Each report costs property
tokens (1, plus 1 per further 30 days of dates) against a standard property's quotas
(`quota_limits` overrides them; the sandbox clock decides the hour and the day); every `throttle_every`-th call is answered as if
the hourly tokens were spent, every `transient_every`-th a 503 UNAVAILABLE, every
`server_error_every`-th a 500 INTERNAL, every `malformed_every`-th a truncated body. Calls are
counted under `run_report`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sandbox.base import ApiError, PlatformSandbox, Reply, json_reply
from sandbox.conversions import KEY_EVENTS, ConversionsWorld
from sandbox.media_plan import DEFAULT_SEED as DEFAULT_PLAN_SEED
from sandbox.registry import register
from sandbox.world import TIMEZONE

DEFAULT_TOKEN = "sandbox-token-ga4"
PROPERTY_ID = "310000501"
API_VERSION = "v1beta"
DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionManualAdContent", "eventName")
METRICS = ("sessions", "engagedSessions", "keyEvents", "eventCount")
SESSION_SCOPED_METRICS = frozenset({"sessions", "engagedSessions"})
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 250_000
MAX_DATE_RANGES = 4
MAX_DIMENSIONS = 9
MAX_METRICS = 10
# A standard property's quotas (per property unless named per project).
QUOTA_LIMITS = {
    "tokensPerDay": 200_000,
    "tokensPerHour": 40_000,
    "concurrentRequests": 10,
    "serverErrorsPerProjectPerHour": 10,
    "potentiallyThresholdedRequestsPerHour": 120,
    "tokensPerProjectPerHour": 14_000,
}
_TOKEN_QUOTAS = ("tokensPerDay", "tokensPerHour", "tokensPerProjectPerHour")

_PATH = re.compile(rf"^/{API_VERSION}/properties/([^/:]+):runReport$")
_DAYS_AGO = re.compile(r"^(\d+)daysAgo$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SCHEMA_HINT = (
    "For a list of valid dimensions and metrics, see "
    "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
)
_ALLOWED_FIELDS = frozenset(
    {
        "property",
        "dateRanges",
        "dimensions",
        "metrics",
        "dimensionFilter",
        "orderBys",
        "limit",
        "offset",
        "keepEmptyRows",
        "returnPropertyQuota",
        "currencyCode",
    }
)
_UNSERVED_FIELDS = frozenset({"metricFilter", "metricAggregations", "cohortSpec", "comparisons"})
_MATCH_TYPES: Mapping[str, Callable[[str, str], bool]] = {
    "EXACT": lambda value, wanted: value == wanted,
    "BEGINS_WITH": lambda value, wanted: value.startswith(wanted),
    "ENDS_WITH": lambda value, wanted: value.endswith(wanted),
    "CONTAINS": lambda value, wanted: wanted in value,
    "FULL_REGEXP": lambda value, wanted: re.fullmatch(wanted, value) is not None,
    "PARTIAL_REGEXP": lambda value, wanted: re.search(wanted, value) is not None,
}


@dataclass(frozen=True)
class Property:
    id: str
    display_name: str
    time_zone: str = TIMEZONE
    currency_code: str = "USD"


DEFAULT_PROPERTIES = (Property(PROPERTY_ID, "cedarvalleyhealth.org"),)


class GoogleApiError(ApiError):
    """An error the sandbox answers with, in the Google API error body shape."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(code, message)
        self.code, self.api_status, self.message = code, status, message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.api_status}}


def _invalid(message: str) -> GoogleApiError:
    return GoogleApiError(400, "INVALID_ARGUMENT", message)


def _tokens_exhausted() -> GoogleApiError:
    return GoogleApiError(
        429,
        "RESOURCE_EXHAUSTED",
        "Exhausted property tokens per hour. These quota tokens will return in under an hour. To learn more, see "
        "https://developers.google.com/analytics/devguides/reporting/data/v1/quotas",
    )


@dataclass(frozen=True)
class _Fact:
    """One day's counts for one combination of every dimension (eventName None: session level)."""

    dims: Mapping[str, str]
    metrics: Mapping[str, int]


class Ga4Sandbox(PlatformSandbox[ConversionsWorld]):
    """The GA4 Data API for a `ConversionsWorld`: `runReport` for `properties` (default: the
    organisation's web property), with a standard property's `quota_limits` unless told otherwise;
    `denied_tokens` are valid tokens of a user who cannot read the properties."""

    LABEL = "GA4 Data API sandbox"
    WORLD = ConversionsWorld
    TOKEN = DEFAULT_TOKEN
    MALFORMED_BODY = b'{"dimensionHeaders":[{"name":"date"}],"metricHeaders":[{"name":"sess'

    def __init__(
        self,
        *,
        properties: Iterable[Property] = DEFAULT_PROPERTIES,
        denied_tokens: Iterable[str] = (),
        quota_limits: Mapping[str, int] | None = None,
        **sandbox: Any,
    ) -> None:
        super().__init__(**sandbox)
        self.properties = {p.id: p for p in properties}
        self.denied_tokens = set(denied_tokens)
        self.valid_tokens |= self.denied_tokens
        self.quota_limits = {**QUOTA_LIMITS, **(quota_limits or {})}
        self._tokens_used: dict[tuple[str, str], int] = {}  # (quota, period) -> tokens
        self._facts = lru_cache(maxsize=8192)(self._compute_facts)

    # -- request handling ---------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        match = _PATH.match(path)
        number = self.next_call("run_report" if match else "unknown")
        fault = self.scheduled_fault(number)
        if fault is not None:
            return fault
        if match is None or method != "POST":
            raise GoogleApiError(404, "NOT_FOUND", f"The requested URL {method} {path} was not found.")
        token = self._authenticate(headers)
        prop = self._property(match.group(1), token)
        return json_reply(200, self._run_report(prop, _json_object(body)))

    def internal_error(self) -> Reply:
        return GoogleApiError(500, "INTERNAL", "Internal error encountered.").reply()

    def scheduled_answer(self, fault: str, number: int, **call: Any) -> Reply | None:
        if fault == "throttle":
            return _tokens_exhausted().reply()
        if fault == "transient":
            return GoogleApiError(503, "UNAVAILABLE", "The service is currently unavailable.").reply()
        if fault == "server_error":
            return self.internal_error()
        return super().scheduled_answer(fault, number)

    def _authenticate(self, headers: dict[str, str]) -> str:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or token not in self.valid_tokens:
            raise GoogleApiError(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            )
        return token

    def _property(self, property_id: str, token: str) -> Property:
        if not property_id.isdigit():
            raise _invalid(
                f"Invalid property ID: {property_id}. A property ID is numeric. To learn more, see "
                "https://developers.google.com/analytics/devguides/reporting/data/v1/property-id"
            )
        prop = self.properties.get(property_id)
        if prop is None or token in self.denied_tokens:
            raise GoogleApiError(
                403,
                "PERMISSION_DENIED",
                "User does not have sufficient permissions for this property. To learn more about Property ID, see "
                "https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.",
            )
        return prop

    # -- runReport ----------------------------------------------------------------------------

    def _run_report(self, prop: Property, request: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(request) - _ALLOWED_FIELDS - _UNSERVED_FIELDS)
        if unknown:
            raise _invalid(f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.')
        unserved = sorted(set(request) & _UNSERVED_FIELDS)
        if unserved:
            raise _invalid(f"{unserved[0]} is not served by the GA4 sandbox; leave it out of the request.")
        dimensions = _names(request, "dimensions", DIMENSIONS, MAX_DIMENSIONS)
        metrics = _names(request, "metrics", METRICS, MAX_METRICS)
        if not metrics:
            raise _invalid("At least one metric is required: add one to metrics.")
        ranges = self._date_ranges(request.get("dateRanges"))
        accepts, filtered = _compile_filter(request.get("dimensionFilter"), "dimensionFilter")
        event_level = "eventName" in dimensions or "eventName" in filtered
        incompatible = [m for m in metrics if m in SESSION_SCOPED_METRICS]
        if event_level and incompatible:
            raise _invalid(
                f"Please remove {incompatible[0]} to make the request compatible. The request's dimensions & metrics "
                "are incompatible. To learn more, see https://ga-dev-tools.google/ga4/dimensions-metrics-explorer/"
            )
        limit = _int_field(request, "limit", DEFAULT_LIMIT)
        offset = _int_field(request, "offset", 0)
        if limit < 0 or offset < 0:
            raise _invalid(f"limit ({limit}) and offset ({offset}) must not be negative.")
        limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
        headers = list(dimensions) + (["dateRange"] if len(ranges) > 1 else [])
        order_bys = _order_bys(request.get("orderBys"), headers, metrics)

        totals: dict[tuple[str, ...], list[int]] = {}
        last_day = self.now().astimezone(self.world.tz).date() - timedelta(days=1)
        for index, (first, last) in enumerate(ranges):
            day = max(first, self.world.start)
            while day <= min(last, last_day):
                for fact in self._facts(day, event_level):
                    if not accepts(fact.dims):
                        continue
                    key = tuple(fact.dims[d] for d in dimensions)
                    if len(ranges) > 1:
                        key += (f"date_range_{index}",)
                    sums = totals.setdefault(key, [0] * len(metrics))
                    for i, metric in enumerate(metrics):
                        sums[i] += fact.metrics[metric]
                day += timedelta(days=1)
        keep_empty = request.get("keepEmptyRows") is True
        rows = [(key, values) for key, values in totals.items() if keep_empty or any(values)]
        rows.sort(key=lambda row: (-row[1][0], row[0]))
        for name, desc in reversed(order_bys):
            rows.sort(key=_sort_key(name, headers, metrics), reverse=desc)

        used = self._charge(1 + max(0, sum((last - first).days for first, last in ranges)) // 30)
        answer: dict[str, Any] = {
            "dimensionHeaders": [{"name": name} for name in headers],
            "metricHeaders": [{"name": name, "type": "TYPE_INTEGER"} for name in metrics],
        }
        page = rows[offset : offset + limit]
        if page:
            answer["rows"] = [
                {
                    "dimensionValues": [{"value": value} for value in key],
                    "metricValues": [{"value": str(value)} for value in values],
                }
                for key, values in page
            ]
        if rows:
            answer["rowCount"] = len(rows)
        answer["metadata"] = {"currencyCode": prop.currency_code, "timeZone": prop.time_zone}
        if request.get("returnPropertyQuota") is True:
            answer["propertyQuota"] = used
        answer["kind"] = "analyticsData#runReport"
        return answer

    def _date_ranges(self, raw: Any) -> list[tuple[date, date]]:
        if not isinstance(raw, list) or not raw:
            raise _invalid("dateRanges must be set: a list of {startDate, endDate} (at most 4).")
        if len(raw) > MAX_DATE_RANGES:
            raise _invalid(f"A request can have at most {MAX_DATE_RANGES} dateRanges; it has {len(raw)}.")
        today = self.now().astimezone(self.world.tz).date()
        ranges = []
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                raise _invalid(f"dateRanges[{index}] must be an object with startDate and endDate.")
            first = _relative_date(item.get("startDate"), f"dateRanges[{index}].startDate", today)
            last = _relative_date(item.get("endDate"), f"dateRanges[{index}].endDate", today)
            if first > last:
                raise _invalid(
                    f"dateRanges[{index}]: startDate ({first}) is after endDate ({last}). The start date must be "
                    "before or the same as the end date."
                )
            ranges.append((first, last))
        return ranges

    def _charge(self, tokens: int) -> dict[str, dict[str, int]]:
        """Spend property tokens (or answer 429 when a period's are spent); the quota state after it."""
        now = self.now().astimezone(self.world.tz)
        periods = {
            "tokensPerDay": now.date().isoformat(),
            "tokensPerHour": now.strftime("%Y-%m-%dT%H"),
            "tokensPerProjectPerHour": now.strftime("%Y-%m-%dT%H"),
        }
        with self.lock:
            if any(self._tokens_used.get((q, periods[q]), 0) + tokens > self.quota_limits[q] for q in _TOKEN_QUOTAS):
                raise _tokens_exhausted()
            state = {}
            for quota, limit in self.quota_limits.items():
                if quota in periods:
                    used = self._tokens_used.get((quota, periods[quota]), 0) + tokens
                    self._tokens_used[(quota, periods[quota])] = used
                else:
                    used = 0  # one request at a time, no thresholding and no server errors counted
                state[quota] = {"consumed": tokens if quota in periods else 0, "remaining": limit - used}
            return state

    def _compute_facts(self, day: date, event_level: bool) -> tuple[_Fact, ...]:
        facts = []
        for row in self.world.web(day):
            dims = {
                "date": day.strftime("%Y%m%d"),
                "sessionSource": row.source,
                "sessionMedium": row.medium,
                "sessionCampaignName": row.campaign,
                "sessionManualAdContent": row.ad_content,
            }
            key_events = sum(row.key_events.values())
            events = {
                "session_start": row.sessions,
                "user_engagement": row.engaged_sessions,
                "page_view": row.sessions + 2 * row.engaged_sessions,
                **{event: row.key_events[event] for event in KEY_EVENTS},
            }
            if not event_level:
                metrics = {
                    "sessions": row.sessions,
                    "engagedSessions": row.engaged_sessions,
                    "keyEvents": key_events,
                    "eventCount": sum(events.values()),
                }
                facts.append(_Fact(dims, metrics))
                continue
            for event, count in events.items():
                key_count = count if event in KEY_EVENTS else 0
                facts.append(_Fact({**dims, "eventName": event}, {"eventCount": count, "keyEvents": key_count}))
        return tuple(facts)


# -- request parsing --------------------------------------------------------------------------


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        request = json.loads(body or b"{}")
    except ValueError as exc:
        raise _invalid(f"Invalid JSON payload received. {exc}") from None
    if not isinstance(request, dict):
        raise _invalid("Invalid JSON payload received. Expected an object at the top level.")
    return request


def _names(request: dict[str, Any], field: str, known: tuple[str, ...], most: int) -> list[str]:
    kind = field[:-1]  # "dimension" or "metric"
    raw = request.get(field) or []
    if not isinstance(raw, list):
        raise _invalid(f"{field} must be a list of {{name}} objects.")
    names = []
    for index, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            raise _invalid(f"{field}[{index}] must have a name.")
        if name not in known:
            raise _invalid(f"Field {name} is not a valid {kind}. {_SCHEMA_HINT}")
        if name in names:
            raise _invalid(f"Duplicate {kind} name {name}: request each {kind} once.")
        names.append(name)
    if len(names) > most:
        raise _invalid(f"Requests are limited to {most} {field}; this one has {len(names)}.")
    return names


def _relative_date(raw: Any, field: str, today: date) -> date:
    if isinstance(raw, str):
        if raw == "today":
            return today
        if raw == "yesterday":
            return today - timedelta(days=1)
        if match := _DAYS_AGO.match(raw):
            return today - timedelta(days=int(match.group(1)))
        if _ISO_DATE.match(raw):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
    raise _invalid(f"Field {field} has an invalid value {raw!r}: use YYYY-MM-DD, NdaysAgo, yesterday or today.")


def _int_field(request: dict[str, Any], field: str, default: int) -> int:
    """An int64 field: JSON sends it as a number or a decimal string."""
    raw = request.get(field)
    if raw is None:
        return default
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    raise _invalid(f"Invalid value at '{field}' (TYPE_INT64), {json.dumps(raw)}")


def _compile_filter(expression: Any, where: str) -> tuple[Callable[[Mapping[str, str]], bool], set[str]]:
    """A predicate over a fact's dimension values, and the dimensions the expression reads."""
    if expression is None:
        return (lambda dims: True), set()
    if not isinstance(expression, dict) or len(expression) != 1:
        raise _invalid(f"{where} must have exactly one of andGroup, orGroup, notExpression or filter.")
    ((kind, value),) = expression.items()
    if kind in ("andGroup", "orGroup"):
        parts = (value or {}).get("expressions") if isinstance(value, dict) else None
        if not isinstance(parts, list) or not parts:
            raise _invalid(f"{where}.{kind}.expressions must be a non-empty list.")
        compiled = [_compile_filter(part, f"{where}.{kind}.expressions[{i}]") for i, part in enumerate(parts)]
        combine = all if kind == "andGroup" else any
        fields = set().union(*(f for _, f in compiled))
        return (lambda dims: combine(test(dims) for test, _ in compiled)), fields
    if kind == "notExpression":
        test, fields = _compile_filter(value, f"{where}.notExpression")
        return (lambda dims: not test(dims)), fields
    if kind != "filter" or not isinstance(value, dict):
        raise _invalid(f"{where}: unknown expression {kind!r}.")
    name = value.get("fieldName")
    if name in METRICS:
        raise _invalid(f"{where}: metrics cannot be used in a dimension filter ({name}).")
    if name not in DIMENSIONS:
        raise _invalid(f"{where}: Field {name} is not a valid dimension. {_SCHEMA_HINT}")
    if "stringFilter" in value:
        spec = value["stringFilter"] or {}
        match_type = spec.get("matchType", "EXACT")
        if match_type not in _MATCH_TYPES:
            raise _invalid(
                f"{where}.filter.stringFilter.matchType {match_type!r} is not one of {sorted(_MATCH_TYPES)}."
            )
        wanted, fold = str(spec.get("value", "")), spec.get("caseSensitive") is not True
        matches = _MATCH_TYPES[match_type]
        if fold:
            return (lambda dims: matches(dims[name].lower(), wanted.lower())), {name}
        return (lambda dims: matches(dims[name], wanted)), {name}
    if "inListFilter" in value:
        spec = value["inListFilter"] or {}
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise _invalid(f"{where}.filter.inListFilter.values must be a non-empty list.")
        if spec.get("caseSensitive") is True:
            allowed = frozenset(str(v) for v in values)
            return (lambda dims: dims[name] in allowed), {name}
        folded = frozenset(str(v).lower() for v in values)
        return (lambda dims: dims[name].lower() in folded), {name}
    raise _invalid(f"{where}.filter on {name} needs a stringFilter or an inListFilter.")


def _order_bys(raw: Any, headers: list[str], metrics: list[str]) -> list[tuple[str, bool]]:
    orders = []
    for index, item in enumerate(raw or []):
        if not isinstance(item, dict):
            raise _invalid(f"orderBys[{index}] must be an object.")
        if isinstance(item.get("dimension"), dict):
            name, known = item["dimension"].get("dimensionName"), headers
        elif isinstance(item.get("metric"), dict):
            name, known = item["metric"].get("metricName"), metrics
        else:
            raise _invalid(f"orderBys[{index}] must order by a dimension or a metric.")
        if name not in known:
            raise _invalid(f"orderBys[{index}]: {name} must be one of the request's dimensions or metrics.")
        orders.append((name, item.get("desc") is True))
    return orders


def _sort_key(name: str, headers: list[str], metrics: list[str]) -> Callable[[tuple], Any]:
    if name in metrics:
        position = metrics.index(name)
        return lambda row: row[1][position]
    position = headers.index(name)
    return lambda row: row[0][position]


# -- registry ---------------------------------------------------------------------------------


def _from_registry(
    world_seed: int, scale: float, now: datetime | None, plan_seed: int = DEFAULT_PLAN_SEED, **options: Any
) -> Ga4Sandbox:
    world = ConversionsWorld(seed=world_seed, scale=scale, plan_seed=plan_seed)
    return Ga4Sandbox(world=world, now=now, **options)


register("ga4", _from_registry, "valid_tokens", "denied_tokens", "quota_limits", "plan_seed")
