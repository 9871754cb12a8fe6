-- The employee-advocacy program per day and team (docs/metrics.md §8): what the employees shared, the
-- web sessions and conversions their links brought, and what the program cost.
-- - A share counts on its local day for the sharer's team (the users report's department,
--   seeds/advocacy_teams.csv), else the team its link's utm_content names, else '(unknown)'.
-- - Its metrics go through seeds/social_metric_map.csv (platform employee_advocacy, level
--   'share'): audience_size is the potential reach (the channel's impressions).
-- - Sessions and key events are GA4's under medium advocacy (seeds/utm_channels.csv), by the team
--   code in their manual ad content (utm_content); a code the seed does not list is '(unknown)'.
--   Key events are valued as int_conversions__daily values the channel's (same day, campaign, type).
-- - Employees' own time: shares x var('advocacy_minutes_per_share') / 60 x the team's loaded
--   rate, rounded down to the cent.
-- - Licence (tool_cost) and admin hours (staff_cost) of channel employee_advocacy are shared over
--   the day's teams by shares, rounded down to the cent, the last team taking the remainder, so
--   the teams add up to the channel's day exactly; a day without shares keeps them on team '(none)'.
{% set minutes = var('advocacy_minutes_per_share') %}
with

calendar as (
    select date_day from {{ ref('int_reporting_calendar') }}
),

teams as (
    select
        team,
        team_code,
        hourly_rate
    from {{ ref('advocacy_teams') }}
),

shares as (
    select
        shares.share_day as date_day,
        coalesce(by_department.team_code, by_link.team_code, '(unknown)') as team_code,
        shares.audience_size,
        shares.clicks,
        shares.reactions,
        shares.comments,
        shares.reshares
    from {{ ref('stg_employee_advocacy__shares') }} as shares
    inner join calendar on shares.share_day = calendar.date_day
    left join {{ ref('stg_employee_advocacy__advocates') }} as advocates
        on shares.advocate_key = advocates.advocate_key
    left join teams as by_department on advocates.team = by_department.team
    left join teams as by_link on {{ regexp_capture('shares.utm_content', '^([^_]+)_') }} = by_link.team_code
),

share_counts as (
    select
        date_day,
        team_code,
        count(*) as shares
    from shares
    group by date_day, team_code
),

share_metrics as (
    {% for column in ['audience_size', 'clicks', 'reactions', 'comments', 'reshares'] %}
        select
            date_day,
            team_code,
            '{{ column }}' as source_metric,
            {{ column }} as amount
        from shares
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

team_metrics as (
    select
        share_metrics.date_day,
        share_metrics.team_code,
        {% for metric, column in [
            ('impressions', 'potential_reach'), ('clicks', 'clicks'), ('reactions', 'reactions'),
            ('comments', 'comments'), ('shares', 'reshares')
        ] %}
            sum(case when metric_map.metric = '{{ metric }}' then share_metrics.amount else 0 end)
                as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from share_metrics
    inner join {{ ref('social_metric_map') }} as metric_map
        on
            metric_map.platform = 'employee_advocacy'
            and metric_map.level = 'share'
            and share_metrics.source_metric = metric_map.source_metric
    group by share_metrics.date_day, share_metrics.team_code
),

web as (
    select
        web.date_day,
        web.campaign_id,
        web.measure,
        web.amount,
        coalesce(teams.team_code, '(unknown)') as team_code
    from {{ ref('int_web_analytics__daily') }} as web
    inner join calendar on web.date_day = calendar.date_day
    left join teams on {{ regexp_capture('web.ad_content', '^([^_]+)_') }} = teams.team_code
    where web.channel = 'employee_advocacy'
),

web_totals as (
    select
        web.date_day,
        web.team_code,
        sum(case when web.measure = 'sessions' then web.amount else 0 end) as sessions,
        sum(case when web.measure != 'sessions' then web.amount else 0 end) as conversions,
        sum(case when web.measure != 'sessions' then web.amount * valued.value_per_conversion else 0 end)
            as conversion_value
    from web
    left join {{ ref('int_conversions__daily') }} as valued
        on
            web.date_day = valued.date_day
            and valued.channel = 'employee_advocacy'
            and valued.account_id = '(all)'
            and web.campaign_id = valued.campaign_id
            and web.measure = valued.conversion_type
    group by web.date_day, web.team_code
),

program_costs as (
    select
        date_day,
        'licence_cost' as cost_type,
        tool_cost as amount
    from {{ ref('int_tool_cost__channel_daily') }}
    where channel = 'employee_advocacy'
    union all
    select
        date_day,
        'admin_cost' as cost_type,
        staff_cost as amount
    from {{ ref('int_staff_cost__channel_daily') }}
    where channel = 'employee_advocacy'
),

day_costs as (
    select
        date_day,
        sum(case when cost_type = 'licence_cost' then amount else 0 end) as licence_cost,
        sum(case when cost_type = 'admin_cost' then amount else 0 end) as admin_cost
    from program_costs
    group by date_day
),

keys as (
    select
        date_day,
        team_code
    from share_counts
    union
    select
        date_day,
        team_code
    from web_totals
    union
    select
        date_day,
        '(none)' as team_code
    from day_costs
    where not exists (
        select 1 from share_counts
        where share_counts.date_day = day_costs.date_day
    )
),

team_days as (
    select
        keys.date_day,
        keys.team_code,
        coalesce(share_counts.shares, 0) as shares,
        sum(coalesce(share_counts.shares, 0)) over (partition by keys.date_day) as day_shares,
        row_number() over (partition by keys.date_day order by keys.team_code desc) = 1 as is_last_team,
        coalesce(day_costs.licence_cost, 0) as day_licence_cost,
        coalesce(day_costs.admin_cost, 0) as day_admin_cost
    from keys
    left join share_counts on keys.date_day = share_counts.date_day and keys.team_code = share_counts.team_code
    left join day_costs on keys.date_day = day_costs.date_day
),

shared_costs as (
    select
        team_days.*,
        {% for cost in ['licence_cost', 'admin_cost'] %}
            case
                when team_days.day_shares > 0
                    then {{ share_in_cents('team_days.day_' ~ cost ~ ' * team_days.shares', 'team_days.day_shares') }}
                when team_days.team_code = '(none)' then team_days.day_{{ cost }}
                else 0
            end as rounded_{{ cost }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from team_days
),

allocated as (
    select
        shared_costs.date_day,
        shared_costs.team_code,
        shared_costs.shares,
        cast({{ share_in_cents(
            'shared_costs.shares * ' ~ minutes ~ ' * coalesce(teams.hourly_rate, 0)', '60'
        ) }} as decimal(14, 2)) as employee_time_cost,
        {% for cost in ['licence_cost', 'admin_cost'] %}
            cast({{ share_with_remainder(
                'shared_costs.day_' ~ cost, 'shared_costs.rounded_' ~ cost, 'shared_costs.is_last_team',
                'shared_costs.date_day', 'shared_costs.team_code'
            ) }} as decimal(14, 2)) as {{ cost }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from shared_costs
    left join teams on shared_costs.team_code = teams.team_code
)

select
    allocated.date_day,
    allocated.team_code,
    coalesce(teams.team, '(no shares that day)') as team,
    cast(allocated.shares as bigint) as shares,
    {% for column in ['potential_reach', 'clicks', 'reactions', 'comments', 'reshares'] %}
        cast(coalesce(team_metrics.{{ column }}, 0) as bigint) as {{ column }},
    {% endfor %}
    cast(coalesce(web_totals.sessions, 0) as bigint) as sessions,
    cast(coalesce(web_totals.conversions, 0) as bigint) as conversions,
    cast(coalesce(web_totals.conversion_value, 0) as decimal(14, 2)) as conversion_value,
    allocated.employee_time_cost,
    allocated.licence_cost,
    allocated.admin_cost,
    cast(allocated.employee_time_cost + allocated.licence_cost + allocated.admin_cost as decimal(14, 2))
        as program_investment
from allocated
left join teams on allocated.team_code = teams.team_code
left join team_metrics on allocated.date_day = team_metrics.date_day and allocated.team_code = team_metrics.team_code
left join web_totals on allocated.date_day = web_totals.date_day and allocated.team_code = web_totals.team_code
