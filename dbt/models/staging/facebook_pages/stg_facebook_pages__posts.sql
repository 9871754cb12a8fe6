{{ stg_posts('facebook_pages', 'posts', 'page_id', 'post_id', 'message', ['permalink_url']) }}
