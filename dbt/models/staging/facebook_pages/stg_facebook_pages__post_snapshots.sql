{{ stg_post_snapshots('facebook_pages', 'post_snapshots', 'page_id', 'post_id') }}
