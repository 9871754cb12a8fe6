{{ stg_account_snapshots('linkedin', 'network_sizes', 'organization_id', 'follower_count') }}
