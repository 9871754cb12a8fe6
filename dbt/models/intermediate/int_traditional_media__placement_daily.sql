-- Flights are spread evenly over their days (metrics.md §5, documented in the model's yml):
-- every day gets the even share rounded down and the last day takes the remainder, so the days of a
-- placement add up exactly (to the cent, to the impression, to the GRP tenth) to the media plan.
-- A placement's audience (a reach) sits on its first day only and is never spread or summed.
with

placements as (
    select * from {{ ref('int_traditional_media__placements') }}
),

placement_days as (
    select
        placements.*,
        cast(flight_day.generated_day as date) as date_day,
        cast(flight_day.generated_day as date) = placements.end_date as is_last_day
    from placements
    cross join {{ date_series('placements.start_date', 'placements.end_date', 'flight_day', 'generated_day') }}
),

spread as (
    select
        placement_id,
        channel,
        vendor,
        campaign_id,
        date_day,
        flight_days,
        cast(case
            when is_last_day then spend - {{ share_in_cents('spend', 'flight_days') }} * (flight_days - 1)
            else {{ share_in_cents('spend', 'flight_days') }}
        end as decimal(14, 2)) as media_spend,
        cast(case
            when is_last_day then gross_impressions - floor(gross_impressions / flight_days) * (flight_days - 1)
            else floor(gross_impressions / flight_days)
        end as bigint) as impressions,
        cast(case
            when is_last_day then grps - floor(grps * 10 / flight_days) / 10 * (flight_days - 1)
            else floor(grps * 10 / flight_days) / 10
        end as decimal(10, 1)) as grps,
        universe,
        case when date_day = start_date then audience end as audience,
        cast(case
            when
                is_last_day
                then coalesce(responses, 0) - floor(coalesce(responses, 0) / flight_days) * (flight_days - 1)
            else floor(coalesce(responses, 0) / flight_days)
        end as bigint) as responses
    from placement_days
)

select * from spread
