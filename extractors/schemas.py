"""The landing contract: the Parquet schema of every landed entity. dbt sources and the quality
gate read exactly these columns (plus the lineage columns `_extracted_at` and `_run_id`)."""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(14, 2)

FACEBOOK_PAGE_INSIGHTS = pa.schema(
    [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),  # the day the value measures (org timezone)
        pa.field("value", pa.int64()),
    ]
)

FACEBOOK_POSTS = pa.schema(
    [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("message", pa.string()),
        pa.field("permalink_url", pa.string()),
        pa.field("reactions", pa.int64()),
        pa.field("comments", pa.int64()),
        pa.field("shares", pa.int64()),
    ]
)

# Long format (one row per post x metric) so that a metric the platform drops or renames is a
# missing row, not a schema change.
FACEBOOK_POST_SNAPSHOTS = pa.schema(
    [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("as_of_date", pa.date32(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("value", pa.int64()),
    ]
)

TRADITIONAL_MEDIA_PLACEMENTS = pa.schema(
    [
        pa.field("placement_id", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),  # tv, radio, print, ooh, direct_mail
        pa.field("vendor", pa.string(), nullable=False),
        pa.field("campaign", pa.string(), nullable=False),
        pa.field("start_date", pa.date32(), nullable=False),
        pa.field("end_date", pa.date32(), nullable=False),  # = start_date for a single-day placement
        pa.field("spend", MONEY, nullable=False),
        pa.field("impressions", pa.int64()),  # audited impressions (out-of-home)
        pa.field("grps", pa.float64()),  # tv / radio gross rating points
        pa.field("universe", pa.int64()),  # tv / radio: people in the market
        pa.field("circulation", pa.int64()),  # print
        pa.field("readers_per_copy", pa.float64()),  # print
        pa.field("pieces_mailed", pa.int64()),  # direct mail
        pa.field("responses", pa.int64()),  # calls, QR scans, reply cards, vanity-URL visits
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)
