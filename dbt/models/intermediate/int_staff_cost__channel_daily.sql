-- Staff time (hours per week per role and channel, seeds/staff_time.csv) costed at the role's
-- loaded hourly rate in force that day (seeds/loaded_rates.csv), spread evenly over the week's
-- seven days of the reporting calendar.
with

calendar as (
    select date_day from {{ ref('int_reporting_calendar') }}
),

staff_days as (
    select
        calendar.date_day,
        staff_time.role,
        staff_time.channel,
        staff_time.hours_per_week
    from {{ ref('staff_time') }} as staff_time
    inner join calendar
        on
            staff_time.valid_from <= calendar.date_day
            and (staff_time.valid_to is null or staff_time.valid_to >= calendar.date_day)
),

rated as (
    select
        staff_days.date_day,
        staff_days.channel,
        staff_days.hours_per_week / 7.0 as hours,
        round(staff_days.hours_per_week * rates.hourly_rate / 7.0, 4) as cost
    from staff_days
    inner join {{ ref('loaded_rates') }} as rates
        on
            staff_days.role = rates.role
            and staff_days.date_day >= rates.effective_from
    qualify row_number() over (
        partition by staff_days.date_day, staff_days.role, staff_days.channel
        order by rates.effective_from desc
    ) = 1
)

select
    date_day,
    channel,
    cast(sum(hours) as decimal(10, 4)) as staff_hours,
    cast(sum(cost) as decimal(14, 4)) as staff_cost
from rated
group by date_day, channel
