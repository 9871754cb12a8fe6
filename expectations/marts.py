"""Suites for the BI-facing marts, validated in the build warehouse before it is published: the
grain, enumerations, non-negative money, ratios finite or NULL (critical); plausible values per
channel and month (warning, thresholds in config); and the reconciliation of the marts' totals
with the landing zone and the cost inputs (critical)."""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

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
    table: str, grain: list[str], money: tuple[str, ...], ratios: tuple[str, ...], *extra: gxe.Expectation
) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=f"mart.{table}",
        expectations=[
            critical(gxe.ExpectTableRowCountToBeBetween(min_value=1)),
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
}
