with

source as (
    select * from {{ source('facebook_pages', 'posts') }}
),

renamed as (
    select
        post_id,
        page_id,
        created_time as created_at,
        {{ local_date('created_time') }} as created_date,
        message,
        permalink_url,
        -- Campaigns are tagged on the post's link (utm_campaign), as marketing teams do.
        nullif(regexp_extract(message, 'utm_campaign=([A-Za-z0-9_-]+)', 1), '') as campaign_id,
        reactions,
        comments,
        shares,
        {{ landed_date('filename') }} as landed_date,
        _extracted_at as extracted_at
    from source
),

deduplicated as (
    select *
    from renamed
    qualify row_number() over (partition by post_id order by landed_date desc, extracted_at desc) = 1
)

select * from deduplicated
