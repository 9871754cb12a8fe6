{{ stg_posts('linkedin', 'posts', 'organization_id', 'post_id', 'commentary') }}
