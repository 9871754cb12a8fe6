{{ stg_account_snapshots('x', 'users', 'user_id', 'followers_count') }}
