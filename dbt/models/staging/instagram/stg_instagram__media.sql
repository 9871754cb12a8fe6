{{ stg_posts('instagram', 'media', 'account_id', 'media_id', 'caption') }}
