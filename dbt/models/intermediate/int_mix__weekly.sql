-- The marketing-mix model's weekly inputs (mix/inputs.py): one row per ISO week (Monday) and channel,
-- plus a '(none)' row per week for the web key events no channel's tags claimed (search, direct,
-- untagged), so that a week's rows sum to all of its key events: the model's KPI. The whole weeks
-- the warehouse covers (see bounds), and before them the marketing_history inbox's weeks.
-- Drivers: media spend (paid media), campaign posts published (organic social: posts tagged with a
-- campaign, the activity that moves a channel's effect), gross impressions (ads, traditional).
-- Investment is the whole "I" of fct_channel_daily (media, staff time, tools, production).
with

-- From the first Monday on or after the first day of web analytics (the KPI: the calendar can start
-- earlier, with older posts or a media plan, on weeks whose key events the warehouse never saw) to
-- the last Sunday on or before the run date.
kpi_days as (
    select min(date_day) as first_day from {{ ref('int_web_analytics__daily') }}
),

bounds as (
    select
        cast({{ dbt.date_trunc('week', dbt.dateadd('day', 6, '(select first_day from kpi_days)')) }} as date)
            as first_week,
        cast({{ dbt.date_trunc('week', dbt.dateadd('day', 1, 'max(date_day)')) }} as date) as after_last_week
    from {{ ref('int_reporting_calendar') }}
),

channel_days as (
    select
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        channel,
        media_spend,
        total_investment,
        impressions,
        appointment_requests,
        class_registrations
    from {{ ref('fct_channel_daily') }}
),

channel_weeks as (
    select
        week_start,
        channel,
        sum(media_spend) as media_spend,
        sum(total_investment) as total_investment,
        sum(impressions) as impressions,
        sum(appointment_requests) as appointment_requests,
        sum(class_registrations) as class_registrations
    from channel_days
    group by week_start, channel
),

post_days as (
    select
        cast({{ dbt.date_trunc('week', 'created_date') }} as date) as week_start,
        platform as channel
    from {{ ref('int_social_posts') }}
    where campaign_id not in ('(none)', '(unmapped)')
),

campaign_posts as (
    select
        week_start,
        channel,
        count(*) as posts
    from post_days
    group by week_start, channel
),

-- The value of the KPI's key events only (fct_channel_daily's conversion_value also holds calls).
value_days as (
    select
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        channel,
        conversion_value
    from {{ ref('int_conversions__daily') }}
    where conversion_type in ('appointment_request', 'class_registration')
),

key_event_values as (
    select
        week_start,
        channel,
        sum(conversion_value) as conversion_value
    from value_days
    group by week_start, channel
),

-- Key events of sessions no channel claims, valued at each type's default ('*') value.
unclaimed_days as (
    select
        cast({{ dbt.date_trunc('week', 'web.date_day') }} as date) as week_start,
        web.measure,
        web.amount,
        web.amount * conversion_values.value_per_conversion as conversion_value
    from {{ ref('int_web_analytics__daily') }} as web
    inner join {{ ref('conversion_values') }} as conversion_values
        on web.measure = conversion_values.conversion_type and conversion_values.service_line = '*'
    where web.channel is null and web.measure in ('appointment_request', 'class_registration')
),

unclaimed as (
    select
        week_start,
        sum(case when measure = 'appointment_request' then amount else 0 end) as appointment_requests,
        sum(case when measure = 'class_registration' then amount else 0 end) as class_registrations,
        sum(conversion_value) as conversion_value
    from unclaimed_days
    group by week_start
),

warehouse_weeks as (
    select
        channel_weeks.week_start,
        channel_weeks.channel,
        channel_weeks.media_spend,
        channel_weeks.total_investment,
        coalesce(campaign_posts.posts, 0) as posts,
        channel_weeks.impressions,
        channel_weeks.appointment_requests,
        channel_weeks.class_registrations,
        coalesce(key_event_values.conversion_value, 0) as conversion_value
    from channel_weeks
    left join campaign_posts
        on channel_weeks.week_start = campaign_posts.week_start and channel_weeks.channel = campaign_posts.channel
    left join key_event_values
        on channel_weeks.week_start = key_event_values.week_start and channel_weeks.channel = key_event_values.channel
    union all
    select
        week_start,
        '(none)' as channel,
        0 as media_spend,
        0 as total_investment,
        0 as posts,
        0 as impressions,
        appointment_requests,
        class_registrations,
        conversion_value
    from unclaimed
),

-- The weeks before the pipeline started, from the marketing_history inbox: only those before the
-- warehouse's first whole week, so a week is never counted twice.
history_weeks as (
    select
        history.week_start,
        history.channel,
        coalesce(history.media_spend, 0) as media_spend,
        coalesce(history.total_investment, 0) as total_investment,
        coalesce(history.posts, 0) as posts,
        coalesce(history.impressions, 0) as impressions,
        coalesce(history.appointment_requests, 0) as appointment_requests,
        coalesce(history.class_registrations, 0) as class_registrations,
        coalesce(history.conversion_value, 0) as conversion_value
    from {{ ref('stg_marketing_history__weekly') }} as history
    cross join bounds
    where history.week_start < bounds.first_week
),

weeks as (
    select
        warehouse_weeks.*,
        'warehouse' as input_source
    from warehouse_weeks
    cross join bounds
    where warehouse_weeks.week_start >= bounds.first_week and warehouse_weeks.week_start < bounds.after_last_week
    union all
    select
        history_weeks.*,
        'history' as input_source
    from history_weeks
)

select
    week_start,
    channel,
    cast(media_spend as decimal(14, 2)) as media_spend,
    cast(total_investment as decimal(14, 2)) as total_investment,
    cast(posts as bigint) as posts,
    cast(impressions as bigint) as impressions,
    cast(appointment_requests as bigint) as appointment_requests,
    cast(class_registrations as bigint) as class_registrations,
    cast(conversion_value as decimal(14, 2)) as conversion_value,
    input_source
from weeks
