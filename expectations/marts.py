"""Suites for the BI-facing marts, validated in the build warehouse before it is published."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.severity import critical, warning

CHANNEL_GROUPS = ["organic_social", "paid_social", "traditional"]


def cost_per_engagement_suite() -> gx.ExpectationSuite:
    ratios = ("cost_per_engagement", "cpm", "engagement_rate")
    return gx.ExpectationSuite(
        name="mart.mart_cost_per_engagement",
        expectations=[
            critical(gxe.ExpectTableRowCountToBeBetween(min_value=1)),
            critical(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=["period_type", "period_start", "channel", "campaign_id"]
                )
            ),
            critical(gxe.ExpectColumnValuesToBeInSet(column="period_type", value_set=["month", "week"])),
            critical(gxe.ExpectColumnValuesToBeInSet(column="channel_group", value_set=CHANNEL_GROUPS)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="total_investment", min_value=0)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="engagements", min_value=0)),
            *(critical(gxe.ExpectColumnValuesToBeBetween(column=ratio, min_value=0)) for ratio in ratios),
            # Plausibility, not correctness: a health system's CPE above $50 deserves a look.
            warning(gxe.ExpectColumnValuesToBeBetween(column="cost_per_engagement", max_value=50, mostly=0.95)),
        ],
    )


SUITES = {"mart_cost_per_engagement": cost_per_engagement_suite}
