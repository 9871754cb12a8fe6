{#- Every staging model has one shape: the landed entity (landing_source), its columns renamed to the
    warehouse's names (`columns`: select expressions over the landed columns) plus the partition
    each row landed in (`landed_date`), then the rows that are the truth. Only the rename and the
    rule that picks the rows differ from one model to the next. -#}

{#- The rows of the latest landing of each day of an account (`day_key`, see latest_landing), or
    of the whole entity without a day_key (an inbox's latest snapshot). `extracted_at` adds when
    the row was extracted. -#}
{% macro stg_latest_landing(source_name, table_name, columns, day_key=[], extracted_at=false) -%}
    {{ staging_model(source_name, table_name, columns, latest_landing('renamed', day_key), extracted_at) }}
{%- endmacro %}

{#- One row per `key` (columns of the renamed relation): the latest extraction of it wins, as the
    organic platforms re-read a lookback every night. -#}
{% macro stg_latest_extraction(source_name, table_name, columns, key) -%}
    {%- set keep = deduplicate('renamed', key, 'landed_date desc, extracted_at desc') -%}
    {{ staging_model(source_name, table_name, columns, keep, extracted_at=true) }}
{%- endmacro %}

{#- Every landed row, as the extraction log keeps each attempt. -#}
{% macro stg_every_landing(source_name, table_name, columns) -%}
    {{ staging_model(source_name, table_name, columns, 'select * from renamed') }}
{%- endmacro %}

{% macro staging_model(source_name, table_name, columns, keep, extracted_at=false) -%}
    {%- set lineage = [landed_date('filename') ~ ' as landed_date'] -%}
    {%- do lineage.append('_extracted_at as extracted_at') if extracted_at -%}
with

source as (
    {{ landing_source(source_name, table_name) }}
),

renamed as (
    select
        {{ (columns + lineage) | join(',\n        ') }}
    from source
),

kept as (
    {{ keep }}
)

select * from kept
{%- endmacro %}

{#- The landing contract gives every organic platform the same account and post shapes (core/contract.py);
    their staging models differ only in names, so they are written once. -#}

{#- Account metrics by day. -#}
{% macro stg_account_daily(source_name, table_name, account_column) -%}
    {{ stg_latest_extraction(source_name, table_name, [
        as_string(account_column) ~ ' as account_id',
        'metric as metric_name',
        '"date" as metric_date',
        'value as metric_value'
    ], 'account_id, metric_name, metric_date') }}
{%- endmacro %}

{#- Lifetime post metrics as read each extraction day: one value per post, metric and day. -#}
{% macro stg_post_snapshots(source_name, table_name, account_column, post_column) -%}
    {{ stg_latest_extraction(source_name, table_name, [
        as_string(post_column) ~ ' as post_id',
        as_string(account_column) ~ ' as account_id',
        'created_time as created_at',
        'as_of_date',
        'metric as metric_name',
        'value as metric_value'
    ], 'post_id, metric_name, as_of_date') }}
{%- endmacro %}

{#- Account totals read once a day (followers, subscribers, network size). -#}
{% macro stg_account_snapshots(source_name, table_name, account_column, followers_column) -%}
    {{ stg_latest_extraction(source_name, table_name, [
        as_string(account_column) ~ ' as account_id',
        'as_of_date',
        followers_column ~ ' as followers'
    ], 'account_id, as_of_date') }}
{%- endmacro %}

{#- Posts: one row per post from its latest listing, with the campaign tagged in its text
    (campaigns are tagged on the post's links, utm_campaign, as marketing teams do). -#}
{#- `extra`: the columns one platform adds (e.g. Facebook's permalink, which advocacy exports name
    posts by). -#}
{% macro stg_posts(source_name, table_name, account_column, post_column, text_column, extra=[]) -%}
    {{ stg_latest_extraction(source_name, table_name, [
        as_string(post_column) ~ ' as post_id',
        as_string(account_column) ~ ' as account_id',
        'created_time as created_at',
        local_date('created_time') ~ ' as created_date',
        text_column ~ ' as post_text',
        regexp_capture(text_column, 'utm_campaign=([A-Za-z0-9_-]+)') ~ ' as campaign_id'
    ] + extra, 'post_id') }}
{%- endmacro %}

{#- An id as text, whatever type the landing schema gives it. -#}
{% macro as_string(column) -%}
    cast({{ column }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- The breakdown both GA4 reports share: day and session source / medium / campaign / manual ad
    content (source and medium lowercased; partitions landed before the ad content was read have
    none, which GA4 would have shown as "(not set)"). -#}
{% macro ga4_session_columns() -%}
    {{ return([
        'property_id',
        'date as date_day',
        'lower(session_source) as session_source',
        'lower(session_medium) as session_medium',
        'session_campaign_name',
        "coalesce(session_manual_ad_content, '(not set)') as session_manual_ad_content"
    ]) }}
{%- endmacro %}
