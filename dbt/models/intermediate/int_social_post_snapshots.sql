-- Lifetime post metrics of every platform in the warehouse's metric names (seeds/social_metric_map.csv,
-- level 'post').
{% set platforms = [
    ('facebook', 'stg_facebook_pages__post_snapshots'),
    ('instagram', 'stg_instagram__media_snapshots'),
    ('x', 'stg_x__post_snapshots'),
    ('youtube', 'stg_youtube__video_snapshots'),
] %}

with

snapshots as (
    {{ union_platforms(platforms, ['post_id', 'account_id', 'as_of_date', 'metric_name', 'metric_value']) }}
),

mapped as (
    {{ in_warehouse_metrics('snapshots', 'post', ['platform', 'post_id', 'account_id', 'as_of_date']) }}
)

select * from mapped
