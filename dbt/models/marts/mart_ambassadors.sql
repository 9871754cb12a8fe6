-- Employees as brand ambassadors, one row per month x team (docs/metrics.md §8). No row describes
-- fewer than `advocacy_min_team_advocates` people: a team-month stands on its own when at least
-- that many of its advocates shared, or when none did and at least that many were enrolled; the
-- others are summed into '(smaller teams)'. Should that roll-up still describe fewer people, the
-- standing team with the fewest sharers joins it, so the teams always add up to the program and no
-- one can be found by subtracting the published teams from the program's total. Only when every
-- team together is too small is the month left out. '(not by team)' holds what no team can be
-- credited with (shares, visits and costs whose team is not known, program costs of days without
-- shares): with no sharer among it, it describes no one and stands on its own.
-- Its web results and investment are int_employee_advocacy__team_daily's; EMV is a translation of
-- the potential reach at the month's paid-social CPM (docs/metrics.md §7), never a return.
{% set least = var('advocacy_min_team_advocates') | int %}
{% set not_by_team = "'(not by team)'" %}
{% set money = ['sessions', 'conversions', 'conversion_value', 'employee_time_cost', 'licence_cost', 'admin_cost',
    'program_investment'] %}
{% set counts = ['enrolled_advocates', 'active_advocates', 'shares', 'potential_reach', 'clicks', 'reactions',
    'comments', 'reshares'] %}
with

shares as (
    select
        advocate_key,
        share_day,
        utm_content,
        cast({{ dbt.date_trunc('month', 'share_day') }} as date) as month_start,
        audience_size,
        clicks,
        reactions,
        comments,
        reshares
    from {{ ref('stg_employee_advocacy__shares') }}
),

snapshots as (
    select * from {{ ref('stg_employee_advocacy__enrolment') }}
),

-- Each advocate's team as the latest snapshot listing them names it. A sharer in no snapshot left
-- the program before the pipeline first kept one: their share's link names the team, if tagged.
advocate_teams as (
    select
        advocate_key,
        team
    from (
        select
            advocate_key,
            team,
            row_number() over (partition by advocate_key order by landed_date desc) as recency
        from snapshots
    ) as ranked
    where recency = 1
),

-- The shares export covers a window of days up to its snapshot: a month is covered from the
-- window's first day to the snapshot's day.
coverage as (
    select
        min(share_day) as first_day,
        max(landed_date) as last_day
    from {{ ref('stg_employee_advocacy__shares') }}
),

months as (
    select distinct month_start from shares
),

-- Participation's denominator: the advocates opted in on the month's first day, as a snapshot
-- taken on or after that day shows them (a snapshot proves who was in on its own day).
enrolled as (
    select
        months.month_start,
        advocate_teams.team,
        count(distinct snapshots.advocate_key) as enrolled_advocates
    from months
    inner join snapshots
        on
            months.month_start >= snapshots.enrolled_on
            and (snapshots.opted_out_on is null or months.month_start < snapshots.opted_out_on)
            and months.month_start <= snapshots.landed_date
    inner join advocate_teams on snapshots.advocate_key = advocate_teams.advocate_key
    group by months.month_start, advocate_teams.team
),

link_teams as (
    select
        team,
        team_code
    from {{ ref('advocacy_teams') }}
),

activity as (
    select
        shares.month_start,
        coalesce(advocate_teams.team, link_teams.team, {{ not_by_team }}) as team,
        count(distinct shares.advocate_key) as active_advocates,
        count(*) as shares,
        sum(shares.audience_size) as potential_reach,
        sum(shares.clicks) as clicks,
        sum(shares.reactions) as reactions,
        sum(shares.comments) as comments,
        sum(shares.reshares) as reshares
    from shares
    left join advocate_teams on shares.advocate_key = advocate_teams.advocate_key
    left join link_teams
        on
            {{ regexp_capture('shares.utm_content', '^([^_]+)_') }} = link_teams.team_code
            and link_teams.team_code != '(unknown)'
    group by shares.month_start, coalesce(advocate_teams.team, link_teams.team, {{ not_by_team }})
),

-- The sessions, conversions and investment of each team's month; the teams the day model cannot
-- name are not by team.
results as (
    select
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        case when team_code in ('(unknown)', '(none)') then {{ not_by_team }} else team end as team,
        {% for column in money %}
            sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ ref('int_employee_advocacy__team_daily') }}
    group by
        cast({{ dbt.date_trunc('month', 'date_day') }} as date),
        case when team_code in ('(unknown)', '(none)') then {{ not_by_team }} else team end
),

team_months as (
    select
        coalesce(activity.month_start, enrolled.month_start, results.month_start) as month_start,
        coalesce(activity.team, enrolled.team, results.team) as team,
        coalesce(enrolled.enrolled_advocates, 0) as enrolled_advocates,
        {% for column in counts[1:] %}
            coalesce(activity.{{ column }}, 0) as {{ column }},
        {% endfor %}
        {% for column in money %}
            coalesce(results.{{ column }}, 0) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from activity
    full outer join enrolled
        on
            activity.month_start = enrolled.month_start
            and activity.team = enrolled.team
    full outer join results
        on
            coalesce(activity.month_start, enrolled.month_start) = results.month_start
            and coalesce(activity.team, enrolled.team) = results.team
    -- The months of the shares export: the day model's calendar can reach further back.
    where
        coalesce(activity.month_start, enrolled.month_start, results.month_start)
        in (select months.month_start from months)
),

