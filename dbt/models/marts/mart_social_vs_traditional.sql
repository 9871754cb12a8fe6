-- Social next to traditional, one row per month x channel, in the three tiers of docs/metrics.md §6:
-- 1. exposure: impressions and CPM; reach where measured, as the largest reach one measurement
--    reported in the month (an account's day, an ad's day, a print insertion's readers, a mail
--    drop's households): unique people are at least that many, so cost per thousand reached is
--    an upper bound. Reach is never summed. TV and radio add GRPs and cost per point.
-- 2. active engagement: social comments + shares + saves + clicks, traditional responses + calls
--    + vanity-URL sessions. Likes / reactions have no traditional twin: they stay in `reactions`.
-- 3. outcome: first-party conversions, cost per outcome, value and ROI.
with

monthly as (
    {{ monthly_totals(['channel_group', 'channel'], [
        'total_investment', 'media_spend', 'impressions', 'grps', 'reactions', 'active_engagements', 'conversions',
        'conversion_value'
    ]) }}
),

reach_measurements as (
    select
        date_day,
        platform as channel,
        reach
    from {{ ref('int_social_account_daily') }}
    union all
    select
        date_day,
        channel,
        reach
    from {{ ref('int_paid_social__ad_daily') }}
    union all
    select
        start_date as date_day,
        channel,
        audience as reach
    from {{ ref('int_traditional_media__placements') }}
),

peak_reach as (
    select
        cast({{ dbt.date_trunc('month', 'measurements.date_day') }} as date) as month_start,
        measurements.channel,
        max(measurements.reach) as peak_measured_reach
    from reach_measurements as measurements
    inner join {{ ref('int_reporting_calendar') }} as calendar on measurements.date_day = calendar.date_day
    where measurements.reach is not null
    group by 1, 2
)

select
    monthly.month_start,
    cast({{ dbt.last_day('monthly.month_start', 'month') }} as date) as month_end,
    monthly.channel_group,
    monthly.channel,
    monthly.total_investment,
    monthly.media_spend,
    monthly.impressions,
    peak_reach.peak_measured_reach,
    {{ cost_per_mille('monthly.total_investment', 'monthly.impressions') }} as cpm,
    {{ cost_per_thousand_reached('monthly.total_investment', 'peak_reach.peak_measured_reach') }}
        as cost_per_thousand_reached,
    case when monthly.channel in ('tv', 'radio') then monthly.grps end as grps,
    case
        when monthly.channel in ('tv', 'radio') then {{ safe_divide('monthly.media_spend', 'monthly.grps') }}
    end as cost_per_point,
    case when monthly.channel_group != 'traditional' then monthly.reactions end as reactions,
    monthly.active_engagements,
    {{ cost_per_engagement('monthly.total_investment', 'monthly.active_engagements') }}
        as cost_per_active_engagement,
    monthly.conversions,
    {{ cost_per_conversion('monthly.total_investment', 'monthly.conversions') }} as cost_per_outcome,
    monthly.conversion_value,
    {{ roi_columns('monthly.conversion_value', 'monthly.total_investment') }}
from monthly
left join peak_reach
    on
        monthly.month_start = peak_reach.month_start
        and monthly.channel = peak_reach.channel
