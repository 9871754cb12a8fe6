-- Flights are spread evenly over their days (docs/metrics.md §5, documented in the model's yml):
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
        cast({{ spread_in_cents('spend', 'flight_days', 'is_last_day') }} as decimal(14, 2)) as media_spend,
        cast({{ spread_over_days(
            'gross_impressions', 'flight_days', 'is_last_day', 'floor(gross_impressions / flight_days)'
        ) }} as bigint) as impressions,
        cast({{ spread_over_days(
            'grps', 'flight_days', 'is_last_day', 'floor(grps * 10 / flight_days) / 10'
        ) }} as decimal(10, 1)) as grps,
        universe,
        case when date_day = start_date then audience end as audience,
        cast({{ spread_over_days(
            'coalesce(responses, 0)', 'flight_days', 'is_last_day', 'floor(coalesce(responses, 0) / flight_days)'
        ) }} as bigint) as responses
    from placement_days
)

select * from spread
