"""Cedar Valley Health's paid social on Meta (Facebook and Instagram ads), as a seeded model, and a
local stand-in for the Meta Marketing API's ads insights that answers from it.

The world. One ad account runs one Meta campaign per organisation campaign (the campaign seed), each
with two ad sets of two ads. Delivery is a pure function of (seed, ad, day): an ad spends a share of
its campaign's daily budget, paced by the week (`pacing`: paused weeks and pushes) and the weekday,
with noise, buys impressions at a CPM, and draws link
clicks and on-platform actions from them. Every ad links to the website with
`utm_source=facebook&utm_medium=paid_social&utm_campaign=<campaign id>`, so first-party web
analytics can see what paid social brings, and the conversions model reads `campaign_spend` as the
ground truth of paid investment per campaign and day. Flu-shot campaigns deliver only in flu season,
like their organic posts.

The API (`MetaAdsSandbox`), with the real paths, parameters, string numbers, cursor paging, Graph
error bodies and usage headers (shared/reference/platform-apis.md sections 0 and 6):
- `GET /{version}/act_{id}/insights?level=ad&time_increment=1&time_range={"since":..,"until":..}`
  `&fields=..&action_attribution_windows=[..]&limit=N`: one row per ad and day, numbers as strings,
  `actions` / `action_values` as lists of {action_type, value, one key per requested window}.
- `POST /{version}/act_{id}/insights` with the same parameters starts an async report run:
  `{"report_run_id": ..}`; `GET /{version}/{run_id}?fields=async_status,async_percent_completion`
  polls it; `GET /{version}/{run_id}/insights` pages through its rows once it is "Job Completed".

Limits it enforces, as the real API does: the start date at most 37 months back (code 3018); a
synchronous read of more than `sync_row_limit` ad-days (ads in the account x days in the range)
answers "Please reduce the amount of data" (code 1, subcode 99, HTTP 500) and one of more than
`data_per_call_limit` ad-days (off by default) the data-per-call limit (code 100, subcode 1487534);
an unknown field or a bad `time_range` is code 100, an unknown token code 190. The sandbox serves
`level=ad` with `time_increment=1` only, and refuses other values with code 100.

Options: the shared faults on a fixed schedule of the call number (`throttle_every`: codes 4/1504022,
4/1504039, 17/2446079, 613/1487742, 80000 and 80004 in turn, HTTP 400, with the usage headers at 100%
and `estimated_time_to_regain_access` = `regain_minutes`; `transient_every`: the intermittent code
2/1504043; `server_error_every`: an HTML 502; `malformed_every`: a truncated body),
`async_polls_before_done` (status polls a report run answers as not finished before it finishes),
`fail_async_jobs` (the first N report runs end as "Job Failed"; their rows answer -2/2490547),
`valid_tokens`. Calls are counted per endpoint kind: insights, report_runs, report_status,
report_insights."""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from sandbox.graph import (
    UNEXPECTED_ERROR,
    VERSION,
    GraphApi,
    GraphError,
    GraphRoute,
    absolute,
    access_token,
    decode_cursor,
    encode_cursor,
    expired_session,
    no_such_object,
    nonexisting_field,
    page_limit,
    unsupported,
)
from sandbox.registry import register
from sandbox.world import WEEKDAY_FACTOR, Campaign, SeededWorld, campaign_active

CENT = Decimal("0.01")
AD_ACCOUNT_ID = "1200300400501"
# Meta ids are long numbers; these prefixes keep campaign, ad set and ad ids apart and stable.
_CAMPAIGN_BASE = 120_210_000_000_000_000
_ADSET_BASE = 120_211_000_000_000_000
_AD_BASE = 120_212_000_000_000_000
# Daily budget in dollars per campaign objective (the organisation campaign's objective).
_DAILY_BUDGET = {
    "flu_shot_drive": 180,
    "service_line_growth": 140,
    "new_clinic": 110,
    "community_health": 45,
}
_META_OBJECTIVE = {
    "flu_shot_drive": "OUTCOME_AWARENESS",
    "service_line_growth": "OUTCOME_LEADS",
    "new_clinic": "OUTCOME_TRAFFIC",
    "community_health": "OUTCOME_ENGAGEMENT",
}
# Weekly budget pacing (`MetaAdsWorld.pacing`): the odds of a paused week, a running week's range.
_PAUSED_WEEK_ODDS = 1 / 7
_PACING_RANGE = (0.4, 1.8)
ADSETS_PER_CAMPAIGN = 2
ADS_PER_ADSET = 2
# The attribution windows the API can split actions by; an action's plain `value` is the default
# attribution, 7-day click or 1-day view.
ATTRIBUTION_WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view", "7d_view")
# Engagement with the ad itself is a click, counted the moment it happens; other actions (leads) are
# also credited to people who clicked days earlier, or only saw the ad.
_ON_AD_ACTIONS = frozenset({"link_click", "post_reaction", "comment", "post", "post_engagement", "page_engagement"})


