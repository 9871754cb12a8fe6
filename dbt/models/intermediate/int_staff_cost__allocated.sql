-- A channel's staff cost for a day is shared over that day's activity (posts published,
-- placements running) in proportion to activity units; a day without activity keeps its cost on
-- the channel with account '(all)' and campaign '(none)'. Shares are rounded to 1/10,000 of a
-- currency unit and the last share takes the remainder, so channel totals never change.
with

staff as (
    select * from {{ ref('int_staff_cost__channel_daily') }}
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
        staff.date_day,
        staff.channel,
        activity.account_id,
        activity.campaign_id,
        activity.share_rank,
        activity.shares_in_channel,
        staff.staff_cost as channel_staff_cost,
        round(staff.staff_cost * activity.activity_units / activity.channel_units, 4) as rounded_share
    from staff
    inner join activity
        on
            staff.date_day = activity.date_day
            and staff.channel = activity.channel
),

allocated_exactly as (
    select
        date_day,
        channel,
        account_id,
        campaign_id,
        case
            when share_rank = shares_in_channel
                then channel_staff_cost - coalesce(sum(rounded_share) over (
                    partition by date_day, channel order by share_rank
                    rows between unbounded preceding and 1 preceding
                ), 0)
            else rounded_share
        end as staff_cost
    from allocated
),

unallocated as (
    select
        staff.date_day,
        staff.channel,
        '(all)' as account_id,
        '(none)' as campaign_id,
        staff.staff_cost
    from staff
    where not exists (
        select 1 from activity
        where activity.date_day = staff.date_day and activity.channel = staff.channel
    )
)

select * from allocated_exactly
union all
select * from unallocated
