-- Per source and account: the last day landed, the last successful and the last attempted
-- extraction, and how far behind the run date the data is. A source whose extraction failed
-- tonight is published with its older data and shows here as stale (days_behind > 0).
{% set expected = var('expected_accounts', []) %}

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

summary as (
    select
        source_name,
        account_id,
        max(partition_date) filter (where status = 'success') as last_landed_date,
        max(finished_at) filter (where status = 'success') as last_successful_extract_at,
        max(finished_at) as last_attempt_at,
        arg_max(status, finished_at) as last_status,
        arg_max(error, finished_at) as last_error,
        arg_max(rows_landed, finished_at) filter (where status = 'success') as rows_last_landed
    from extractions
    group by source_name, account_id
)

select
    expected.source_name,
    expected.account_id,
    summary.last_landed_date,
    summary.last_successful_extract_at,
    summary.last_attempt_at,
    coalesce(summary.last_status, 'never_run') as last_status,
    summary.last_error,
    summary.rows_last_landed,
    date_diff('day', summary.last_landed_date, cast('{{ var("run_date") }}' as date)) as days_behind,
    coalesce(summary.last_landed_date < cast('{{ var("run_date") }}' as date), true) as is_stale
from expected
left join summary
    on expected.source_name = summary.source_name and expected.account_id = summary.account_id
