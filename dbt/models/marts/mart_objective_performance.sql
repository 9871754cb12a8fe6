-- Per month and business objective, every channel's contribution: what each channel invested in
-- the objective's campaigns and what it returned, and its share of the objective's totals, so a
-- marketer sees which channels amplify which goal. Rows of campaign '(none)' (account-level
-- activity, overhead on days without campaign activity) form the objective '(none)'.
with

monthly as (
    select
        month_start,
        objective,
        channel,
        channel_group,
        {{ summed(['total_investment', 'media_spend', 'conversions', 'conversion_value']) }}
    from {{ ref('mart_roi') }}
    group by 1, 2, 3, 4
),

engagement as (
    {{ monthly_totals(['objective', 'channel'], ['impressions', 'engagements', 'active_engagements']) }}
),

with_totals as (
    select
        monthly.*,
        engagement.impressions,
        engagement.engagements,
        engagement.active_engagements,
        sum(monthly.total_investment) over (partition by monthly.month_start, monthly.objective)
            as objective_investment,
        sum(monthly.conversions) over (partition by monthly.month_start, monthly.objective) as objective_conversions,
        sum(monthly.conversion_value) over (partition by monthly.month_start, monthly.objective) as objective_value
    from monthly
    inner join engagement
        on
            monthly.month_start = engagement.month_start
            and monthly.objective = engagement.objective
            and monthly.channel = engagement.channel
)

select
    with_totals.month_start,
    with_totals.objective,
    coalesce(objectives.objective_name, '(not tied to an objective)') as objective_name,
    with_totals.channel,
    with_totals.channel_group,
    with_totals.total_investment,
    with_totals.media_spend,
    with_totals.impressions,
    with_totals.engagements,
    with_totals.active_engagements,
    with_totals.conversions,
    with_totals.conversion_value,
    {{ safe_divide('with_totals.total_investment', 'with_totals.objective_investment') }} as share_of_investment,
    {{ safe_divide('with_totals.conversions', 'with_totals.objective_conversions') }} as share_of_conversions,
    {{ safe_divide('with_totals.conversion_value', 'with_totals.objective_value') }} as share_of_value,
    {{ cost_per_conversion('with_totals.total_investment', 'with_totals.conversions') }} as cost_per_conversion,
    {{ roi_columns('with_totals.conversion_value', 'with_totals.total_investment') }}
from with_totals
left join {{ ref('objectives') }} as objectives on with_totals.objective = objectives.objective
