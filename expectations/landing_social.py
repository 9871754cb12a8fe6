"""Suites for the organic platforms' landed entities. The landing contract gives them a few
shapes (core/contract.py), so the suites are written per shape and named per entity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
import pyarrow as pa

from core import contract as schemas
from core.landing import LINEAGE_FIELDS
from core.severity import critical

_LINEAGE = [field.name for field in LINEAGE_FIELDS]


def _shape_expectations(schema: pa.Schema, partition_date: date) -> list:
    names = schema.names
    account = names[0]
    checks = [
        critical(gxe.ExpectTableColumnsToMatchSet(column_set=names + _LINEAGE, exact_match=True)),
        critical(gxe.ExpectColumnValuesToNotBeNull(column=account)),
    ]
    if "metric" in names and "date" in names:  # account metrics by day
        checks += [
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=[account, "metric", "date"])),
            critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="date", max_value=partition_date)),
        ]
    elif "metric" in names:  # post snapshots
        post = names[1]
        checks += [
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=[post, "metric", "as_of_date"])),
            critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
            critical(
                gxe.ExpectColumnValuesToBeBetween(
                    column="as_of_date", min_value=partition_date, max_value=partition_date
                )
            ),
        ]
    elif "as_of_date" in names:  # account totals read once a day
        checks += [critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=[account, "as_of_date"]))]
        checks += [critical(gxe.ExpectColumnValuesToBeBetween(column=n, min_value=0)) for n in names[2:]]
    else:  # posts
        post = names[1]
        checks += [
            critical(gxe.ExpectColumnValuesToNotBeNull(column=post)),
            critical(gxe.ExpectColumnValuesToBeUnique(column=post)),
            critical(gxe.ExpectColumnValuesToNotBeNull(column="created_time")),
        ]
    return checks


def _factory(source: str, entity: str, schema: pa.Schema) -> Callable[[date], gx.ExpectationSuite]:
    def suite(partition_date: date) -> gx.ExpectationSuite:
        return gx.ExpectationSuite(
            name=f"landing.{source}.{entity}", expectations=_shape_expectations(schema, partition_date)
        )

    return suite


_ENTITIES = {
    "instagram": {
        "accounts": schemas.INSTAGRAM_ACCOUNTS,
        "account_insights": schemas.INSTAGRAM_ACCOUNT_INSIGHTS,
        "media": schemas.INSTAGRAM_MEDIA,
        "media_snapshots": schemas.INSTAGRAM_MEDIA_SNAPSHOTS,
    },
    "x": {"users": schemas.X_USERS, "posts": schemas.X_POSTS, "post_snapshots": schemas.X_POST_SNAPSHOTS},
    "youtube": {
        "channels": schemas.YOUTUBE_CHANNELS,
        "videos": schemas.YOUTUBE_VIDEOS,
        "video_snapshots": schemas.YOUTUBE_VIDEO_SNAPSHOTS,
        "channel_daily": schemas.YOUTUBE_CHANNEL_DAILY,
    },
    "linkedin": {
        "network_sizes": schemas.LINKEDIN_NETWORK_SIZES,
        "organization_daily": schemas.LINKEDIN_ORGANIZATION_DAILY,
        "posts": schemas.LINKEDIN_POSTS,
    },
}

SUITES = {
    source: {entity: _factory(source, entity, schema) for entity, schema in entities.items()}
    for source, entities in _ENTITIES.items()
}
