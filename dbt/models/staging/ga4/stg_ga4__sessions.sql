with

source as (
    {{ landing_source('ga4', 'sessions') }}
),

renamed as (
    select
        property_id,
        date as date_day,
        lower(session_source) as session_source,
        lower(session_medium) as session_medium,
        session_campaign_name,
        sessions,
        engaged_sessions,
        {{ landed_date('filename') }} as landed_date
    from source
),

latest as (
    {{ latest_landing('renamed', ['property_id', 'date_day']) }}
)

select * from latest
