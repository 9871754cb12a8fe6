{{ stg_account_snapshots('instagram', 'accounts', 'account_id', 'followers_count') }}
