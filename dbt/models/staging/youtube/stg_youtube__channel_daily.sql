{{ stg_account_daily('youtube', 'channel_daily', 'channel_id') }}
