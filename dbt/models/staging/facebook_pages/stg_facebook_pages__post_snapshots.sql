with

source as (
    select * from {{ source('facebook_pages', 'post_snapshots') }}
),

renamed as (
    select
        post_id,
        page_id,
        as_of_date,
        metric as metric_name,
        value as metric_value,
        {{ landed_date('filename') }} as landed_date,
        _extracted_at as extracted_at
    from source
),

-- A rerun of a day lands the same partition again; keep one value per post, metric and day.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by post_id, metric_name, as_of_date
        order by landed_date desc, extracted_at desc
    ) = 1
)

select * from deduplicated
