"""Paid social: the Meta Marketing API's ads insights (Facebook and Instagram ads), per ad and day.

Entities (shapes below), one partition part per ad account (its number, without
the `act_` prefix):
- `ads_insights`: one row per ad and day (`level=ad&time_increment=1`): campaign, ad set and ad
  ids and names, the account currency, spend, impressions, reach, clicks, inline link clicks.
- `ads_actions`: the rows' `actions` and `action_values` lists, long: one row per ad, day and
  action type, with the count (`value`) and the money value of the same type (`action_value`, NULL
  where there is none). Both are the default attribution, the plain `value` key; the per-window keys
  the API adds for `attribution_windows` are not landed.

The API sends numbers as strings: spend and action values become decimals rounded half-up to the
cent, counts integers; a metric the API leaves out lands as NULL, never 0; a value that is not a
number fails the run naming the field, ad and day.

Window: the first run for an account reads `windows.backfill_days` ending at the partition date;
later runs re-read `lookback_days` (28): Meta keeps crediting conversions to the day of the view or
click for the attribution window, so recent days change. Each run lands its whole window in the run
day's partition, and staging keeps the latest landing of each (ad, date). Days are the ad account's
reporting days; the pipeline expects the account to report in the organisation's timezone.

Reading a window: up to `async_threshold_days` days with one GET and cursor paging (`paging.next`
until it is absent); longer windows through an async report run: POST, then polls of
`async_status` with waits doubling from `poll_initial_seconds` up to `poll_max_seconds`, giving up
after `poll_timeout_seconds`, then the run's rows with cursor paging. A run that ends "Job Failed"
or "Job Skipped" (or whose rows answer -2/2490547) is submitted again, up to `MAX_REPORT_ATTEMPTS`
times. When the API asks to "reduce the amount of data" (1/99) or hits its data-per-call limit
(100/1487534), the window is split in halves and each half read on its own, down to a single day.
Throttles (4/1504022, 4/1504039, 17/2446079, 613/1487742, 80000-80004) and intermittent errors
(2/1504043) are retried by the shared loop (`extractors.http`), which waits for Meta's
`estimated_time_to_regain_access`; an expired token (190) fails at once, asking to re-authorise the
connection. `fetch` reads everything before the extract runner (`nightly.extract`) lands anything;
`SPEC` declares the source.

Other paid sources (LinkedIn Ads, Google Ads) are meant to be modules of their own beside this one,
each declaring its `SPEC` (a `fetch` and its landed entities) the same way."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

import pyarrow as pa
import requests
from pydantic import Field, field_validator

from core.contract import MONEY
from core.settings import Account, ApiSourceSettings, HttpSettings
from core.severity import critical
from core.windows import DateWindow
from extractors.http import ApiEndpoint, ApiError, GraphClient, ResponseError
from extractors.spec import ApiSource, Connection, Extraction
from extractors.suites import entity_suites, grain_expectations

logger = logging.getLogger(__name__)

SOURCE = "meta_ads"
PLATFORM = "Meta Marketing API"
TOKEN_KIND = "system-user access token with the ads_read permission"

INSIGHTS_FIELDS = (
    "date_start",
    "date_stop",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "ad_id",
    "ad_name",
    "account_currency",
    "spend",
    "impressions",
    "reach",
    "clicks",
    "inline_link_clicks",
    "actions",
    "action_values",
)
COUNT_FIELDS = ("impressions", "reach", "clicks", "inline_link_clicks")
MAX_REPORT_ATTEMPTS = 3
CENT = Decimal("0.01")

JOB_COMPLETED = "Job Completed"
_JOB_RUNNING = frozenset({"Job Not Started", "Job Started", "Job Running"})
_JOB_ENDED_BADLY = frozenset({"Job Failed", "Job Skipped"})
# "Please reduce the amount of data you're asking for" and the data-per-call limit.
_TOO_MUCH_DATA = frozenset({(1, 99), (100, 1487534)})
_REPORT_RUN_FAILED = (-2, 2490547)


class MetaAds(ApiSourceSettings):
    """Meta Marketing API ads insights (paid social on Facebook and Instagram). Account ids are
    the ad account numbers without the `act_` prefix."""

    # Conversions keep changing within the attribution window: re-read this many days every night.
    lookback_days: int = Field(default=28, ge=1, le=90)
    attribution_windows: list[Literal["1d_click", "7d_click", "28d_click", "1d_view", "7d_view"]] = Field(
        default=["7d_click", "1d_view"], min_length=1
    )
    # A date range longer than this is read through an async report run instead of a plain GET.
    async_threshold_days: int = Field(default=7, ge=1, le=1100)
    # Async report polling: the first wait, doubled after each poll up to the cap, until the timeout.
    poll_initial_seconds: float = Field(default=2, ge=0)
    poll_max_seconds: float = Field(default=60, gt=0)
    poll_timeout_seconds: float = Field(default=1800, gt=0)
    page_size: int = Field(default=500, ge=1, le=5000)

    @field_validator("accounts")
    @classmethod
    def _numeric_ad_accounts(cls, accounts: list[Account]) -> list[Account]:
        for account in accounts:
            if not account.id.isdigit():
                raise ValueError(f"ad account id {account.id!r} must be digits only (leave out the act_ prefix)")
        return accounts


# Paid social: Meta Marketing API ads insights, level=ad, time_increment=1. One row per ad and day
# as the API reports it (numbers arrive as strings and are parsed); each night re-reads a lookback,
# so staging keeps the latest landing of each (ad, date).
META_ADS_INSIGHTS = pa.schema(
    [
        pa.field("ad_account_id", pa.string(), nullable=False),  # without the act_ prefix
        pa.field("date", pa.date32(), nullable=False),  # date_start (= date_stop) in the ad account's timezone
        pa.field("campaign_id", pa.string(), nullable=False),
        pa.field("campaign_name", pa.string()),
        pa.field("adset_id", pa.string(), nullable=False),
        pa.field("ad_id", pa.string(), nullable=False),
        pa.field("ad_name", pa.string()),
        pa.field("account_currency", pa.string()),
        pa.field("spend", MONEY, nullable=False),
        pa.field("impressions", pa.int64()),
        pa.field("reach", pa.int64()),  # unique people for this ad and day only: never summed
        pa.field("clicks", pa.int64()),
        pa.field("inline_link_clicks", pa.int64()),
    ]
)
# The `actions` and `action_values` lists of the same rows, long: one row per ad x day x action
# type. Values are the platform's own attribution (per the configured windows): shown per platform,
# never summed with first-party conversions.
META_ADS_ACTIONS = pa.schema(
    [
        pa.field("ad_account_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("ad_id", pa.string(), nullable=False),
        pa.field("action_type", pa.string(), nullable=False),
        pa.field("value", pa.float64()),  # count of actions (`actions[].value`)
        pa.field("action_value", MONEY),  # `action_values[].value` for the same type, if any
    ]
)


class TooMuchDataError(ApiError):
    """The API refused the amount of data one call asked for: read a shorter range instead. Not a
    transient error, although code 1 usually is: repeating the same call cannot help."""


class ReportRunFailedError(ApiError):
    """An async report run ended as "Job Failed" or "Job Skipped", or its rows answered -2/2490547."""


class ReportRunTimeoutError(ApiError):
    """An async report run did not finish within `poll_timeout_seconds`."""


class MetaAdsClient(GraphClient):
    """The Graph client with the Marketing API's own error classes. Usage (X-Business-Use-Case-Usage
    of type ads_insights, X-Ad-Account-Usage) is read by `GraphClient.observe`."""

    def __init__(
        self, endpoint: ApiEndpoint, settings: HttpSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        # Named in error messages: whichever way the endpoint was built, this is the Marketing API's token.
        super().__init__(replace(endpoint, platform=PLATFORM, token_kind=TOKEN_KIND), settings, sleep=sleep)

    def post(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/{self.endpoint.api_version}/{path.lstrip('/')}", params)

    def error_for(self, response: requests.Response, body: Any, path: str) -> ApiError | None:
        error = super().error_for(response, body, path)
        if error is None:
            return None
        codes = (error.code, error.subcode)
        if codes in _TOO_MUCH_DATA or (error.code == 1 and "reduce the amount of data" in error.message.lower()):
            return error.again(kind=TooMuchDataError)
        if codes == _REPORT_RUN_FAILED:
            return error.again(kind=ReportRunFailedError)
        return error


def insights_params(window: DateWindow, settings: MetaAds) -> dict[str, Any]:
    """The insights request for `window`, the same for a GET and for an async report run."""
    return {
        "level": "ad",
        "time_increment": 1,
        "time_range": json.dumps({"since": window.start.isoformat(), "until": window.end.isoformat()}),
        "fields": ",".join(INSIGHTS_FIELDS),
        "action_attribution_windows": json.dumps(list(settings.attribution_windows)),
    }


def _data(page: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
    data = page.get("data")
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ResponseError(f"{PLATFORM}: {what}: expected a `data` list of rows, got {str(data)[:200]!r}")
    return data


def _paged_rows(client: MetaAdsClient, path: str, params: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
    return [row for page in client.paginate(path, params) for row in _data(page, what)]


def sync_rows(client: MetaAdsClient, account_id: str, window: DateWindow, settings: MetaAds) -> list[dict[str, Any]]:
    """The raw insights rows of `window`, read with one GET and its pages."""
    params = {**insights_params(window, settings), "limit": settings.page_size}
    return _paged_rows(client, f"/act_{account_id}/insights", params, f"act_{account_id} insights {window.start}..")


def wait_for_report(
    client: MetaAdsClient, account_id: str, run_id: str, settings: MetaAds, sleep: Callable[[float], None]
) -> None:
    """Poll a report run until it completes; waits double from `poll_initial_seconds` up to
    `poll_max_seconds`, and the waiting stops after `poll_timeout_seconds` in all."""
    delay, waited = settings.poll_initial_seconds, 0.0
    while True:
        status = client.get(f"/{run_id}", {"fields": "async_status,async_percent_completion"})
        state = status.get("async_status")
        if state == JOB_COMPLETED:
            return
        if state in _JOB_ENDED_BADLY:
            raise ReportRunFailedError(
                f"{PLATFORM}: report run {run_id} of act_{account_id} ended as {state!r}", message=f"ended as {state!r}"
            )
        if state not in _JOB_RUNNING:
            raise ResponseError(f"{PLATFORM}: report run {run_id} of act_{account_id}: unknown async_status {state!r}")
        if waited >= settings.poll_timeout_seconds:
            raise ReportRunTimeoutError(
                f"{PLATFORM}: report run {run_id} of ad account act_{account_id} is still {state!r} "
                f"({status.get('async_percent_completion', '?')}% done) after {waited:.1f} s of polling. "
                "Meta is slow to build it: retry later, or raise sources.meta_ads.poll_timeout_seconds "
                f"(now {settings.poll_timeout_seconds:g})."
            )
        pause = min(delay, settings.poll_timeout_seconds - waited)
        sleep(pause)
        waited += pause
        delay = min(delay * 2, settings.poll_max_seconds)


def report_rows(
    client: MetaAdsClient, account_id: str, window: DateWindow, settings: MetaAds, sleep: Callable[[float], None]
) -> list[dict[str, Any]]:
    """The raw insights rows of `window`, read through an async report run (submitted again when
    one fails, up to `MAX_REPORT_ATTEMPTS` runs)."""
    params = insights_params(window, settings)
    attempt = 1
    while True:
        submitted = client.post(f"/act_{account_id}/insights", params)
        run_id = str(submitted.get("report_run_id") or "")
        if not run_id:
            raise ResponseError(f"{PLATFORM}: act_{account_id}: no report_run_id in {str(submitted)[:200]!r}")
        logger.info("act_%s %s..%s: report run %s (attempt %d)", account_id, window.start, window.end, run_id, attempt)
        try:
            wait_for_report(client, account_id, run_id, settings, sleep)
            return _paged_rows(client, f"/{run_id}/insights", {"limit": settings.page_size}, f"report run {run_id}")
        except ReportRunFailedError as exc:
            if attempt == MAX_REPORT_ATTEMPTS:
                raise exc.again(
                    f"{PLATFORM}: the async report for ad account act_{account_id}, {window.start}..{window.end}, "
                    f"failed {MAX_REPORT_ATTEMPTS} times in a row (last: report run {run_id}, {exc.message}). "
                    "Meta's report runs fail now and then: retry the task later."
                ) from exc
            logger.warning(
                "act_%s %s..%s: report run %s failed (%s); submitting it again",
                account_id,
                window.start,
                window.end,
                run_id,
                exc.message,
            )
            attempt += 1


def read_window(
    client: MetaAdsClient, account_id: str, window: DateWindow, settings: MetaAds, sleep: Callable[[float], None]
) -> list[dict[str, Any]]:
    """The raw insights rows of `window`; a window the API finds too big is read in halves."""
    try:
        if window.days > settings.async_threshold_days:
            return report_rows(client, account_id, window, settings, sleep)
        return sync_rows(client, account_id, window, settings)
    except TooMuchDataError as exc:
        if window.days == 1:
            raise exc.again(
                f"{PLATFORM}: ad account act_{account_id} refuses even the single day {window.start} as too much "
                f"data ({exc.message}, code {exc.code}/{exc.subcode}, fbtrace_id {exc.trace_id}). Retry later; if "
                "it persists, the account has more ads than one call can return: ask Meta support."
            ) from exc
        middle = window.start + timedelta(days=window.days // 2 - 1)
        halves = (DateWindow(window.start, middle), DateWindow(middle + timedelta(days=1), window.end))
        logger.warning(
            "act_%s %s..%s: the API asks for less data (%s); reading %s..%s and %s..%s apart",
            account_id,
            window.start,
            window.end,
            exc.message,
            halves[0].start,
            halves[0].end,
            halves[1].start,
            halves[1].end,
        )
        return [row for half in halves for row in read_window(client, account_id, half, settings, sleep)]


# -- rows -----------------------------------------------------------------------------------


def _number(value: Any, field: str, where: str) -> Decimal | None:
    """A number the API sent (as a string, usually); None when it sent none."""
    if value is None:
        return None
    number = None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise ResponseError(f"{PLATFORM}: {where}: {field} is not a number: {value!r}")
    return number


def parse_money(value: Any, field: str, where: str) -> Decimal | None:
    """An amount in the account currency, rounded half-up to the cent (e.g. "14.355" -> 14.36)."""
    number = _number(value, field, where)
    return number.quantize(CENT, ROUND_HALF_UP) if number is not None else None


def parse_count(value: Any, field: str, where: str) -> int | None:
    number = _number(value, field, where)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ResponseError(f"{PLATFORM}: {where}: {field} is not a whole count: {value!r}")
    return int(number)


def _text(raw: Mapping[str, Any], field: str, where: str, required: bool = False) -> str | None:
    value = raw.get(field)
    if value is None or value == "":
        if required:
            raise ResponseError(f"{PLATFORM}: {where}: the row has no {field}")
        return None
    return str(value)


def _by_action_type(entries: Any, field: str, where: str) -> dict[str, Any]:
    """{action_type: its plain `value`} of an `actions` or `action_values` list."""
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise ResponseError(f"{PLATFORM}: {where}: {field} is not a list: {str(entries)[:200]!r}")
    values: dict[str, Any] = {}
    for entry in entries:
        action_type = entry.get("action_type") if isinstance(entry, dict) else None
        if not isinstance(action_type, str) or not action_type:
            raise ResponseError(f"{PLATFORM}: {where}: {field} entry without an action_type: {entry!r}")
        if action_type in values:
            raise ResponseError(f"{PLATFORM}: {where}: {field} lists action type {action_type!r} twice")
        values[action_type] = entry.get("value")
    return values


def parse_rows(account_id: str, raw_rows: Iterable[Mapping[str, Any]]) -> tuple[list[dict], list[dict]]:
    """The landed `ads_insights` and `ads_actions` rows of raw insights rows. An (ad, day) seen twice
    is an error: it would land twice."""
    insights: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    seen: set[tuple[str, date]] = set()
    for raw in raw_rows:
        where = f"ad account act_{account_id}, ad {raw.get('ad_id', '?')} on {raw.get('date_start', '?')}"
        ad_id = _text(raw, "ad_id", where, required=True)
        day = _row_day(raw, where)
        if (ad_id, day) in seen:
            raise ResponseError(f"{PLATFORM}: {where}: the API returned this ad and day twice")
        seen.add((ad_id, day))
        spend = parse_money(raw.get("spend"), "spend", where)
        if spend is None:
            raise ResponseError(f"{PLATFORM}: {where}: the row has no spend")
        insights.append(
            {
                "ad_account_id": account_id,
                "date": day,
                "campaign_id": _text(raw, "campaign_id", where, required=True),
                "campaign_name": _text(raw, "campaign_name", where),
                "adset_id": _text(raw, "adset_id", where, required=True),
                "ad_id": ad_id,
                "ad_name": _text(raw, "ad_name", where),
                "account_currency": _text(raw, "account_currency", where),
                "spend": spend,
                **{name: parse_count(raw.get(name), name, where) for name in COUNT_FIELDS},
            }
        )
        actions.extend(_action_rows(account_id, ad_id, day, raw, where))
    return insights, actions


def _row_day(raw: Mapping[str, Any], where: str) -> date:
    try:
        start, stop = date.fromisoformat(raw["date_start"]), date.fromisoformat(raw["date_stop"])
    except (KeyError, TypeError, ValueError):
        raise ResponseError(f"{PLATFORM}: {where}: date_start/date_stop are not YYYY-MM-DD dates") from None
    if start != stop:
        raise ResponseError(f"{PLATFORM}: {where}: a row spans {start}..{stop}, expected one day (time_increment=1)")
    return start


def _action_rows(account_id: str, ad_id: str, day: date, raw: Mapping[str, Any], where: str) -> Iterator[dict]:
    counts = _by_action_type(raw.get("actions"), "actions", where)
    values = _by_action_type(raw.get("action_values"), "action_values", where)
    for action_type in dict.fromkeys([*counts, *values]):
        count = _number(counts.get(action_type), f"actions[{action_type}]", where)
        yield {
            "ad_account_id": account_id,
            "date": day,
            "ad_id": ad_id,
            "action_type": action_type,
            "value": float(count) if count is not None else None,
            "action_value": parse_money(values.get(action_type), f"action_values[{action_type}]", where),
        }


def fetch(night: Extraction) -> dict[str, list[dict[str, Any]]]:
    """Fetch one ad account's two entities for `night.day`. `night.tz` is the organisation's
    timezone, which the ad account is expected to report in."""
    account_id, settings = night.account.id, night.settings
    window = night.window(settings.lookback_days)
    logger.info(
        "Meta ad account act_%s (%s): insights %s..%s (%s days, %s; days in %s)",
        account_id,
        night.account.name,
        window.start,
        window.end,
        window.days,
        "async report run" if window.days > settings.async_threshold_days else "one GET",
        night.tz.key,
    )
    with MetaAdsClient(night.endpoint, night.http, sleep=night.sleep) as client:
        raw_rows = read_window(client, account_id, window, settings, night.sleep)
    insights_rows, action_rows = parse_rows(account_id, raw_rows)
    return {"ads_insights": insights_rows, "ads_actions": action_rows}


# Landing suites: the extractor already rejects rows it cannot parse; these guard each landed
# partition as a whole before dbt reads it. GX is imported when a gate builds them.


def ads_insights_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        *grain_expectations(META_ADS_INSIGHTS, ["ad_id", "date"], partition_date),
        *[
            critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))
            for column in ("spend", "impressions", "clicks")
        ],
        # Reach counts people, impressions views: never more people than views.
        critical(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="impressions", column_B="reach", or_equal=True, ignore_row_if="either_value_is_missing"
            )
        ),
    ]


def ads_actions_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        *grain_expectations(META_ADS_ACTIONS, ["ad_id", "date", "action_type"], partition_date),
        critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
        critical(gxe.ExpectColumnValuesToBeBetween(column="action_value", min_value=0)),
    ]


SUITES = entity_suites(SOURCE, {"ads_insights": ads_insights_checks, "ads_actions": ads_actions_checks})


SPEC = ApiSource(
    SOURCE,
    MetaAds,
    {"ads_insights": META_ADS_INSIGHTS, "ads_actions": META_ADS_ACTIONS},
    fetch,
    history_entity="ads_insights",
    connection=Connection("Meta Marketing API", "system-user access token with ads_read", "v24.0"),
    sandbox="meta_ads",
    suites=SUITES,
)
