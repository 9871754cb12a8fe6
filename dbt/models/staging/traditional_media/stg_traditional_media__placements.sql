-- The inbox is the current media plan: the latest landed snapshot replaces earlier ones.
{{ stg_latest_landing('traditional_media', 'placements', [
    'placement_id',
    'channel',
    'vendor',
    'campaign as campaign_id',
    'start_date',
    'end_date',
    'cast(spend as decimal(14, 2)) as spend',
    'impressions as audited_impressions',
    'grps',
    'universe',
    'circulation',
    'readers_per_copy',
    'pieces_mailed',
    'responses',
    'tracking_number',
    'vanity_url',
    'source_file',
    'source_row'
]) }}
