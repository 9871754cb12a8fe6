"""Suites for the landed Meta ads insights (paid social). The extractor already rejects rows it
cannot parse; these guard each landed partition as a whole before dbt reads it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
import pyarrow as pa

from core.contract import META_ADS_ACTIONS, META_ADS_INSIGHTS
from core.landing import LINEAGE_FIELDS
from core.severity import critical

SOURCE = "meta_ads"
_LINEAGE = [field.name for field in LINEAGE_FIELDS]


def _common(schema: pa.Schema, keys: list[str], partition_date: date) -> list:
    """Exactly the contract's columns, one row per key, no day after the run's day."""
    return [
        critical(gxe.ExpectTableColumnsToMatchSet(column_set=schema.names + _LINEAGE, exact_match=True)),
        *[critical(gxe.ExpectColumnValuesToNotBeNull(column=key)) for key in keys],
        critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=keys)),
        critical(gxe.ExpectColumnValuesToBeBetween(column="date", max_value=partition_date)),
    ]


def ads_insights_suite(partition_date: date) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=f"landing.{SOURCE}.ads_insights",
        expectations=[
            *_common(META_ADS_INSIGHTS, ["ad_id", "date"], partition_date),
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
        ],
    )


def ads_actions_suite(partition_date: date) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=f"landing.{SOURCE}.ads_actions",
        expectations=[
            *_common(META_ADS_ACTIONS, ["ad_id", "date", "action_type"], partition_date),
            critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="action_value", min_value=0)),
        ],
    )


SUITES: dict[str, Callable[[date], gx.ExpectationSuite]] = {
    "ads_insights": ads_insights_suite,
    "ads_actions": ads_actions_suite,
}
