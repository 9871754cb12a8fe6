"""Suites for the landed Facebook Pages entities (one partition = one extraction day)."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe

from core.contract import FACEBOOK_PAGE_INSIGHTS, FACEBOOK_POST_SNAPSHOTS, FACEBOOK_POSTS
from core.landing import LINEAGE_FIELDS
from core.severity import critical

_LINEAGE = [field.name for field in LINEAGE_FIELDS]


def _columns(schema) -> list[str]:
    return list(schema.names) + _LINEAGE


def page_insights_suite(partition_date: date) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="landing.facebook_pages.page_insights",
        expectations=[
            critical(gxe.ExpectTableColumnsToMatchSet(column_set=_columns(FACEBOOK_PAGE_INSIGHTS), exact_match=True)),
            critical(gxe.ExpectColumnValuesToNotBeNull(column="page_id")),
            critical(gxe.ExpectColumnValuesToNotBeNull(column="metric")),
            critical(gxe.ExpectColumnValuesToNotBeNull(column="date")),
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["page_id", "metric", "date"])),
            critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
            # A day after the partition's day has not happened yet.
            critical(gxe.ExpectColumnValuesToBeBetween(column="date", max_value=partition_date)),
        ],
    )


def posts_suite(partition_date: date) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="landing.facebook_pages.posts",
        expectations=[
            critical(gxe.ExpectTableColumnsToMatchSet(column_set=_columns(FACEBOOK_POSTS), exact_match=True)),
            critical(gxe.ExpectColumnValuesToNotBeNull(column="post_id")),
            critical(gxe.ExpectColumnValuesToBeUnique(column="post_id")),
            critical(gxe.ExpectColumnValuesToNotBeNull(column="created_time")),
            *(
                critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))
                for column in ("reactions", "comments", "shares")
            ),
        ],
    )


def post_snapshots_suite(partition_date: date) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="landing.facebook_pages.post_snapshots",
        expectations=[
            critical(gxe.ExpectTableColumnsToMatchSet(column_set=_columns(FACEBOOK_POST_SNAPSHOTS), exact_match=True)),
            critical(gxe.ExpectColumnValuesToNotBeNull(column="post_id")),
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["post_id", "metric", "as_of_date"])),
            critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
            # Every snapshot of a partition is read on the partition's day.
            critical(
                gxe.ExpectColumnValuesToBeBetween(
                    column="as_of_date", min_value=partition_date, max_value=partition_date
                )
            ),
        ],
    )


SUITES = {
    "page_insights": page_insights_suite,
    "posts": posts_suite,
    "post_snapshots": post_snapshots_suite,
}
