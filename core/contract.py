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
        pa.field("date", pa.date32(), nullable=False),  # the day the value measures (a Pacific day, as the API counts)
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
        # Responses the vendor or ops count themselves (reply cards, QR scans). Calls come from call
        # tracking and vanity-URL visits from web analytics, so they are not counted here.
        pa.field("responses", pa.int64()),
        pa.field("tracking_number", pa.string()),  # the placement's call-tracking number (E.164)
        pa.field("vanity_url", pa.string()),  # the placement's vanity URL (redirects with UTM tags)
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)


# The organic platforms share three shapes, so that dbt reads them alike:
# - account metrics by day (long: one row per account x metric x day, as the platform reports it);
# - one row per post (what it is, when it was published);
# - post snapshots (long: lifetime metric values of a post as read on the extraction day;
#   a NULL value means the platform reported the metric as not available, which is not 0).


def account_daily_schema(account_column: str) -> pa.Schema:
    return pa.schema(
        [
            pa.field(account_column, pa.string(), nullable=False),
            pa.field("metric", pa.string(), nullable=False),
            pa.field("date", pa.date32(), nullable=False),  # the day the value measures
            pa.field("value", pa.int64()),
        ]
    )


def account_snapshot_schema(account_column: str, metrics: list[str]) -> pa.Schema:
    """Account-level totals read once a day (followers, subscribers, network size)."""
    return pa.schema(
        [pa.field(account_column, pa.string(), nullable=False), pa.field("as_of_date", pa.date32(), nullable=False)]
        + [pa.field(name, pa.int64()) for name in metrics]
    )


def post_snapshot_schema(account_column: str, post_column: str) -> pa.Schema:
    return pa.schema(
        [
            pa.field(account_column, pa.string(), nullable=False),
            pa.field(post_column, pa.string(), nullable=False),
            pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
            pa.field("as_of_date", pa.date32(), nullable=False),
            pa.field("metric", pa.string(), nullable=False),
            pa.field("value", pa.int64()),
        ]
    )


INSTAGRAM_ACCOUNTS = account_snapshot_schema("account_id", ["followers_count", "follows_count", "media_count"])
INSTAGRAM_ACCOUNT_INSIGHTS = account_daily_schema("account_id")
INSTAGRAM_MEDIA = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("media_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("media_type", pa.string()),  # IMAGE, VIDEO, CAROUSEL_ALBUM
        pa.field("media_product_type", pa.string()),  # FEED, REELS, STORY
        pa.field("caption", pa.string()),
        pa.field("permalink", pa.string()),
        pa.field("like_count", pa.int64()),
        pa.field("comments_count", pa.int64()),
    ]
)
INSTAGRAM_MEDIA_SNAPSHOTS = post_snapshot_schema("account_id", "media_id")

X_USERS = account_snapshot_schema("user_id", ["followers_count", "following_count", "tweet_count", "listed_count"])
X_POSTS = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("text", pa.string()),
    ]
)
# metric: retweet_count, reply_count, like_count, quote_count, impression_count, bookmark_count
X_POST_SNAPSHOTS = post_snapshot_schema("user_id", "post_id")

YOUTUBE_CHANNELS = account_snapshot_schema("channel_id", ["view_count", "subscriber_count", "video_count"])
YOUTUBE_VIDEOS = pa.schema(
    [
        pa.field("channel_id", pa.string(), nullable=False),
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),  # publishedAt
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
    ]
)
# metric: view_count, like_count, comment_count (videos.list statistics)
YOUTUBE_VIDEO_SNAPSHOTS = post_snapshot_schema("channel_id", "video_id")
# metric: the Analytics API report's columns (views, likes, shares, comments, subscribersGained, ...)
YOUTUBE_CHANNEL_DAILY = account_daily_schema("channel_id")

