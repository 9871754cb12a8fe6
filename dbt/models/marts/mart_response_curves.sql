-- The response curve of each channel of the latest marketing-mix fit: the incremental conversions
-- a week to expect at a steady weekly spend, with the interval, from nothing to twice today's
-- spend; the row at today's spend is marked. Where a curve flattens, the next dollar buys less.
select
    curves.fit_id,
    curves.channel,
    channels.channel_group,
    curves.driver,
    curves.weekly_spend,
    curves.expected_weekly_conversions,
    curves.expected_weekly_conversions_low,
    curves.expected_weekly_conversions_high,
    curves.is_current_spend
from {{ ref('stg_marketing_mix__response_curves') }} as curves
inner join {{ ref('mart_mmm_diagnostics') }} as fits on curves.fit_id = fits.fit_id and fits.is_latest
left join {{ ref('channels') }} as channels on curves.channel = channels.channel
