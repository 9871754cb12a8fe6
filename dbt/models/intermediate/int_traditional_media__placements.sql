-- The media plan's placements with their organisation campaign and exposure (docs/metrics.md §5):
-- gross impressions = GRPs x universe / 100 (TV, radio), circulation x readers per copy (print),
-- audited impressions (out-of-home), pieces delivered (direct mail). Audience is the people one
-- placement reaches where the plan measures it (print readers, mail households); it is a reach,
-- so it is never summed across placements.
select
    placements.placement_id,
    placements.channel,
    placements.vendor,
    placements.campaign_id as campaign_key,
    {{ mapped_campaign('placements.campaign_id') }} as campaign_id,
    placements.start_date,
    placements.end_date,
    {{ dbt.datediff('placements.start_date', 'placements.end_date', 'day') }} + 1 as flight_days,
    placements.spend,
    placements.grps,
    placements.universe,
    cast(case placements.channel
        when 'tv' then {{ round_half_away('placements.grps * placements.universe / 100.0') }}
        when 'radio' then {{ round_half_away('placements.grps * placements.universe / 100.0') }}
        when 'print' then {{ round_half_away('placements.circulation * placements.readers_per_copy') }}
        when 'ooh' then placements.audited_impressions
        when 'direct_mail' then placements.pieces_mailed
    end as bigint) as gross_impressions,
    cast(case placements.channel
        when 'print' then {{ round_half_away('placements.circulation * placements.readers_per_copy') }}
        when 'direct_mail' then placements.pieces_mailed
    end as bigint) as audience,
    placements.responses,
    placements.tracking_number,
    placements.vanity_url
from {{ ref('stg_traditional_media__placements') }} as placements
{{ join_campaign_keys('media_plan', 'placements.campaign_id') }}
