-- Every organic post of every platform, one row each, with the organisation campaign its links
-- are tagged with (utm_campaign, resolved through int_campaign_keys; '(none)' when untagged).
{% set platforms = [
    ('facebook', 'stg_facebook_pages__posts'),
    ('instagram', 'stg_instagram__media'),
    ('x', 'stg_x__posts'),
    ('youtube', 'stg_youtube__videos'),
    ('linkedin', 'stg_linkedin__posts'),
] %}

with

posts as (
    {{ union_platforms(platforms, [
        'post_id', 'account_id', 'created_at', 'created_date', 'post_text', 'campaign_id as campaign_key'
    ]) }}
)

select
    posts.platform,
    posts.post_id,
    posts.account_id,
    posts.created_at,
    posts.created_date,
    posts.post_text,
    posts.campaign_key,
    {{ mapped_campaign('posts.campaign_key') }} as campaign_id
from posts
{{ join_campaign_keys('utm', 'posts.campaign_key') }}
