{{ stg_account_daily('instagram', 'account_insights', 'account_id') }}
