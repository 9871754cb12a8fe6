-- Every scheduled report the report DAG sent (or skipped for lack of data), for BI and audits:
-- which period, when, in which formats, to how many recipients (never who) and where.
with

source as (
    {{ landing_source('pipeline', 'report_deliveries') }}
)

select
    report_name,
    period_start,
    period_end,
    period_unit,
    status,
    trigger,
    formats,
    files,
    recipients,
    targets,
    message_id,
    delivered_at
from source
