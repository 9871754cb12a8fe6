-- Return on investment per month x channel x campaign (with its objective): investment by
-- component, first-party conversions and their value, cost per conversion, ROAS (media spend
-- only) and ROI (whole investment), metrics.md §2-§4. Platform-reported conversions are shown
-- beside, never in the value.
with

monthly as (
    select
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        channel,
        channel_group,
        campaign_id,
        objective,
        cast(sum(media_spend) as decimal(14, 2)) as media_spend,
        cast(sum(staff_cost) as decimal(14, 2)) as staff_cost,
        cast(sum(tool_cost) as decimal(14, 2)) as tool_cost,
        cast(sum(production_cost) as decimal(14, 2)) as production_cost,
        cast(sum(total_investment) as decimal(14, 2)) as total_investment,
        sum(appointment_requests) as appointment_requests,
        sum(class_registrations) as class_registrations,
        sum(qualified_calls) as qualified_calls,
        sum(conversions) as conversions,
        cast(sum(conversion_value) as decimal(14, 2)) as conversion_value,
        sum(platform_conversions) as platform_conversions,
        cast(sum(platform_conversion_value) as decimal(14, 2)) as platform_conversion_value
    from {{ ref('fct_channel_daily') }}
    group by 1, 2, 3, 4, 5
)

select
    monthly.month_start,
    cast({{ dbt.last_day('monthly.month_start', 'month') }} as date) as month_end,
    monthly.channel,
    monthly.channel_group,
    monthly.campaign_id,
    campaigns.campaign_name,
    monthly.objective,
    campaigns.service_line,
    monthly.media_spend,
    monthly.staff_cost,
    monthly.tool_cost,
    monthly.production_cost,
    monthly.total_investment,
    monthly.appointment_requests,
    monthly.class_registrations,
    monthly.qualified_calls,
    monthly.conversions,
    monthly.conversion_value,
    {{ cost_per_conversion('monthly.total_investment', 'monthly.conversions') }} as cost_per_conversion,
    {{ roas('monthly.conversion_value', 'monthly.media_spend') }} as roas,
    {{ roi('monthly.conversion_value', 'monthly.total_investment') }} as roi,
    monthly.total_investment = 0 as zero_investment,
    monthly.platform_conversions,
    monthly.platform_conversion_value
from monthly
left join {{ ref('campaigns') }} as campaigns on monthly.campaign_id = campaigns.campaign_id
