-- Calls to each placement's tracking number (the media plan's tracking_number column) by day.
-- Calls keep coming after a flight ends, so days outside the flight are kept. A number no
-- placement owns is left out here; a warning test on the staging model lists such numbers.
select
    calls.date_day,
    placements.channel,
    placements.vendor as account_id,
    placements.placement_id,
    placements.campaign_id,
    calls.calls,
    calls.qualified_calls
from {{ ref('stg_call_tracking__calls') }} as calls
inner join {{ ref('int_traditional_media__placements') }} as placements
    on calls.tracking_number = placements.tracking_number
