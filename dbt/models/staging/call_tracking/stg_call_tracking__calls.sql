with

source as (
    {{ landing_source('call_tracking', 'calls') }}
),

renamed as (
    select
        tracking_number,
        date as date_day,
        calls,
        qualified_calls,
        source_file,
        source_row,
        {{ landed_date('filename') }} as landed_date
    from source
),

-- The inbox is the current call log: the latest landed snapshot replaces earlier ones.
latest_snapshot as (
    {{ latest_landing('renamed') }}
)

select * from latest_snapshot
