{{ stg_latest_landing('meta_ads', 'ads_insights', [
    'ad_account_id',
    'date as date_day',
    'campaign_id as ad_campaign_id',
    'campaign_name as ad_campaign_name',
    'adset_id',
    'ad_id',
    'ad_name',
    'account_currency',
    'spend',
    'impressions',
    'reach',
    'clicks',
    'inline_link_clicks'
], ['ad_account_id', 'date_day'], extracted_at=true) }}
