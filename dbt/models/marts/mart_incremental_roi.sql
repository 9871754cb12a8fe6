-- What each channel adds (docs/metrics.md §10): per channel x period of the latest fit (the fitted
-- range, its last 52 weeks, each quarter), the whole investment and the KPI's key events tracking
-- attributed to the channel, beside the conversions the model says it added, with the interval,
-- both valued at the KPI's average value per conversion so the two ROIs compare like for like.
-- Investment and attributed conversions come from the model's own weekly inputs (int_mix__weekly:
-- the warehouse's mart figures, and the marketing history before it).
with

latest as (
    select
        fit_id,
        kpi,
        value_per_conversion,
        trusted,
        interval_level
    from {{ ref('mart_mmm_diagnostics') }}
    where is_latest
),

periods as (
    select
        periods.*,
        latest.kpi,
        latest.value_per_conversion,
        latest.trusted,
        latest.interval_level
    from {{ ref('stg_marketing_mix__channel_periods') }} as periods
    inner join latest on periods.fit_id = latest.fit_id
),

observed as (
    select
        periods.fit_id,
        periods.period,
        periods.channel,
        coalesce(sum(weekly.total_investment), 0) as investment,
        -- The KPI's key events only (marketing_mix.kpi), as the model counts them.
        coalesce(sum(
            case
                when ',' || periods.kpi || ',' like '%,appointment_request,%' then weekly.appointment_requests else 0
            end
            + case
                when ',' || periods.kpi || ',' like '%,class_registration,%' then weekly.class_registrations else 0
            end
        ), 0) as attributed_conversions
    from periods
    left join {{ ref('int_mix__weekly') }} as weekly
        on
            periods.channel = weekly.channel
            and weekly.week_start between periods.period_start and periods.period_end
    group by periods.fit_id, periods.period, periods.channel
),

valued as (
    select
        periods.*,
        channels.channel_group,
        observed.investment,
        observed.attributed_conversions,
        cast(observed.attributed_conversions * periods.value_per_conversion as decimal(14, 2)) as attributed_value,
        cast(periods.incremental_conversions * periods.value_per_conversion as decimal(14, 2)) as incremental_value,
        periods.incremental_conversions_low * periods.value_per_conversion as incremental_value_low,
        periods.incremental_conversions_high * periods.value_per_conversion as incremental_value_high
    from periods
    inner join observed
        on
            periods.fit_id = observed.fit_id
            and periods.period = observed.period
            and periods.channel = observed.channel
    left join {{ ref('channels') }} as channels on periods.channel = channels.channel
)

select
    fit_id,
    period,
    period_start,
    period_end,
    weeks,
    channel,
    channel_group,
    driver,
    investment,
    attributed_conversions,
    attributed_value,
    {{ roi('attributed_value', 'investment') }} as attributed_roi,
    incremental_conversions,
    incremental_conversions_low,
    incremental_conversions_high,
    incremental_value,
    {{ roi('incremental_value', 'investment') }} as incremental_roi,
    {{ roi('incremental_value_low', 'investment') }} as incremental_roi_low,
    {{ roi('incremental_value_high', 'investment') }} as incremental_roi_high,
    marginal_roi,
    baseline_share,
    interval_level,
    incremental_conversions_high - incremental_conversions_low > incremental_conversions as uncertain,
    trusted
from valued
