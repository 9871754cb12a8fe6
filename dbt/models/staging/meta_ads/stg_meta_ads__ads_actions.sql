with

source as (
    {{ landing_source('meta_ads', 'ads_actions') }}
),

renamed as (
    select
        ad_account_id,
        date as date_day,
        ad_id,
        action_type,
        value as actions,
        action_value,
        {{ landed_date('filename') }} as landed_date
    from source
),

latest as (
    {{ latest_landing('renamed', ['ad_account_id', 'date_day']) }}
)

select * from latest
