with

source as (
    {{ landing_source('traditional_media', 'placements') }}
),

renamed as (
    select
        placement_id,
        channel,
        vendor,
        campaign as campaign_id,
        start_date,
        end_date,
        cast(spend as decimal(14, 2)) as spend,
        impressions as audited_impressions,
        grps,
        universe,
        circulation,
        readers_per_copy,
        pieces_mailed,
        responses,
        tracking_number,
        vanity_url,
        source_file,
        source_row,
        {{ landed_date('filename') }} as landed_date
    from source
),

-- The inbox is the current media plan: the latest landed snapshot replaces earlier ones.
latest_snapshot as (
    {{ latest_landing('renamed') }}
)

select * from latest_snapshot
