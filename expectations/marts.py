"""Suites for the BI-facing marts, validated in the build warehouse before it is published: the
grain, enumerations, non-negative money, ratios finite or NULL (critical); plausible values per
channel and month (warning, thresholds in config); and the reconciliation of the marts' totals
with the landing zone and the cost inputs (critical)."""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from core.settings import Quality
from core.severity import critical, warning

CHANNEL_GROUPS = ["organic_social", "paid_social", "traditional", "employee_advocacy"]
# A ratio is "finite" when it lies inside this range: an infinity (a division by zero that escaped
# the NULL rule) falls outside; NULLs are not checked (a zero denominator gives NULL by contract).
_FINITE = 1e15


def _finite(column: str) -> gxe.Expectation:
    return critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=-_FINITE, max_value=_FINITE))


def _non_negative(column: str) -> gxe.Expectation:
    return critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))


def _mart_suite(
    table: str,
    grain: list[str],
    money: tuple[str, ...],
    ratios: tuple[str, ...],
    *extra: gxe.Expectation,
    may_be_empty: bool = False,
) -> gx.ExpectationSuite:
    """`may_be_empty`: a mart of an optional source (an inbox nobody fills) has no rows without it."""
    return gx.ExpectationSuite(
        name=f"mart.{table}",
        expectations=[
            *([] if may_be_empty else [critical(gxe.ExpectTableRowCountToBeBetween(min_value=1))]),
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=grain)),
            *(critical(gxe.ExpectColumnValuesToNotBeNull(column=column)) for column in grain),
            *(_non_negative(column) for column in money),
            *(_finite(ratio) for ratio in ratios),
            *extra,
        ],
    )


def fct_channel_daily_suite(quality: Quality) -> gx.ExpectationSuite:
    return _mart_suite(
        "fct_channel_daily",
        ["date_day", "channel", "account_id", "campaign_id"],
        ("media_spend", "staff_cost", "tool_cost", "production_cost", "total_investment", "conversion_value"),
        (),
        critical(gxe.ExpectColumnValuesToBeInSet(column="channel_group", value_set=CHANNEL_GROUPS)),
        _non_negative("impressions"),
        _non_negative("engagements"),
        _non_negative("conversions"),
    )


def cost_per_engagement_suite(quality: Quality) -> gx.ExpectationSuite:
    ratios = ("cost_per_engagement", "cpm", "engagement_rate")
    return _mart_suite(
        "mart_cost_per_engagement",
        ["period_type", "period_start", "channel", "campaign_id"],
        ("total_investment", *ratios),
        ratios,
        critical(gxe.ExpectColumnValuesToBeInSet(column="period_type", value_set=["month", "week"])),
        critical(gxe.ExpectColumnValuesToBeInSet(column="channel_group", value_set=CHANNEL_GROUPS)),
        _non_negative("engagements"),
        # Plausibility, not correctness: a health system's CPE above the bound deserves a look.
        warning(
            gxe.ExpectColumnValuesToBeBetween(
                column="cost_per_engagement", max_value=quality.plausibility.max_cost_per_engagement, mostly=0.95
            )
        ),
    )


def roi_suite(quality: Quality) -> gx.ExpectationSuite:
    return _mart_suite(
        "mart_roi",
        ["month_start", "channel", "campaign_id"],
        ("media_spend", "staff_cost", "tool_cost", "production_cost", "total_investment", "conversion_value"),
        ("cost_per_conversion", "roas", "roi"),
        critical(gxe.ExpectColumnValuesToBeInSet(column="channel_group", value_set=CHANNEL_GROUPS)),
        critical(gxe.ExpectColumnValuesToBeBetween(column="roi", min_value=-1)),
        critical(gxe.ExpectColumnValuesToNotBeNull(column="zero_investment")),
    )


def social_vs_traditional_suite(quality: Quality) -> gx.ExpectationSuite:
    bounds = quality.plausibility
    ratios = ("cpm", "cost_per_thousand_reached", "cost_per_point", "cost_per_active_engagement", "cost_per_outcome")
    return _mart_suite(
        "mart_social_vs_traditional",
        ["month_start", "channel"],
        ("total_investment", "media_spend", *ratios),
        (*ratios, "roi"),
        critical(gxe.ExpectColumnValuesToBeInSet(column="channel_group", value_set=CHANNEL_GROUPS)),
        warning(
            gxe.ExpectColumnValuesToBeBetween(
                column="cost_per_active_engagement", max_value=bounds.max_cost_per_active_engagement
            )
        ),
        warning(gxe.ExpectColumnValuesToBeBetween(column="cost_per_outcome", max_value=bounds.max_cost_per_conversion)),
        warning(gxe.ExpectColumnValuesToBeBetween(column="roi", min_value=bounds.min_roi, max_value=bounds.max_roi)),
    )


def objective_performance_suite(quality: Quality) -> gx.ExpectationSuite:
    shares = ("share_of_investment", "share_of_conversions", "share_of_value")
    return _mart_suite(
        "mart_objective_performance",
        ["month_start", "objective", "channel"],
        ("total_investment", "conversion_value"),
        (*shares, "cost_per_conversion", "roi"),
        *(critical(gxe.ExpectColumnValuesToBeBetween(column=share, min_value=0, max_value=1)) for share in shares),
    )


def social_posts_suite(quality: Quality) -> gx.ExpectationSuite:
    return _mart_suite(
        "mart_social_posts",
        ["platform", "post_id"],
        ("engagements", "impressions"),
        ("engagement_rate", "cost_per_engagement"),
    )


