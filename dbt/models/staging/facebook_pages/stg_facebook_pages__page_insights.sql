{{ stg_account_daily('facebook_pages', 'page_insights', 'page_id') }}
