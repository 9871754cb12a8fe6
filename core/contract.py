"""The core of the landing contract: the pipeline's own tables, the shapes the organic platforms'
entities share, and the money type. Each source declares its entities' schemas in its spec
(sources/); `sources.LANDING_CONTRACT` is the whole contract, which dbt sources and the quality gate
read exactly (plus the lineage columns `_extracted_at` and `_run_id`)."""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(14, 2)


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


# The marketing-mix model's results (mix/results.py), landed by the marketing_mix DAG under the
# source name `marketing_mix`, one partition per fit (the warehouse day it was fitted on). The
# marts join them with the weekly inputs (dbt/models/marts/mart_incremental_roi.sql and beside it).
MIX_CHANNEL_PERIODS = pa.schema(
    [
        pa.field("fit_id", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),  # 'fitted range', 'last 52 weeks' or 'YYYY-Qn'
        pa.field("period_start", pa.date32(), nullable=False),  # its first Monday
        pa.field("period_end", pa.date32(), nullable=False),  # its last Sunday
        pa.field("weeks", pa.int64(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("driver", pa.string(), nullable=False),  # spend | posts | impressions
        pa.field("incremental_conversions", pa.float64(), nullable=False),
        pa.field("incremental_conversions_low", pa.float64(), nullable=False),
        pa.field("incremental_conversions_high", pa.float64(), nullable=False),
        pa.field("marginal_roi", pa.float64()),  # at the current weekly spend; NULL without spend
        pa.field("baseline_share", pa.float64(), nullable=False),  # of the period's fitted KPI
    ]
)
MIX_RESPONSE_CURVES = pa.schema(
    [
        pa.field("fit_id", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("driver", pa.string(), nullable=False),
        pa.field("weekly_spend", MONEY, nullable=False),
        pa.field("expected_weekly_conversions", pa.float64(), nullable=False),
        pa.field("expected_weekly_conversions_low", pa.float64(), nullable=False),
        pa.field("expected_weekly_conversions_high", pa.float64(), nullable=False),
        pa.field("is_current_spend", pa.bool_(), nullable=False),
    ]
)
MIX_BUDGET_SCENARIOS = pa.schema(
    [
        pa.field("fit_id", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("movable", pa.bool_(), nullable=False),
        pa.field("current_weekly_spend", MONEY, nullable=False),
        pa.field("recommended_weekly_spend", MONEY, nullable=False),
        pa.field("expected_weekly_conversions_change", pa.float64(), nullable=False),
        pa.field("max_change", pa.float64(), nullable=False),
    ]
)
MIX_DIAGNOSTICS = pa.schema(
    [
        pa.field("fit_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("fitted_for", pa.date32(), nullable=False),  # the published warehouse's day
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("kpi", pa.string(), nullable=False),  # its key events, comma-separated
        pa.field("first_week", pa.date32(), nullable=False),
        pa.field("last_week", pa.date32(), nullable=False),
        pa.field("weeks", pa.int64(), nullable=False),
        pa.field("trusted_weeks", pa.int64(), nullable=False),
        pa.field("r2", pa.float64(), nullable=False),
        pa.field("holdout_mape", pa.float64()),  # NULL when the held-out weeks had no KPI
        pa.field("holdout_weeks", pa.int64(), nullable=False),
        pa.field("interval_level", pa.float64(), nullable=False),  # e.g. 0.9
        pa.field("bootstrap_draws", pa.int64(), nullable=False),
        pa.field("channels", pa.int64(), nullable=False),
        pa.field("value_per_conversion", pa.float64(), nullable=False),
    ]
)
MIX_SOURCE = "marketing_mix"
MIX_TABLES: dict[tuple[str, str], pa.Schema] = {
    (MIX_SOURCE, "channel_periods"): MIX_CHANNEL_PERIODS,
    (MIX_SOURCE, "response_curves"): MIX_RESPONSE_CURVES,
    (MIX_SOURCE, "budget_scenarios"): MIX_BUDGET_SCENARIOS,
    (MIX_SOURCE, "diagnostics"): MIX_DIAGNOSTICS,
}

# The content classifier's labels of the organisation's own posts (content/posts.py), derived from the
# landed posts at every build, before dbt runs, under the source name `content`: one partition per
# build day, and the warehouse reads the latest.
CONTENT_POST_CLASSES = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),  # facebook | instagram | x | youtube | linkedin
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("content_intent", pa.string()),  # NULL: the post has no text to read
        pa.field("intent_probability", pa.float64()),
        pa.field("label_source", pa.string(), nullable=False),  # override | rule | model | none
        pa.field("rule", pa.string()),  # the rule that decided, for label_source = rule
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("needs_review", pa.bool_(), nullable=False),
        pa.field("format", pa.string(), nullable=False),
        pa.field("text_service_line", pa.string()),  # read from the text; NULL when nothing matched
    ]
)
CONTENT_SOURCE = "content"
CONTENT_TABLES: dict[tuple[str, str], pa.Schema] = {(CONTENT_SOURCE, "post_classes"): CONTENT_POST_CLASSES}

# Every landed entity, by (source, entity): the dbt sources (dbt/models/staging/<source>/) declare
# exactly these columns, which tests/unit/test_landing_contract.py checks.
# The pipeline's own tables, landed under the source name `pipeline`; every source declares its
# entities in its spec (sources/), and `sources.LANDING_CONTRACT` joins them.
PIPELINE_TABLES: dict[tuple[str, str], pa.Schema] = {
    ("pipeline", "extractions"): PIPELINE_EXTRACTIONS,
    ("pipeline", "quality_results"): QUALITY_RESULTS,
    ("pipeline", "report_deliveries"): REPORT_DELIVERIES,
}