@dataclass(frozen=True)
class AdAccount:
    id: str  # without the act_ prefix
    name: str
    currency: str
    timezone_name: str


@dataclass(frozen=True)
class AdCampaign:
    id: str
    name: str
    objective: str  # Meta's campaign objective
    campaign: Campaign  # the organisation campaign it promotes
    daily_budget: Decimal


@dataclass(frozen=True)
class Ad:
    id: str
    name: str
    adset_id: str
    adset_name: str
    ad_campaign: AdCampaign
    link: str


@dataclass(frozen=True)
class AdDay:
    """What one ad delivered on one day (the ad account's timezone)."""

    ad: Ad
    day: date
    spend: Decimal
    impressions: int
    reach: int
    clicks: int
    inline_link_clicks: int
    actions: Mapping[str, int]
    action_values: Mapping[str, Decimal]


class MetaAdsWorld(SeededWorld):
    rng_namespace = "meta_ads"

    def __init__(self, **world: Any) -> None:
        super().__init__(**world)
        self.accounts = {
            AD_ACCOUNT_ID: AdAccount(AD_ACCOUNT_ID, "Cedar Valley Health", "USD", "America/Chicago"),
        }
        self.delivery = lru_cache(maxsize=4096)(self._delivery)

    def account(self, account_id: str) -> AdAccount:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise KeyError(f"no ad account {account_id!r} in the sandbox world") from None

    def ad_campaigns(self, account_id: str) -> list[AdCampaign]:
        self.account(account_id)
        return [
            AdCampaign(
                id=str(_CAMPAIGN_BASE + index),
                name=f"CVH | {campaign.name}",
                objective=_META_OBJECTIVE.get(campaign.objective, "OUTCOME_TRAFFIC"),
                campaign=campaign,
                daily_budget=Decimal(round(_DAILY_BUDGET.get(campaign.objective, 60) * self.scale)),
            )
            for index, campaign in enumerate(self.campaigns)
        ]

    def ads(self, account_id: str) -> list[Ad]:
        ads = []
        for index, ad_campaign in enumerate(self.ad_campaigns(account_id)):
            slug = ad_campaign.campaign.id
            for adset_rank in range(ADSETS_PER_CAMPAIGN):
                adset_id = str(_ADSET_BASE + index * 10 + adset_rank)
                audience = ("Cedar Valley 25-64", "Cedar Valley parents")[adset_rank]
                for ad_rank in range(ADS_PER_ADSET):
                    ads.append(
                        Ad(
                            id=str(_AD_BASE + index * 100 + adset_rank * 10 + ad_rank),
                            name=f"{slug} | {('image', 'video')[ad_rank]}",
                            adset_id=adset_id,
                            adset_name=f"{slug} | {audience}",
                            ad_campaign=ad_campaign,
                            link=(
                                f"https://www.cedarvalleyhealth.org/{slug}"
                                f"?utm_source=facebook&utm_medium=paid_social&utm_campaign={slug}"
                            ),
                        )
                    )
        return ads

    def _delivery(self, account_id: str, day: date) -> tuple[AdDay, ...]:
        """Every ad's delivery on `day`; ads of a campaign out of flight deliver nothing."""
        if day < self.start:
            return ()
        rows = []
        ads = self.ads(account_id)
        per_campaign = ADSETS_PER_CAMPAIGN * ADS_PER_ADSET
        for ad in ads:
            if not campaign_active(ad.ad_campaign.campaign, day):
                continue
            pacing = self.pacing(ad.ad_campaign, day)
            if pacing == 0:
                continue
            rng = self._rng("delivery", ad.id, day.isoformat())
            share = ad.ad_campaign.daily_budget * pacing / per_campaign
            spend = (share * Decimal(str(WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.8, 1.15)))).quantize(
                CENT, ROUND_HALF_UP
            )
            impressions = int(spend * 1000 / Decimal(str(rng.uniform(7.5, 14.0))))
            reach = int(impressions / rng.uniform(1.1, 1.45))
            clicks = round(impressions * rng.uniform(0.008, 0.018))
            link_clicks = round(clicks * rng.uniform(0.55, 0.8))
            reactions = round(impressions * rng.uniform(0.002, 0.006))
            comments = round(reactions * rng.uniform(0.05, 0.15))
            shares = round(reactions * rng.uniform(0.03, 0.1))
            actions = {
                "link_click": link_clicks,
                "post_reaction": reactions,
                "comment": comments,
                "post": shares,
                "post_engagement": link_clicks + reactions + comments + shares,
                "page_engagement": link_clicks + reactions + comments + shares,
            }
            action_values: dict[str, Decimal] = {}
            if ad.ad_campaign.objective == "OUTCOME_LEADS":
                # On-Facebook lead forms (no pixel on patient pages): the platform's own count.
                leads = round(link_clicks * rng.uniform(0.02, 0.06))
                actions["lead"] = leads
                action_values["lead"] = Decimal(leads * 40)
            rows.append(
                AdDay(
                    ad=ad,
                    day=day,
                    spend=spend,
                    impressions=impressions,
                    reach=reach,
                    clicks=clicks,
                    inline_link_clicks=link_clicks,
                    actions={k: v for k, v in actions.items() if v > 0},
                    action_values={k: v for k, v in action_values.items() if v > 0},
                )
            )
        return tuple(rows)

    def pacing(self, ad_campaign: AdCampaign, day: date) -> Decimal:
        """The share of its daily budget a campaign runs at in the ISO week of `day`: marketers pace
        paid social in flights (a push, a pause while creative is refreshed, a cut when the month's
        budget runs low), so weekly spend varies as it does in a real account. A campaign is paused
        for a week one week in seven; otherwise it runs at 40% to 180% of its budget."""
        monday = day - timedelta(days=day.weekday())
        rng = self._rng("pacing", ad_campaign.id, monday.isoformat())
        if rng.random() < _PAUSED_WEEK_ODDS:
            return Decimal(0)
        return Decimal(str(round(rng.uniform(*_PACING_RANGE), 2)))

    def campaign_spend(self, day: date) -> dict[str, Decimal]:
        """Paid-social spend per organisation campaign id on `day`, over every ad account."""
        totals: dict[str, Decimal] = {}
        for account_id in self.accounts:
            for row in self.delivery(account_id, day):
                key = row.ad.ad_campaign.campaign.id
                totals[key] = totals.get(key, Decimal(0)) + row.spend
        return totals

    def campaign_link_clicks(self, day: date) -> dict[str, int]:
        """Link clicks per organisation campaign id on `day`: the visits paid social sends to the site."""
        totals: dict[str, int] = {}
        for account_id in self.accounts:
            for row in self.delivery(account_id, day):
                key = row.ad.ad_campaign.campaign.id
                totals[key] = totals.get(key, 0) + row.inline_link_clicks
        return totals

    def days(self, first: date, last: date) -> list[date]:
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def attribution(self, row: AdDay, action_type: str) -> dict[str, int]:
        """One action type's count on the row's day per attribution window. `row.actions` holds the
        default attribution, whose `7d_click` and `1d_view` parts add up to it."""
        total = row.actions.get(action_type, 0)
        if action_type in _ON_AD_ACTIONS:
            return {"1d_click": total, "7d_click": total, "28d_click": total, "1d_view": 0, "7d_view": 0}
        rng = self._rng("attribution", row.ad.id, row.day.isoformat(), action_type)
        view_1d = round(total * rng.uniform(0.1, 0.25))
        click_7d = total - view_1d
        return {
            "1d_click": round(click_7d * rng.uniform(0.75, 0.95)),
            "7d_click": click_7d,
            "28d_click": click_7d + round(click_7d * rng.uniform(0.0, 0.12)),
            "1d_view": view_1d,
            "7d_view": view_1d + round(view_1d * rng.uniform(0.2, 0.6)),
        }

    def reported(self, account_id: str, day: date, now: datetime) -> tuple[AdDay, ...]:
        """What the API reports for `day` at `now`: the whole day once it is over, the elapsed part
        of today, nothing for a later day."""
        start, end = self.day_start(day), self.day_start(day + timedelta(days=1))
        if now >= end:
            return self.delivery(account_id, day)
        if now <= start:
            return ()
        elapsed = (now - start) / (end - start)
        return tuple(_partial_day(row, elapsed) for row in self.delivery(account_id, day))