def source_freshness_suite(quality: Quality) -> gx.ExpectationSuite:
    return _mart_suite(
        "source_freshness",
        ["source_name", "account_id"],
        (),
        (),
        critical(gxe.ExpectColumnValuesToBeInSet(column="last_status", value_set=["success", "failed", "never_run"])),
    )


_ADVOCACY_COUNTS = ("shares", "potential_reach", "clicks", "engagements", "active_engagements")


def ambassadors_suite(quality: Quality) -> gx.ExpectationSuite:
    return _mart_suite(
        "mart_ambassadors",
        ["month_start", "team"],
        ("enrolled_advocates", "active_advocates", *_ADVOCACY_COUNTS),
        ("participation_rate", "shares_per_active_advocate"),
        may_be_empty=True,
    )


def advocacy_content_suite(quality: Quality) -> gx.ExpectationSuite:
    return _mart_suite(
        "mart_advocacy_content",
        ["month_start", "content_id"],
        ("advocates", *_ADVOCACY_COUNTS),
        ("reach_per_own_impression",),
        may_be_empty=True,
    )


NOT_BY_TEAM = "(not by team)"


def people_described(read_table: Callable[[str], object]) -> pd.DataFrame:
    """How many people each row of the team- and content-level advocacy marts describes, as a
    frame of (key = the row, people): its sharers, or for a team-month nobody shared in, its
    enrolled advocates (docs/metrics.md §8). `read_table`: a warehouse's table reader (Arrow)."""
    frames = []
    for table, label in (("mart_ambassadors", "team"), ("mart_advocacy_content", "content_id")):
        rows = read_table(table).to_pandas()
        if table == "mart_ambassadors":
            # '(not by team)' with no sharer is costs and visits no team can be credited with: no one.
            rows = rows[~((rows["team"] == NOT_BY_TEAM) & (rows["active_advocates"] == 0))]
            people = rows["active_advocates"].where(rows["active_advocates"] > 0, rows["enrolled_advocates"])
        else:
            people = rows["advocates"]
        frames.append(
            pd.DataFrame(
                {
                    "key": table + " " + rows["month_start"].astype(str) + " " + rows[label].astype(str),
                    "people": people.astype("int64"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def advocacy_clicks_and_sessions(read_table: Callable[[str], object]) -> pd.DataFrame:
    """The clicks on employees' shares and the sessions their links brought, over the days GA4
    covers (from its first landed day): one row (key, clicks, sessions, sessions_per_click), none
    when nobody clicked. A share's clicks become sessions on the days they happen, so over a window
    of days the two agree but for the clicks GA4 never sees."""
    web = read_table("int_web_analytics__daily").to_pandas()
    days = read_table("int_employee_advocacy__team_daily").to_pandas()
    if web.empty or days.empty:
        return pd.DataFrame(columns=["key", "clicks", "sessions", "sessions_per_click"])
    first, last = web["date_day"].min(), days["date_day"].max()
    covered = days[(days["date_day"] >= first) & (days["date_day"] <= last)]
    clicks, sessions = int(covered["clicks"].sum()), int(covered["sessions"].sum())
    if not clicks:
        return pd.DataFrame(columns=["key", "clicks", "sessions", "sessions_per_click"])
    return pd.DataFrame(
        [
            {
                "key": f"employee advocacy {first}..{last}: {clicks:,} clicks on shares, {sessions:,} sessions "
                "arriving through advocacy links",
                "clicks": clicks,
                "sessions": sessions,
                "sessions_per_click": sessions / clicks,
            }
        ]
    )


def advocacy_sessions_suite(quality: Quality) -> gx.ExpectationSuite:
    """Over advocacy_clicks_and_sessions' frame: sessions per click within the plausible band (a
    warning: the marts publish, the alert says where to look)."""
    bounds = quality.plausibility
    return gx.ExpectationSuite(
        name="mart.advocacy_sessions",
        expectations=[
            warning(
                gxe.ExpectColumnValuesToBeBetween(
                    column="sessions_per_click",
                    min_value=bounds.min_advocacy_sessions_per_click,
                    max_value=bounds.max_advocacy_sessions_per_click,
                )
            )
        ],
    )


def small_groups_suite(least: int) -> gx.ExpectationSuite:
    """Over a frame of (key = a published row, people = how many people it describes): none
    describes fewer than `least` (sources.employee_advocacy.min_team_advocates)."""
    return gx.ExpectationSuite(
        name="mart.small_groups",
        expectations=[critical(gxe.ExpectColumnValuesToBeBetween(column="people", min_value=least))],
    )


def reconciliation_suite(quality: Quality) -> gx.ExpectationSuite:
    """Over a frame of (key = measure, expected, reported, difference): every total must match."""
    return gx.ExpectationSuite(
        name="mart.reconciliation",
        expectations=[
            critical(gxe.ExpectTableRowCountToBeBetween(min_value=1)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="difference", min_value=0, max_value=0)),
        ],
    )


SUITES: dict[str, Callable[[Quality], gx.ExpectationSuite]] = {
    "fct_channel_daily": fct_channel_daily_suite,
    "mart_cost_per_engagement": cost_per_engagement_suite,
    "mart_roi": roi_suite,
    "mart_social_vs_traditional": social_vs_traditional_suite,
    "mart_objective_performance": objective_performance_suite,
    "mart_social_posts": social_posts_suite,
    "source_freshness": source_freshness_suite,
    "mart_ambassadors": ambassadors_suite,
    "mart_advocacy_content": advocacy_content_suite,
}
