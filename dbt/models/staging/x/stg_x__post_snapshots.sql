{{ stg_post_snapshots('x', 'post_snapshots', 'user_id', 'post_id') }}