def _partial_day(row: AdDay, share: float) -> AdDay:
    """The part of a day's delivery that has happened when `share` of the day is over."""
    factor = Decimal(str(share))
    actions = {name: int(count * share) for name, count in row.actions.items()}
    return replace(
        row,
        spend=(row.spend * factor).quantize(CENT, ROUND_HALF_UP),
        impressions=int(row.impressions * share),
        reach=int(row.reach * share),
        clicks=int(row.clicks * share),
        inline_link_clicks=int(row.inline_link_clicks * share),
        actions={name: count for name, count in actions.items() if count > 0},
        action_values={
            name: (value * factor).quantize(CENT, ROUND_HALF_UP)
            for name, value in row.action_values.items()
            if actions.get(name, 0) > 0
        },
    )


# -- the Marketing API ----------------------------------------------------------------------

DEFAULT_TOKEN = "sandbox-meta-ads-token"
# Ad-days (ads in the account x days in the range) a synchronous read may cover; more answers 1/99.
DEFAULT_SYNC_ROW_LIMIT = 1000
HISTORY_MONTHS = 37

INSIGHTS_FIELDS = (
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "objective",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "date_start",
    "date_stop",
    "spend",
    "impressions",
    "reach",
    "clicks",
    "inline_link_clicks",
    "actions",
    "action_values",
)
# What the API answers when `fields` is left out.
_DEFAULT_INSIGHTS_FIELDS = ("account_id", "spend", "impressions")
REPORT_RUN_FIELDS = (
    "id",
    "account_id",
    "async_status",
    "async_percent_completion",
    "date_start",
    "date_stop",
    "time_ref",
    "time_completed",
)
_DEFAULT_REPORT_RUN_FIELDS = ("id", "async_status", "async_percent_completion")

