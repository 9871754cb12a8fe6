-- One row per day x channel x account x campaign: what each channel delivered, what it cost
-- (media, staff, tools, production) and what it returned (first-party conversions and their value).
-- Engagements follow docs/metrics.md §1 (social: reactions + comments + shares + saves + other
-- engagements) and §5 (traditional: active responses = vendor-counted responses + calls to the
-- placement's number + vanity-URL sessions). Active engagements are tier 2 of docs/metrics.md §6.
-- Employee advocacy (docs/metrics.md §8) counts as social does: its impressions are the potential reach
-- of employees' shares, its engagements reactions + comments + reshares, its active engagements
-- clicks + comments + reshares.
-- Reach is only carried where the platform measured it for exactly this grain (an account's
-- daily unique reach) and is never summed.
{% set counts = [
    'impressions', 'reactions', 'comments', 'shares', 'saves', 'other_engagements', 'clicks',
    'video_views', 'followers_gained', 'responses', 'calls', 'qualified_calls', 'sessions',
    'appointment_requests', 'class_registrations', 'conversions', 'platform_conversions',
] %}
{% set money = money_measures() | reject('equalto', 'total_investment') | list %}
{#- The measure column of a conversion type (other key events count in `conversions` only). -#}
{% set conversion_measure -%}
    case conversion_type
        when 'appointment_request' then 'appointment_requests'
        when 'class_registration' then 'class_registrations'
        else 'other_conversions'
    end
{%- endset %}
with

calendar as (
    select date_day from {{ ref('int_reporting_calendar') }}
),

social_posts as (
    {{ measures_from(ref('int_social_post_daily'),
        ['impressions', 'reactions', 'comments', 'shares', 'saves', 'clicks', 'video_views'], channel='platform') }}
),

social_accounts as (
    {{ measures_from(ref('int_social_account_daily'),
        ['impressions', 'reach', 'reactions', 'comments', 'shares', 'other_engagements', 'clicks', 'followers_gained'],
        channel='platform', campaign_id="'(none)'") }}
),

paid_social as (
    {{ measures_from(ref('int_paid_social__ad_daily'),
        ['media_spend', 'impressions', 'clicks', 'reactions', 'comments', 'shares',
         'platform_conversions', 'platform_conversion_value']) }}
),

traditional as (
    {{ measures_from(ref('int_traditional_media__placement_daily'),
        ['media_spend', 'impressions', 'grps', 'responses'], account_id='vendor') }}
),

calls as (
    {{ measures_from(ref('int_call_tracking__placement_daily'), ['calls', 'qualified_calls']) }}
),

-- Employee advocacy's shares in the warehouse's metric names (seeds/social_metric_map.csv, level
-- 'share'): potential reach as impressions, reshares as shares; on no account or campaign, as the
-- program's costs are.
advocacy_shares as (
    select
        date_day,
        'employee_advocacy' as channel,
        '(all)' as account_id,
        '(none)' as campaign_id,
        potential_reach as impressions,
        clicks,
        reactions,
        comments,
        reshares as shares
    from {{ ref('int_employee_advocacy__team_daily') }}
),

advocacy as (
    {{ measures_from('advocacy_shares', ['impressions', 'clicks', 'reactions', 'comments', 'shares']) }}
),

web_sessions as (
    {{ long_measures(
        ref('int_web_analytics__daily'), 'measure', 'amount',
        account_id="'(all)'", where="channel is not null and measure = 'sessions'"
    ) }}
),

conversions as (
    {{ long_measures(ref('int_conversions__daily'), conversion_measure, 'conversions') }}
    union all
    {{ measures_from(ref('int_conversions__daily'), ['conversions', 'conversion_value']) }}
),

overhead as (
    {{ long_measures(ref('int_overhead__allocated'), 'cost_type', 'amount') }}
),

production as (
    {{ measures_from(ref('int_production_cost__daily'), ['production_cost']) }}
),

measures as (
    select * from social_posts
    union all
    select * from social_accounts
    union all
    select * from paid_social
    union all
    select * from traditional
    union all
    select * from calls
    union all
    select * from advocacy
    union all
    select * from web_sessions
    union all
    select * from conversions
    union all
    select * from overhead
    union all
    select * from production
),

pivoted as (
    select
        measures.date_day,
        measures.channel,
        measures.account_id,
        measures.campaign_id,
        {% for measure in counts %}
            cast(coalesce(sum(case when measures.measure = '{{ measure }}' then measures.amount end), 0) as bigint)
                as {{ measure }},
        {% endfor %}
        {% for measure in money %}
            cast(
                coalesce(sum(case when measures.measure = '{{ measure }}' then measures.amount end), 0)
                as decimal(14, 2)
            ) as {{ measure }},
        {% endfor %}
        cast(sum(case when measures.measure = 'grps' then measures.amount end) as decimal(10, 1)) as grps,
        -- At most one contributing row measures reach for a grain (see the header).
        cast(max(case when measures.measure = 'reach' then measures.amount end) as bigint) as reach
    from measures
    inner join calendar on measures.date_day = calendar.date_day
    group by measures.date_day, measures.channel, measures.account_id, measures.campaign_id
)

select
    pivoted.date_day,
    pivoted.channel,
    channels.channel_group,
    pivoted.account_id,
    pivoted.campaign_id,
    coalesce(campaigns.objective, '(none)') as objective,
    pivoted.impressions,
    pivoted.reach,
    pivoted.grps,
    case
        when channels.channel_group = 'traditional' then pivoted.responses + pivoted.calls + pivoted.sessions
        else pivoted.reactions + pivoted.comments + pivoted.shares + pivoted.saves + pivoted.other_engagements
    end as engagements,
    case
        when channels.channel_group = 'traditional' then pivoted.responses + pivoted.calls + pivoted.sessions
        else pivoted.comments + pivoted.shares + pivoted.saves + pivoted.clicks
    end as active_engagements,
    pivoted.reactions,
    pivoted.comments,
    pivoted.shares,
    pivoted.saves,
    pivoted.other_engagements,
    pivoted.clicks,
    pivoted.video_views,
    pivoted.followers_gained,
    pivoted.responses,
    pivoted.calls,
    pivoted.qualified_calls,
    pivoted.sessions,
    pivoted.appointment_requests,
    pivoted.class_registrations,
    pivoted.conversions,
    pivoted.conversion_value,
    pivoted.platform_conversions,
    pivoted.platform_conversion_value,
    pivoted.media_spend,
    pivoted.staff_cost,
    pivoted.tool_cost,
    pivoted.production_cost,
    cast(pivoted.media_spend + pivoted.staff_cost + pivoted.tool_cost + pivoted.production_cost as decimal(14, 2))
        as total_investment
from pivoted
inner join {{ ref('channels') }} as channels on pivoted.channel = channels.channel
left join {{ ref('campaigns') }} as campaigns on pivoted.campaign_id = campaigns.campaign_id
