-- Lifetime post metrics of every platform in the warehouse's metric names (seeds/social_metric_map.csv
-- is the one place where a platform's metric becomes reactions, comments, shares, saves, ...).
{% set platforms = [
    ('facebook', 'stg_facebook_pages__post_snapshots'),
    ('instagram', 'stg_instagram__media_snapshots'),
    ('x', 'stg_x__post_snapshots'),
    ('youtube', 'stg_youtube__video_snapshots'),
] %}

with

snapshots as (
    {% for platform, model in platforms %}
        select
            '{{ platform }}' as platform,
            post_id,
            account_id,
            as_of_date,
            metric_name,
            metric_value
        from {{ ref(model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

mapped as (
    select
        snapshots.platform,
        snapshots.post_id,
        snapshots.account_id,
        snapshots.as_of_date,
        metric_map.metric,
        -- A platform may count one warehouse metric in several (X: reposts and quotes are shares);
        -- NULL (not available) stays NULL unless some part is known.
        sum(snapshots.metric_value) as metric_value
    from snapshots
    inner join {{ ref('social_metric_map') }} as metric_map
        on
            snapshots.platform = metric_map.platform
            and snapshots.metric_name = metric_map.source_metric
            and metric_map.level = 'post'
    group by snapshots.platform, snapshots.post_id, snapshots.account_id, snapshots.as_of_date, metric_map.metric
)

select * from mapped
