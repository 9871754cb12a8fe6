-- First-party conversions (the return) by day, channel, account, campaign and conversion type,
-- with their value: web key events from GA4 (appointment requests, class registrations; account
-- '(all)', as a web session does not say which page or ad account sent it) and qualified calls
-- to a placement's tracking number. Platform-reported conversions are not here (docs/metrics.md §4).
-- Value = conversions x the value per conversion of seeds/conversion_values.csv for the type and
-- the campaign's service line, or the type's '*' row when the service line has none.
{% set grain = ['date_day', 'channel', 'account_id', 'campaign_id', 'conversion_type'] %}

with

web as (
    select
        date_day,
        channel,
        '(all)' as account_id,
        campaign_id,
        measure as conversion_type,
        amount as conversions
    from {{ ref('int_web_analytics__daily') }}
    where channel is not null and measure != 'sessions'
),

calls as (
    select
        date_day,
        channel,
        account_id,
        campaign_id,
        'qualified_call' as conversion_type,
        qualified_calls as conversions
    from {{ ref('int_call_tracking__placement_daily') }}
),

unioned as (
    select * from web
    union all
    select * from calls
),

conversions as (
    select
        {{ grain | join(',\n        ') }},
        sum(conversions) as conversions
    from unioned
    group by {{ grain | join(', ') }}
),

candidate_values as (
    select
        conversions.*,
        campaigns.service_line,
        conversion_values.value_per_conversion,
        -- The service line's own value wins over the type's '*' row.
        case when conversion_values.service_line = '*' then 1 else 0 end as value_precedence
    from conversions
    left join {{ ref('campaigns') }} as campaigns on conversions.campaign_id = campaigns.campaign_id
    left join {{ ref('conversion_values') }} as conversion_values
        on
            conversions.conversion_type = conversion_values.conversion_type
            and conversion_values.service_line in (campaigns.service_line, '*')
),

valued as (
    {{ deduplicate('candidate_values', grain | join(', '), 'value_precedence') }}
)

select
    {{ grain | join(',\n    ') }},
    service_line,
    cast(conversions as bigint) as conversions,
    value_per_conversion,
    cast(conversions * value_per_conversion as decimal(14, 2)) as conversion_value
from valued
