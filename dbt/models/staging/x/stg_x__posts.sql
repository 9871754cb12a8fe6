{{ stg_posts('x', 'posts', 'user_id', 'post_id', 'text') }}
