{{ stg_account_daily('linkedin', 'organization_daily', 'organization_id') }}
