-- Per source and account: the last day landed, the last successful and the last attempted
-- extraction, and how far behind the run date the data is. A source whose extraction failed
-- tonight is published with its older data and shows here as stale (days_behind > 0).
{% set expected = var('expected_accounts', []) %}
{% set run_date = "cast('" ~ var('run_date') ~ "' as date)" %}

with

expected as (
    {% if expected %}
        {% for account in expected %}
            select
                '{{ account["source"] }}' as source_name,
                '{{ account["account_id"] }}' as account_id
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {% else %}
        select distinct
            source_name,
            account_id
        from {{ ref('stg_pipeline__extractions') }}
    {% endif %}
),

extractions as (
    select * from {{ ref('stg_pipeline__extractions') }}
),

successes as (
    select * from extractions
    where status = 'success'
),

summary as (
    select
        source_name,
        account_id,
        max(case when status = 'success' then partition_date end) as last_landed_date,
        max(case when status = 'success' then finished_at end) as last_successful_extract_at,
        max(finished_at) as last_attempt_at
    from extractions
    group by source_name, account_id
),

last_attempts as (
    {{ deduplicate('extractions', 'source_name, account_id', 'finished_at desc, partition_date desc') }}
),

last_successes as (
    {{ deduplicate('successes', 'source_name, account_id', 'finished_at desc, partition_date desc') }}
)

select
    expected.source_name,
    expected.account_id,
    summary.last_landed_date,
    summary.last_successful_extract_at,
    summary.last_attempt_at,
    coalesce(last_attempts.status, 'never_run') as last_status,
    last_attempts.error as last_error,
    last_successes.rows_landed as rows_last_landed,
    {{ dbt.datediff('summary.last_landed_date', run_date, 'day') }} as days_behind,
    coalesce(summary.last_landed_date < {{ run_date }}, true) as is_stale
from expected
left join summary
    on expected.source_name = summary.source_name and expected.account_id = summary.account_id
left join last_attempts
    on expected.source_name = last_attempts.source_name and expected.account_id = last_attempts.account_id
left join last_successes
    on expected.source_name = last_successes.source_name and expected.account_id = last_successes.account_id
