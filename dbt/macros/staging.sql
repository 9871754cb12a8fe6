{#- The landing contract gives every organic platform the same three long shapes
    (core/contract.py); their staging models differ only in names, so they are written once. -#}

{#- Account metrics by day: the latest extraction of a day wins (nightly runs re-read a lookback). -#}
{% macro stg_account_daily(source_name, table_name, account_column) -%}
with

source as (
    {{ landing_source(source_name, table_name) }}
),

renamed as (
    select
        cast({{ account_column }} as {{ dbt.type_string() }}) as account_id,
        metric as metric_name,
        "date" as metric_date,
        value as metric_value,
        {{ landed_date('filename') }} as landed_date,
        _extracted_at as extracted_at
    from source
),

deduplicated as (
    {{ deduplicate('renamed', 'account_id, metric_name, metric_date', 'landed_date desc, extracted_at desc') }}
)

select * from deduplicated
{%- endmacro %}

{#- Lifetime post metrics as read each extraction day: one value per post, metric and day. -#}
{% macro stg_post_snapshots(source_name, table_name, account_column, post_column) -%}
with

source as (
    {{ landing_source(source_name, table_name) }}
),

renamed as (
    select
        cast({{ post_column }} as {{ dbt.type_string() }}) as post_id,
        cast({{ account_column }} as {{ dbt.type_string() }}) as account_id,
        created_time as created_at,
        as_of_date,
        metric as metric_name,
        value as metric_value,
        {{ landed_date('filename') }} as landed_date,
        _extracted_at as extracted_at
    from source
),

deduplicated as (
    {{ deduplicate('renamed', 'post_id, metric_name, as_of_date', 'landed_date desc, extracted_at desc') }}
)

select * from deduplicated
{%- endmacro %}

{#- Account totals read once a day (followers, subscribers, network size). -#}
{% macro stg_account_snapshots(source_name, table_name, account_column, followers_column) -%}
with

source as (
    {{ landing_source(source_name, table_name) }}
),

renamed as (
    select
        cast({{ account_column }} as {{ dbt.type_string() }}) as account_id,
        as_of_date,
        {{ followers_column }} as followers,
        {{ landed_date('filename') }} as landed_date,
        _extracted_at as extracted_at
    from source
),

deduplicated as (
    {{ deduplicate('renamed', 'account_id, as_of_date', 'landed_date desc, extracted_at desc') }}
)

select * from deduplicated
{%- endmacro %}

{#- Posts: one row per post from its latest listing, with the campaign tagged in its text. -#}
{% macro stg_posts(source_name, table_name, account_column, post_column, text_column) -%}
with

source as (
    {{ landing_source(source_name, table_name) }}
),

renamed as (
    select
        cast({{ post_column }} as {{ dbt.type_string() }}) as post_id,
        cast({{ account_column }} as {{ dbt.type_string() }}) as account_id,
        created_time as created_at,
        {{ local_date('created_time') }} as created_date,
        {{ text_column }} as post_text,
        -- Campaigns are tagged on the post's links (utm_campaign), as marketing teams do.
        {{ regexp_capture(text_column, 'utm_campaign=([A-Za-z0-9_-]+)') }} as campaign_id,
        {{ landed_date('filename') }} as landed_date,
        _extracted_at as extracted_at
    from source
),

deduplicated as (
    {{ deduplicate('renamed', 'post_id', 'landed_date desc, extracted_at desc') }}
)

select * from deduplicated
{%- endmacro %}
