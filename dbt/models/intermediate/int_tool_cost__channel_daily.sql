-- Tool subscriptions (seeds/tool_costs.csv): a tool costs its monthly amount in every month whose
-- first day falls inside its validity. The month's cost is split over channels by
-- seeds/tool_allocations.csv (to the cent, the last channel taking the remainder), and each
-- channel's share over the month's days (rounded down to the cent, the month's last day taking the
-- remainder), so a whole month adds up to the subscription exactly. Only days of the reporting
-- calendar carry cost.
with

calendar as (
    select
        date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start
    from {{ ref('int_reporting_calendar') }}
),

months as (
    select distinct month_start from calendar
),

tool_months as (
    select
        months.month_start,
        tools.tool,
        tools.monthly_cost
    from {{ ref('tool_costs') }} as tools
    inner join months on {{ valid_on('tools', 'months.month_start') }}
),

allocated as (
    select
        tool_months.month_start,
        tool_months.tool,
        allocations.channel,
        tool_months.monthly_cost,
        {{ cents('tool_months.monthly_cost * allocations.share') }} as rounded_share,
        row_number() over (
            partition by tool_months.month_start, tool_months.tool order by allocations.channel desc
        ) = 1 as is_last_channel
    from tool_months
    inner join {{ ref('tool_allocations') }} as allocations on tool_months.tool = allocations.tool
),

channel_months as (
    select
        month_start,
        tool,
        channel,
        {{ share_with_remainder('monthly_cost', 'rounded_share', 'is_last_channel', 'month_start, tool', 'channel') }}
            as month_cost
    from allocated
),

channel_days as (
    select
        calendar.date_day,
        channel_months.channel,
        channel_months.tool,
        channel_months.month_cost,
        {{ dbt.datediff('channel_months.month_start', dbt.dateadd('month', 1, 'channel_months.month_start'), 'day') }}
            as days_in_month,
        calendar.date_day = cast({{ dbt.last_day('channel_months.month_start', 'month') }} as date) as is_last_day
    from channel_months
    inner join calendar on channel_months.month_start = calendar.month_start
),

tool_days as (
    select
        date_day,
        channel,
        {{ spread_in_cents('month_cost', 'days_in_month', 'is_last_day') }} as tool_cost
    from channel_days
)

select
    date_day,
    channel,
    cast(sum(tool_cost) as decimal(14, 2)) as tool_cost
from tool_days
group by date_day, channel
