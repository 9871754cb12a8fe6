-- Staff time costed per week (weeks start on Monday). Each role x channel works its standing
-- allocation (seeds/staff_time.csv, from the first week whose Monday falls inside its validity)
-- unless a timesheet (seeds/staff_timesheets.csv) records that week's hours, which replace it.
-- A week costs round(hours x the loaded rate in force on its Monday, 2); a channel's week is
-- spread over its seven days rounded down to the cent, Sunday taking the remainder, so the staff cost of any
-- period is exact in cents. Only days of the reporting calendar carry cost.
with

calendar as (
    select date_day from {{ ref('int_reporting_calendar') }}
),

weeks as (
    select distinct cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start
    from calendar
),

planned as (
    select
        weeks.week_start,
        staff_time.role,
        staff_time.channel,
        staff_time.hours_per_week as hours
    from {{ ref('staff_time') }} as staff_time
    inner join weeks on {{ valid_on('staff_time', 'weeks.week_start') }}
),

recorded as (
    select
        week_start,
        role,
        channel,
        hours
    from {{ ref('staff_timesheets') }}
),

worked as (
    select * from recorded
    union all
    select planned.*
    from planned
    where not exists (
        select 1 from recorded
        where
            recorded.week_start = planned.week_start
            and recorded.role = planned.role
            and recorded.channel = planned.channel
    )
),

rated as (
    select
        worked.week_start,
        worked.role,
        worked.channel,
        worked.hours,
        rates.effective_from,
        {{ cents('worked.hours * rates.hourly_rate') }} as week_cost
    from worked
    inner join {{ ref('loaded_rates') }} as rates
        on
            worked.role = rates.role
            and worked.week_start >= rates.effective_from
),

-- The rate in force on the week's Monday: the latest that took effect by then.
costed as (
    {{ deduplicate('rated', 'week_start, role, channel', 'effective_from desc') }}
),

channel_weeks as (
    select
        week_start,
        channel,
        sum(hours) as hours,
        sum(week_cost) as week_cost
    from costed
    group by week_start, channel
),

channel_days as (
    select
        calendar.date_day,
        channel_weeks.channel,
        channel_weeks.hours,
        channel_weeks.week_cost,
        calendar.date_day = cast({{ dbt.dateadd('day', 6, 'channel_weeks.week_start') }} as date) as is_last_day
    from channel_weeks
    inner join calendar
        on cast({{ dbt.date_trunc('week', 'calendar.date_day') }} as date) = channel_weeks.week_start
)

select
    date_day,
    channel,
    cast(hours / 7.0 as decimal(10, 4)) as staff_hours,
    cast({{ spread_in_cents('week_cost', 7, 'is_last_day') }} as decimal(14, 2)) as staff_cost
from channel_days
