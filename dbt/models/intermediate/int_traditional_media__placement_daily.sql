-- Flights are spread evenly over their days (metrics.md §5, documented in the model's yml):
-- every day gets the rounded even share and the last day takes the remainder, so the days of a
-- placement add up exactly (to the cent, to the impression) to what the media plan says.
with

placements as (
    select
        *,
        date_diff('day', start_date, end_date) + 1 as flight_days,
        -- Gross impressions per channel (metrics.md §5).
        case channel
            when 'tv' then round(grps * universe / 100.0)
            when 'radio' then round(grps * universe / 100.0)
            when 'print' then round(circulation * readers_per_copy)
            when 'ooh' then audited_impressions
            when 'direct_mail' then pieces_mailed
        end as gross_impressions
    from {{ ref('stg_traditional_media__placements') }}
),

placement_days as (
    select
        placements.*,
        cast(flight_day.generated_day as date) as date_day,
        cast(flight_day.generated_day as date) = placements.end_date as is_last_day
    from placements
    cross join generate_series(placements.start_date, placements.end_date, interval 1 day) as flight_day (generated_day)
),

spread as (
    select
        placement_id,
        channel,
        vendor,
        campaign_id,
        date_day,
        flight_days,
        case
            when is_last_day then spend - round(spend / flight_days, 2) * (flight_days - 1)
            else round(spend / flight_days, 2)
        end as media_spend,
        cast(case
            when is_last_day then gross_impressions - floor(gross_impressions / flight_days) * (flight_days - 1)
            else floor(gross_impressions / flight_days)
        end as bigint) as impressions,
        cast(case
            when
                is_last_day
                then coalesce(responses, 0) - floor(coalesce(responses, 0) / flight_days) * (flight_days - 1)
            else floor(coalesce(responses, 0) / flight_days)
        end as bigint) as responses
    from placement_days
)

select * from spread
