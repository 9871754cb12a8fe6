-- No row of mart_ambassadors describes fewer than `advocacy_min_team_advocates` people (docs/metrics.md §8):
-- every row has that many sharers, or none and that many enrolled.
select
    month_start,
    team,
    active_advocates,
    enrolled_advocates
from {{ ref('mart_ambassadors') }}
{% set least = var('advocacy_min_team_advocates') | int %}
where
    not {{ advocacy_group_is_large('active_advocates', 'enrolled_advocates', least) }}
    -- Costs and visits no team can be credited with, with no sharer among them, describe no one.
    and not (team = '(not by team)' and active_advocates = 0)
