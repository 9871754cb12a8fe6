-- The latest marketing-mix fit's budget scenario: for today's total weekly spend (the last 13
-- weeks' average), the allocation with the most expected conversions when no movable channel
-- moves more than marketing_mix.bounds.max_change and the fixed ones (traditional contracts)
-- stay, with the expected change in conversions a week per channel.
select
    scenarios.fit_id,
    scenarios.channel,
    channels.channel_group,
    scenarios.movable,
    scenarios.current_weekly_spend,
    scenarios.recommended_weekly_spend,
    {{ safe_divide('scenarios.recommended_weekly_spend', 'scenarios.current_weekly_spend') }} - 1 as spend_change_share,
    scenarios.expected_weekly_conversions_change,
    scenarios.max_change
from {{ ref('stg_marketing_mix__budget_scenarios') }} as scenarios
inner join {{ ref('mart_mmm_diagnostics') }} as fits on scenarios.fit_id = fits.fit_id and fits.is_latest
left join {{ ref('channels') }} as channels on scenarios.channel = channels.channel
