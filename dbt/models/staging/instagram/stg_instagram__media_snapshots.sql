{{ stg_post_snapshots('instagram', 'media_snapshots', 'account_id', 'media_id') }}
