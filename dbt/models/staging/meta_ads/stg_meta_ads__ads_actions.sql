{{ stg_latest_landing('meta_ads', 'ads_actions', [
    'ad_account_id',
    'date as date_day',
    'ad_id',
    'action_type',
    'value as actions',
    'action_value'
], ['ad_account_id', 'date_day']) }}