LINKEDIN_NETWORK_SIZES = account_snapshot_schema("organization_id", ["follower_count"])
# metric: impressionCount, uniqueImpressionsCount, clickCount, likeCount, commentCount, shareCount,
# organicFollowerGain, paidFollowerGain
LINKEDIN_ORGANIZATION_DAILY = account_daily_schema("organization_id")
LINKEDIN_POSTS = pa.schema(
    [
        pa.field("organization_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),  # urn:li:share:… or urn:li:ugcPost:…
        pa.field("created_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("commentary", pa.string()),
    ]
)

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

# First-party web analytics: GA4 Data API runReport, aggregated by day and session
# source / medium / campaign. Aggregates only: no user, client or session id ever lands.
GA4_SESSIONS = pa.schema(
    [
        pa.field("property_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),  # in the property's reporting timezone
        pa.field("session_source", pa.string(), nullable=False),
        pa.field("session_medium", pa.string(), nullable=False),
        pa.field("session_campaign_name", pa.string(), nullable=False),
        pa.field("sessions", pa.int64(), nullable=False),
        pa.field("engaged_sessions", pa.int64()),
    ]
)
GA4_KEY_EVENTS = pa.schema(
    [
        pa.field("property_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("session_source", pa.string(), nullable=False),
        pa.field("session_medium", pa.string(), nullable=False),
        pa.field("session_campaign_name", pa.string(), nullable=False),
        pa.field("event_name", pa.string(), nullable=False),  # one of the configured key events
        pa.field("key_events", pa.int64(), nullable=False),
    ]
)

# Call tracking: the vendor's export of calls per tracking number and day, dropped in an inbox
# (every file of the inbox is the current call log, landed as one snapshot like the media plan).
# The number ties the calls to a placement of the media plan (its tracking_number column).
CALL_TRACKING_CALLS = pa.schema(
    [
        pa.field("tracking_number", pa.string(), nullable=False),  # E.164, e.g. +13195550101
        pa.field("date", pa.date32(), nullable=False),
        pa.field("calls", pa.int64(), nullable=False),
        pa.field("qualified_calls", pa.int64(), nullable=False),  # calls the vendor rates as a real lead
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)

# The extraction log: one row per source x account x run day, success or failure, landed by the
# pipeline around every extract task (feeds the source_freshness mart).
PIPELINE_EXTRACTIONS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("partition_date", pa.date32(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # success | failed
        pa.field("rows_landed", pa.int64()),
        pa.field("error", pa.string()),
        pa.field("finished_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

# The quality gates' results: one row per expectation of every validation of every gate run
# (passed or not), landed by the gates themselves, so the warehouse keeps the history of every run.
QUALITY_RESULTS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("gate", pa.string(), nullable=False),  # landing | mart
        pa.field("partition_date", pa.date32(), nullable=False),  # the day the run lands
        pa.field("validated_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("suite", pa.string(), nullable=False),
        pa.field("data_name", pa.string(), nullable=False),  # what was validated (partition, table, frame)
        pa.field("rows", pa.int64()),
        pa.field("verdict", pa.string(), nullable=False),  # of the validation: passed | warning | failed
        pa.field("expectation", pa.string(), nullable=False),
        pa.field("column_name", pa.string()),
        pa.field("severity", pa.string(), nullable=False),  # critical | warning
        pa.field("success", pa.bool_(), nullable=False),
        pa.field("unexpected_count", pa.int64()),
        pa.field("unexpected_percent", pa.float64()),
        pa.field("sample", pa.string()),  # a few unexpected values or keys, JSON
        pa.field("observed", pa.string()),
        pa.field("docs_url", pa.string()),  # the validation's Data Docs page
        pa.field("seconds", pa.float64()),  # how long the validation took (all its expectations)
    ]
)

# Every report sent (or skipped for lack of data): one row per delivery, landed by the report DAG
# (reports/deliveries.py); a period with a row is not sent again.
REPORT_DELIVERIES = pa.schema(
    [
        pa.field("report_name", pa.string(), nullable=False),
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),  # inclusive
        pa.field("period_unit", pa.string(), nullable=False),  # day | week | month
        pa.field("status", pa.string(), nullable=False),  # sent | skipped_no_data
        pa.field("trigger", pa.string(), nullable=False),  # scheduled | resend
        pa.field("formats", pa.string(), nullable=False),  # e.g. "pdf,xlsx,csv"
        pa.field("files", pa.int64(), nullable=False),
        pa.field("recipients", pa.int64(), nullable=False),  # how many; never the addresses
        pa.field("targets", pa.string(), nullable=False),  # "email; folder:/…; s3://…" (";"-separated)
        pa.field("message_id", pa.string()),  # the email's Message-ID, when emailed
        pa.field("delivered_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


# Every landed entity, by (source, entity): the dbt sources (dbt/models/staging/<source>/) declare
# exactly these columns, which tests/unit/test_landing_contract.py checks.
LANDING_CONTRACT: dict[tuple[str, str], pa.Schema] = {
    ("facebook_pages", "page_insights"): FACEBOOK_PAGE_INSIGHTS,
    ("facebook_pages", "posts"): FACEBOOK_POSTS,
    ("facebook_pages", "post_snapshots"): FACEBOOK_POST_SNAPSHOTS,
    ("instagram", "accounts"): INSTAGRAM_ACCOUNTS,
    ("instagram", "account_insights"): INSTAGRAM_ACCOUNT_INSIGHTS,
    ("instagram", "media"): INSTAGRAM_MEDIA,
    ("instagram", "media_snapshots"): INSTAGRAM_MEDIA_SNAPSHOTS,
    ("x", "users"): X_USERS,
    ("x", "posts"): X_POSTS,
    ("x", "post_snapshots"): X_POST_SNAPSHOTS,
    ("youtube", "channels"): YOUTUBE_CHANNELS,
    ("youtube", "videos"): YOUTUBE_VIDEOS,
    ("youtube", "video_snapshots"): YOUTUBE_VIDEO_SNAPSHOTS,
    ("youtube", "channel_daily"): YOUTUBE_CHANNEL_DAILY,
    ("linkedin", "network_sizes"): LINKEDIN_NETWORK_SIZES,
    ("linkedin", "organization_daily"): LINKEDIN_ORGANIZATION_DAILY,
    ("linkedin", "posts"): LINKEDIN_POSTS,
    ("meta_ads", "ads_insights"): META_ADS_INSIGHTS,
    ("meta_ads", "ads_actions"): META_ADS_ACTIONS,
    ("ga4", "sessions"): GA4_SESSIONS,
    ("ga4", "key_events"): GA4_KEY_EVENTS,
    ("traditional_media", "placements"): TRADITIONAL_MEDIA_PLACEMENTS,
    ("call_tracking", "calls"): CALL_TRACKING_CALLS,
    ("pipeline", "extractions"): PIPELINE_EXTRACTIONS,
    ("pipeline", "quality_results"): QUALITY_RESULTS,
    ("pipeline", "report_deliveries"): REPORT_DELIVERIES,
}
