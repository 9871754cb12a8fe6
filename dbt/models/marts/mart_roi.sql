-- Return on investment per month x channel x campaign (with its objective): investment by
-- component, first-party conversions and their value, cost per conversion, ROAS (media spend
-- only) and ROI (whole investment), docs/metrics.md §2-§4. Platform-reported conversions are shown
-- beside, never in the value.
with

monthly as (
    {{ monthly_totals(['channel', 'channel_group', 'campaign_id', 'objective'], investment_measures() + [
        'appointment_requests', 'class_registrations', 'qualified_calls', 'conversions', 'conversion_value',
        'platform_conversions', 'platform_conversion_value'
    ]) }}
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
    {{ columns_of('monthly', investment_measures()) }},
    monthly.appointment_requests,
    monthly.class_registrations,
    monthly.qualified_calls,
    monthly.conversions,
    monthly.conversion_value,
    {{ cost_per_conversion('monthly.total_investment', 'monthly.conversions') }} as cost_per_conversion,
    {{ roas('monthly.conversion_value', 'monthly.media_spend') }} as roas,
    {{ roi_columns('monthly.conversion_value', 'monthly.total_investment') }},
    monthly.platform_conversions,
    monthly.platform_conversion_value
from monthly
left join {{ ref('campaigns') }} as campaigns on monthly.campaign_id = campaigns.campaign_id
