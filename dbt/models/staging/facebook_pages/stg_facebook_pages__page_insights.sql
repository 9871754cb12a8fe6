with

source as (
    select * from {{ source('facebook_pages', 'page_insights') }}
),

renamed as (
    select
        page_id,
        metric as metric_name,
        date as metric_date,
        value as metric_value,
        {{ landed_date('filename') }} as landed_date,
        _extracted_at as extracted_at
    from source
    where period = 'day'
),

-- Each night re-reads a lookback window, so a day appears in several partitions: the latest
-- extraction carries the platform's final figure.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by page_id, metric_name, metric_date
        order by landed_date desc, extracted_at desc
    ) = 1
)

select * from deduplicated