JOB_NOT_STARTED = "Job Not Started"
JOB_STARTED = "Job Started"
JOB_RUNNING = "Job Running"
JOB_COMPLETED = "Job Completed"
JOB_FAILED = "Job Failed"
JOB_SKIPPED = "Job Skipped"

_RUN_ID_BASE = 6_020_000_000_000_000
_TOO_MANY_CALLS = "There have been too many calls from this ad-account. Please wait a bit and try again."
# (code, subcode, message, user title) of the throttles, served in turn.
_THROTTLES = (
    (4, 1504022, "(#4) Application request limit reached", "Too many API requests"),
    (4, 1504039, "(#4) Application request limit reached", "Too many calls to Ads Insights"),
    (17, 2446079, "(#17) User request limit reached", "User request limit reached"),
    (613, 1487742, "(#613) Calls to this api have exceeded the rate limit.", "Too many calls from this ad-account"),
    (80000, 2446079, "(#80000) There have been too many calls from this ad-account. Wait a bit and try again.", ""),
    (80004, 2446079, "(#80004) There have been too many calls to this ad-account. Wait a bit and try again.", ""),
)


@dataclass(frozen=True)
class _Query:
    """A validated insights request."""

    account_id: str
    since: date
    until: date
    fields: tuple[str, ...]
    windows: tuple[str, ...]

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


@dataclass
class _ReportRun:
    id: str
    query: _Query
    created: datetime
    fails: bool
    polls: int = 0
    status: str = JOB_NOT_STARTED
    percent: int = 0
    completed: datetime | None = None


