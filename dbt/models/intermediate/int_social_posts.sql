-- Every organic post of every platform, one row each, with the campaign tagged in its text.
{% set platforms = [
    ('facebook', 'stg_facebook_pages__posts'),
    ('instagram', 'stg_instagram__media'),
    ('x', 'stg_x__posts'),
    ('youtube', 'stg_youtube__videos'),
    ('linkedin', 'stg_linkedin__posts'),
] %}

{% for platform, model in platforms %}
    select
        '{{ platform }}' as platform,
        post_id,
        account_id,
        created_at,
        created_date,
        post_text,
        coalesce(campaign_id, '(none)') as campaign_id
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