sized as (
    select
        *,
        (
            (team = {{ not_by_team }} and active_advocates = 0)
            or {{ advocacy_group_is_large('active_advocates', 'enrolled_advocates', least) }}
        ) as stands_alone
    from team_months
),

small_teams as (
    select
        month_start,
        sum(active_advocates) as active_advocates,
        sum(enrolled_advocates) as enrolled_advocates
    from sized
    where not stands_alone
    group by month_start
),

-- A roll-up too small to stand takes the standing team with the fewest sharers.
borrowed as (
    select
        month_start,
        team
    from (
        select
            sized.month_start,
            sized.team,
            row_number() over (partition by sized.month_start order by sized.active_advocates, sized.team) as smallest
        from sized
        inner join small_teams on sized.month_start = small_teams.month_start
        where
            sized.stands_alone
            and sized.active_advocates >= {{ least }}
            and not {{ advocacy_group_is_large(
                'small_teams.active_advocates', 'small_teams.enrolled_advocates', least
            ) }}
    ) as candidates
    where smallest = 1
),

assigned as (
    select
        sized.*,
        case when sized.stands_alone and borrowed.team is null then sized.team else '(smaller teams)' end
            as reported_team
    from sized
    left join borrowed
        on
            sized.month_start = borrowed.month_start
            and sized.team = borrowed.team
),

grouped as (
    select
        month_start,
        reported_team as team,
        count(*) as teams,
        {% for column in counts + money %}
            sum({{ column }}) as {{ column }},
        {% endfor %}
        bool_or(stands_alone and team = {{ not_by_team }}) as describes_no_one
    from assigned
    group by month_start, reported_team
    having
        bool_or(stands_alone and team = {{ not_by_team }})
        or {{ advocacy_group_is_large('sum(active_advocates)', 'sum(enrolled_advocates)', least) }}
),

-- What a thousand impressions cost that month in paid social and in traditional media, for the
-- comparison with the program's cost per thousand potential reach.
group_cpm as (
    select
        month_start,
        {{ cost_per_mille(
            "sum(case when channel_group = 'paid_social' then total_investment else 0 end)",
            "sum(case when channel_group = 'paid_social' then impressions else 0 end)"
        ) }} as paid_social_cpm,
        {{ cost_per_mille(
            "sum(case when channel_group = 'traditional' then total_investment else 0 end)",
            "sum(case when channel_group = 'traditional' then impressions else 0 end)"
        ) }} as traditional_cpm
    from {{ ref('mart_social_vs_traditional') }}
    group by month_start
)

select
    grouped.month_start,
    cast({{ dbt.last_day('grouped.month_start', 'month') }} as date) as month_end,
    grouped.team,
    cast(grouped.teams as bigint) as teams,
    cast(
        {{ dbt.datediff(
            'greatest(grouped.month_start, coverage.first_day)',
            'least(' ~ dbt.last_day('grouped.month_start', 'month') ~ ', coverage.last_day)',
            'day'
        ) }} + 1 as bigint
    ) as days_covered,
    cast(grouped.enrolled_advocates as bigint) as enrolled_advocates,
    cast(grouped.active_advocates as bigint) as active_advocates,
    {{ safe_divide('grouped.active_advocates', 'grouped.enrolled_advocates') }} as participation_rate,
    cast(grouped.shares as bigint) as shares,
    {{ safe_divide('grouped.shares', 'grouped.active_advocates') }} as shares_per_active_advocate,
    cast(grouped.potential_reach as bigint) as potential_reach,
    cast(grouped.clicks as bigint) as clicks,
    cast(grouped.reactions as bigint) as reactions,
    cast(grouped.comments as bigint) as comments,
    cast(grouped.reshares as bigint) as reshares,
    cast(grouped.reactions + grouped.comments + grouped.reshares as bigint) as engagements,
    cast(grouped.clicks + grouped.comments + grouped.reshares as bigint) as active_engagements,
    cast(grouped.sessions as bigint) as sessions,
    cast(grouped.conversions as bigint) as conversions,
    cast(grouped.conversion_value as decimal(14, 2)) as conversion_value,
    cast(grouped.employee_time_cost as decimal(14, 2)) as employee_time_cost,
    cast(grouped.licence_cost as decimal(14, 2)) as licence_cost,
    cast(grouped.admin_cost as decimal(14, 2)) as admin_cost,
    cast(grouped.program_investment as decimal(14, 2)) as program_investment,
    {{ cost_per_engagement('grouped.program_investment', 'grouped.clicks + grouped.comments + grouped.reshares') }}
        as cost_per_active_engagement,
    {{ cost_per_conversion('grouped.program_investment', 'grouped.conversions') }} as cost_per_conversion,
    {{ cost_per_mille('grouped.program_investment', 'grouped.potential_reach') }} as cost_per_thousand_potential_reach,
    group_cpm.paid_social_cpm,
    group_cpm.traditional_cpm,
    cast(grouped.potential_reach as {{ type_double() }}) / 1000 * group_cpm.paid_social_cpm as emv_at_paid_social_cpm
from grouped
cross join coverage
left join group_cpm on grouped.month_start = group_cpm.month_start
