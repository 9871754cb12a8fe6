with

source as (
    {{ landing_source('meta_ads', 'ads_insights') }}
),

renamed as (
    select
        ad_account_id,
        date as date_day,
        campaign_id as ad_campaign_id,
        campaign_name as ad_campaign_name,
        adset_id,
        ad_id,
        ad_name,
        account_currency,
        spend,
        impressions,
        reach,
        clicks,
        inline_link_clicks,
        {{ landed_date('filename') }} as landed_date,
        _extracted_at as extracted_at
    from source
),

latest as (
    {{ latest_landing('renamed', ['ad_account_id', 'date_day']) }}
)

select * from latest