class MetaAdsSandbox(GraphApi[MetaAdsWorld]):
    """The Marketing API's ads insights for one `MetaAdsWorld`, synchronous and as report runs;
    its limits, report-run knobs and faults are described in the module docstring."""

    LABEL = "Meta Marketing API sandbox"
    WORLD = MetaAdsWorld
    TOKEN = DEFAULT_TOKEN
    MALFORMED_BODY = b'{"data":[{"date_start":"2026-11-01","spend":"14.'

    def __init__(
        self,
        *,
        regain_minutes: int = 0,
        async_polls_before_done: int = 0,
        fail_async_jobs: int = 0,
        sync_row_limit: int = DEFAULT_SYNC_ROW_LIMIT,
        data_per_call_limit: int = 0,
        **sandbox: Any,
    ) -> None:
        super().__init__(**sandbox)
        self.regain_minutes = regain_minutes
        self.async_polls_before_done = async_polls_before_done
        self.fail_async_jobs = fail_async_jobs
        self.sync_row_limit = sync_row_limit
        self.data_per_call_limit = data_per_call_limit
        self.report_runs: dict[str, _ReportRun] = {}

    # -- request handling ---------------------------------------------------------------------

    def route(self, method: str, path: str) -> GraphRoute | None:
        route = _route(path)
        if route is not None and method == "POST" and route.kind == "insights":
            return replace(route, kind="report_runs")
        return route

    def usage_subject(self, route: GraphRoute | None, query: str) -> str | None:
        """The ad account a call is about."""
        if route is None:
            return None
        if route.kind in ("insights", "report_runs"):
            return route.object_id if route.object_id in self.world.accounts else None
        with self.lock:
            run = self.report_runs.get(route.object_id)
        return run.query.account_id if run is not None else None

    def answer(
        self, method: str, path: str, route: GraphRoute | None, query: str, headers: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        params = _request_params(query, headers, body)
        caller = access_token(params, headers)
        if caller not in self.valid_tokens:
            raise expired_session(self.now())
        if route is None:
            raise GraphError("Unknown path components: " + path, code=2500)
        if method == "POST" and route.kind != "report_runs":
            raise unsupported(method, route.object_id)
        return self._answer(route, params, caller)

    def throttle_error(self, route: GraphRoute | None) -> GraphError:
        code, subcode, message, title = self.in_turn(_THROTTLES)
        return GraphError(
            message,
            code=code,
            subcode=subcode,
            status=400,
            is_transient=True,
            user_title=title or None,
            user_msg=_TOO_MANY_CALLS if title else None,
        )

    def transient_error(self) -> GraphError:
        return GraphError(
            UNEXPECTED_ERROR,
            code=2,
            subcode=1504043,
            status=500,
            is_transient=True,
            user_title="Intermittent error",
            user_msg="There was an intermittent issue with the request. Please retry.",
        )

    def usage_headers(self, number: int, account_id: str | None, throttled: bool) -> dict[str, str]:
        percent = self.usage_percent(number, throttled)
        regain = self.regain_minutes if throttled else 0
        tier = "standard_access"
        headers = {
            "x-fb-ads-insights-throttle": json.dumps(
                {"app_id_util_pct": percent, "acc_id_util_pct": percent, "ads_api_access_tier": tier}
            )
        }
        if account_id is not None:
            usage = {
                "type": "ads_insights",
                "call_count": percent,
                "total_cputime": percent // 2,
                "total_time": percent * 3 // 4,
                "estimated_time_to_regain_access": regain,
                "ads_api_access_tier": tier,
            }
            headers["X-Business-Use-Case-Usage"] = json.dumps({account_id: [usage]})
            headers["X-Ad-Account-Usage"] = json.dumps(
                {"acc_id_util_pct": percent, "reset_time_duration": regain * 60, "ads_api_access_tier": tier}
            )
        return headers

    # -- endpoints ----------------------------------------------------------------------------

    def _answer(self, route: GraphRoute, params: dict[str, str], token: str) -> dict[str, Any]:
        if route.kind == "insights":
            return self._sync_insights(route, params, token)
        if route.kind == "report_runs":
            return self._create_report_run(route, params)
        if route.kind == "report_status":
            return self._report_status(self._report_run(route.object_id), params)
        return self._report_insights(route, self._report_run(route.object_id), params, token)

    def _sync_insights(self, route: GraphRoute, params: dict[str, str], token: str) -> dict[str, Any]:
        query = self._query(route.object_id, params)
        ad_days = len(self.world.ads(query.account_id)) * query.days
        if self.data_per_call_limit > 0 and ad_days > self.data_per_call_limit:
            raise GraphError(
                "Please reduce the amount of data you're asking for, then retry your request",
                code=100,
                subcode=1487534,
                user_title="Data per call limit exceeded",
                user_msg="The data you requested exceeds the limit for one call. Request a shorter time range, "
                "or use an asynchronous report run.",
            )
        if self.sync_row_limit > 0 and ad_days > self.sync_row_limit:
            raise GraphError(
                "Please reduce the amount of data you're asking for, then retry your request",
                code=1,
                subcode=99,
                status=500,
                user_title="Too much data",
                user_msg="Request a shorter time range, or use an asynchronous report run.",
            )
        rows = self._rows(query, self.now())
        return self._page(rows, params, f"/{route.version}/act_{query.account_id}/insights", token)

    def _create_report_run(self, route: GraphRoute, params: dict[str, str]) -> dict[str, Any]:
        # A bad request is refused at once, not as a failed job.
        query = self._query(route.object_id, params)
        with self.lock:
            serial = len(self.report_runs) + 1
            run = _ReportRun(str(_RUN_ID_BASE + serial), query, self.now(), fails=serial <= self.fail_async_jobs)
            self.report_runs[run.id] = run
        return {"report_run_id": run.id}

    def _report_run(self, run_id: str) -> _ReportRun:
        with self.lock:
            run = self.report_runs.get(run_id)
        if run is None:
            raise no_such_object(run_id)
        return run

    def _report_status(self, run: _ReportRun, params: dict[str, str]) -> dict[str, Any]:
        fields = _field_list(params, _DEFAULT_REPORT_RUN_FIELDS)
        for name in fields:
            if name not in REPORT_RUN_FIELDS:
                raise nonexisting_field(name, "AdReportRun")
        with self.lock:
            self._advance(run)
            values = {
                "id": run.id,
                "account_id": run.query.account_id,
                "async_status": run.status,
                "async_percent_completion": run.percent,
                "date_start": run.query.since.isoformat(),
                "date_stop": run.query.until.isoformat(),
                "time_ref": int(run.created.timestamp()),
                "time_completed": int(run.completed.timestamp()) if run.completed else 0,
            }
        return {"id": run.id, **{name: values[name] for name in fields}}

    def _advance(self, run: _ReportRun) -> None:
        """One status poll: a run takes `async_polls_before_done` polls before it ends (under the lock)."""
        if run.status in (JOB_COMPLETED, JOB_FAILED):
            return
        run.polls += 1
        steps = self.async_polls_before_done + 1
        if run.polls < steps:
            run.status = (JOB_NOT_STARTED, JOB_STARTED)[run.polls - 1] if run.polls <= 2 else JOB_RUNNING
            run.percent = 0 if run.status == JOB_NOT_STARTED else 100 * run.polls // steps
            return
        run.status = JOB_FAILED if run.fails else JOB_COMPLETED
        run.percent = 100 * (steps - 1) // steps if run.fails else 100
        run.completed = self.now()

    def _report_insights(
        self, route: GraphRoute, run: _ReportRun, params: dict[str, str], token: str
    ) -> dict[str, Any]:
        with self.lock:
            status = run.status
        if status == JOB_FAILED:
            raise GraphError(
                "Async job failed",
                code=-2,
                subcode=2490547,
                is_transient=True,
                user_title="Report run failed",
                user_msg="The asynchronous report run failed. Start a new report run.",
            )
        if status != JOB_COMPLETED:
            raise GraphError(
                f"(#100) Report run {run.id} is not ready ({status}): poll async_status until it is '{JOB_COMPLETED}'",
                code=100,
            )
        return self._page(self._rows(run.query, run.created), params, f"/{route.version}/{run.id}/insights", token)

    # -- requests and rows --------------------------------------------------------------------

    def _query(self, account_id: str, params: dict[str, str]) -> _Query:
        if account_id not in self.world.accounts:
            raise no_such_object(f"act_{account_id}")
        level = params.get("level", "account")
        if level not in ("account", "campaign", "adset", "ad"):
            raise GraphError("(#100) level must be one of the following values: ad, adset, campaign, account", code=100)
        if level != "ad":
            raise GraphError(f"(#100) level={level}: this sandbox serves level=ad only", code=100)
        if params.get("time_increment", "all_days") != "1":
            raise GraphError("(#100) time_increment: this sandbox serves time_increment=1 (daily rows) only", code=100)
        since, until = self._time_range(params)
        fields = _field_list(params, _DEFAULT_INSIGHTS_FIELDS)
        for name in fields:
            if name not in INSIGHTS_FIELDS:
                raise GraphError(
                    f"(#100) {name} is not valid for fields param. please check "
                    "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values",
                    code=100,
                )
        return _Query(account_id, since, until, tuple(fields), _attribution_windows(params))

    def _time_range(self, params: dict[str, str]) -> tuple[date, date]:
        today = self.world.local_day(self.now())
        if "time_range" in params:
            try:
                spec = json.loads(params["time_range"])
            except ValueError:
                spec = None
        elif "time_range[since]" in params or "time_range[until]" in params:
            spec = {"since": params.get("time_range[since]"), "until": params.get("time_range[until]")}
        else:
            return today - timedelta(days=30), today - timedelta(days=1)  # date_preset=last_30d, the default
        invalid = (
            '(#100) param time_range must be a JSON object with keys "since" and "until" (YYYY-MM-DD dates, '
            f"since <= until): {params.get('time_range')!r}"
        )
        if not isinstance(spec, dict) or set(spec) != {"since", "until"}:
            raise GraphError(invalid, code=100)
        try:
            since, until = date.fromisoformat(spec["since"]), date.fromisoformat(spec["until"])
        except (TypeError, ValueError):
            raise GraphError(invalid, code=100) from None
        if since > until:
            raise GraphError(invalid, code=100)
        if since < _months_before(today, HISTORY_MONTHS):
            raise GraphError(
                f"(#3018) The start date of the time range cannot be beyond {HISTORY_MONTHS} months from the "
                "current date",
                code=3018,
                user_title="Start date beyond 37 months",
                user_msg="Insights are kept for 37 months: choose a later start date.",
            )
        return since, until

    def _rows(self, query: _Query, now: datetime) -> list[dict[str, Any]]:
        account = self.world.account(query.account_id)
        return [
            self._row(account, row, query)
            for day in self.world.days(query.since, query.until)
            for row in self.world.reported(account.id, day, now)
        ]

    def _row(self, account: AdAccount, row: AdDay, query: _Query) -> dict[str, Any]:
        ad = row.ad
        values: dict[str, Any] = {
            "account_id": account.id,
            "account_name": account.name,
            "account_currency": account.currency,
            "campaign_id": ad.ad_campaign.id,
            "campaign_name": ad.ad_campaign.name,
            "objective": ad.ad_campaign.objective,
            "adset_id": ad.adset_id,
            "adset_name": ad.adset_name,
            "ad_id": ad.id,
            "ad_name": ad.name,
            # Numbers travel as strings, as the real API sends them.
            "spend": str(row.spend),
            "impressions": str(row.impressions),
            "reach": str(row.reach),
            "clicks": str(row.clicks),
            "inline_link_clicks": str(row.inline_link_clicks),
            "actions": self._actions(row, query.windows),
            "action_values": self._action_values(row, query.windows),
        }
        # An empty actions list is left out, and every row names its day.
        node = {name: values[name] for name in query.fields if name in values and values[name] != []}
        node["date_start"] = node["date_stop"] = row.day.isoformat()
        return node

    def _actions(self, row: AdDay, windows: tuple[str, ...]) -> list[dict[str, str]]:
        entries = []
        for action_type, count in row.actions.items():
            split = self.world.attribution(row, action_type)
            entry = {"action_type": action_type, "value": str(count)}
            entry.update({window: str(split[window]) for window in windows if split[window]})
            entries.append(entry)
        return entries

    def _action_values(self, row: AdDay, windows: tuple[str, ...]) -> list[dict[str, str]]:
        entries = []
        for action_type, value in row.action_values.items():
            count = row.actions.get(action_type, 0)
            split = self.world.attribution(row, action_type)
            entry = {"action_type": action_type, "value": str(value.quantize(CENT))}
            if count:
                per_action = value / count
                entry.update(
                    {
                        window: str((per_action * split[window]).quantize(CENT, ROUND_HALF_UP))
                        for window in windows
                        if split[window]
                    }
                )
            entries.append(entry)
        return entries

    def _page(self, rows: list[dict[str, Any]], params: dict[str, str], path: str, token: str) -> dict[str, Any]:
        """One page of cursor-paged rows; `paging.next` only while rows remain."""
        limit = page_limit(params, most=None)
        if "after" in params:
            start = decode_cursor(params["after"]) + 1
        elif "before" in params:
            start = max(0, decode_cursor(params["before"]) - limit)
        else:
            start = 0
        chunk = rows[start : start + limit]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            cursors = {"before": encode_cursor(start), "after": encode_cursor(start + len(chunk) - 1)}
            paging: dict[str, Any] = {"cursors": cursors}
            link_params = {k: v for k, v in params.items() if k not in ("after", "before")}
            link_params.update(limit=str(limit), access_token=token)
            if start + len(chunk) < len(rows):
                after = self.next_cursor(params.get("after"), cursors["after"])
                paging["next"] = absolute(self, path, {**link_params, "after": after})
            if start > 0:
                paging["previous"] = absolute(self, path, {**link_params, "before": cursors["before"]})
            body["paging"] = paging
        return body


def _route(path: str) -> GraphRoute | None:
    """Which endpoint a GET to a Graph path addresses, or None when none does."""
    parts = [p for p in path.split("/") if p]
    if len(parts) not in (2, 3) or not VERSION.match(parts[0]):
        return None
    version, object_id, edge = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
    if object_id.startswith("act_") and object_id[4:].isdigit() and edge == "insights":
        return GraphRoute("insights", version, object_id[4:])
    if object_id.isdigit() and edge in ("", "insights"):
        return GraphRoute("report_insights" if edge else "report_status", version, object_id)
    return None


def _request_params(query: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
    """Parameters from the query string and, for a POST, the form or JSON body (Graph takes either)."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    if "json" in headers.get("content-type", ""):
        try:
            decoded = json.loads(body)
        except ValueError:
            raise GraphError("(#100) The request body is not valid JSON", code=100) from None
        if isinstance(decoded, dict):
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in decoded.items()})
    else:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _field_list(params: dict[str, str], default: tuple[str, ...]) -> list[str]:
    raw = params.get("fields", "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    return names or list(default)


def _attribution_windows(params: dict[str, str]) -> tuple[str, ...]:
    raw = params.get("action_attribution_windows")
    if not raw:
        return ()
    try:
        windows = json.loads(raw)
    except ValueError:
        windows = None
    if not isinstance(windows, list) or not all(isinstance(w, str) for w in windows):
        raise GraphError('(#100) param action_attribution_windows must be a JSON array, e.g. ["7d_click"]', code=100)
    for index, window in enumerate(windows):
        if window not in ATTRIBUTION_WINDOWS:
            raise GraphError(
                f"(#100) action_attribution_windows[{index}] must be one of the following values: "
                + ", ".join(ATTRIBUTION_WINDOWS),
                code=100,
            )
    return tuple(windows)


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _from_registry(world_seed: int, scale: float, now: datetime | None, **options: Any) -> MetaAdsSandbox:
    return MetaAdsSandbox(world=MetaAdsWorld(seed=world_seed, scale=scale), now=now, **options)


register(
    "meta_ads",
    _from_registry,
    "regain_minutes",
    "valid_tokens",
    "async_polls_before_done",
    "fail_async_jobs",
    "sync_row_limit",
    "data_per_call_limit",
)
