-- Cost per engagement, CPM and engagement rate per month and per week x channel x campaign.
-- Ratios follow docs/metrics.md §2 through the macros in macros/ratios.sql (NULL on a zero denominator).
with

daily as (
    select * from {{ ref('fct_channel_daily') }}
),

periods as (
    select
        'month' as period_type,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as period_start,
        *
    from daily
    union all
    select
        'week' as period_type,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as period_start,
        *
    from daily
),

aggregated as (
    select
        period_type,
        period_start,
        channel,
        channel_group,
        campaign_id,
        count(distinct date_day) as days_covered,
        {{ summed(investment_measures() + ['impressions', 'engagements', 'clicks']) }}
    from periods
    group by period_type, period_start, channel, channel_group, campaign_id
)

select
    aggregated.period_type,
    aggregated.period_start,
    cast(case aggregated.period_type
        when 'month' then {{ dbt.last_day('aggregated.period_start', 'month') }}
        else {{ dbt.dateadd('day', 6, 'aggregated.period_start') }}
    end as date) as period_end,
    aggregated.channel,
    aggregated.channel_group,
    aggregated.campaign_id,
    campaigns.campaign_name,
    campaigns.objective,
    aggregated.days_covered,
    {{ columns_of('aggregated', investment_measures()) }},
    aggregated.impressions,
    aggregated.engagements,
    aggregated.clicks,
    {{ cost_per_engagement('aggregated.total_investment', 'aggregated.engagements') }} as cost_per_engagement,
    {{ cost_per_mille('aggregated.total_investment', 'aggregated.impressions') }} as cpm,
    {{ engagement_rate('aggregated.engagements', 'aggregated.impressions') }} as engagement_rate
from aggregated
left join {{ ref('campaigns') }} as campaigns on aggregated.campaign_id = campaigns.campaign_id
