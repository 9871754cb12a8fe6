-- Channel costs that are not bought per campaign (staff time, tool subscriptions; employee
-- advocacy's staff time also holds the employees' own time sharing, int_employee_advocacy__team_daily)
-- are shared over
-- the channel's activity that day (posts published, placements running, ads delivering) in
-- proportion to activity units. Shares are rounded down to the cent and the last share takes the
-- remainder, so channel totals never change. A day without activity keeps its cost on the channel
-- with account '(all)' and campaign '(none)'.
with

cost_parts as (
    select
        date_day,
        channel,
        'staff_cost' as cost_type,
        staff_cost as amount
    from {{ ref('int_staff_cost__channel_daily') }}
    union all
    select
        date_day,
        channel,
        'tool_cost' as cost_type,
        tool_cost as amount
    from {{ ref('int_tool_cost__channel_daily') }}
    union all
    select
        date_day,
        'employee_advocacy' as channel,
        'staff_cost' as cost_type,
        employee_time_cost as amount
    from {{ ref('int_employee_advocacy__team_daily') }}
),

costs as (
    select
        date_day,
        channel,
        cost_type,
        cast(sum(amount) as decimal(14, 2)) as amount
    from cost_parts
    group by date_day, channel, cost_type
),

activity as (
    select
        *,
        sum(activity_units) over (partition by date_day, channel) as channel_units,
        row_number() over (partition by date_day, channel order by account_id asc, campaign_id desc) as share_rank,
        count(*) over (partition by date_day, channel) as shares_in_channel
    from {{ ref('int_channel_activity_daily') }}
),

allocated as (
    select
        costs.date_day,
        costs.channel,
        costs.cost_type,
        activity.account_id,
        activity.campaign_id,
        activity.share_rank,
        activity.shares_in_channel,
        costs.amount as channel_amount,
        {{ share_in_cents('costs.amount * activity.activity_units', 'activity.channel_units') }} as rounded_share
    from costs
    inner join activity
        on
            costs.date_day = activity.date_day
            and costs.channel = activity.channel
),

allocated_exactly as (
    select
        date_day,
        channel,
        cost_type,
        account_id,
        campaign_id,
        cast({{ share_with_remainder(
            'channel_amount', 'rounded_share', 'share_rank = shares_in_channel', 'date_day, channel, cost_type', 'share_rank'
        ) }} as decimal(14, 2)) as amount
    from allocated
),

unallocated as (
    select
        costs.date_day,
        costs.channel,
        costs.cost_type,
        '(all)' as account_id,
        '(none)' as campaign_id,
        costs.amount
    from costs
    where not exists (
        select 1 from activity
        where activity.date_day = costs.date_day and activity.channel = costs.channel
    )
)

select * from allocated_exactly
union all
select * from unallocated
