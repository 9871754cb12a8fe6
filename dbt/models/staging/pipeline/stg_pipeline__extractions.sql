with

source as (
    {{ landing_source('pipeline', 'extractions') }}
),

renamed as (
    select
        source as source_name,
        account_id,
        partition_date,
        status,
        rows_landed,
        error,
        finished_at,
        {{ landed_date('filename') }} as landed_date
    from source
)

select * from renamed
