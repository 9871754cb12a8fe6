-- One row per post with its latest lifetime metrics: the newest snapshot when the post had one,
-- else the totals from the posts listing.
with

posts as (
    select * from {{ ref('stg_facebook_pages__posts') }}
),

snapshots as (
    select *
    from {{ ref('stg_facebook_pages__post_snapshots') }}
    qualify as_of_date = max(as_of_date) over (partition by post_id)
),

latest_snapshot as (
    select
        post_id,
        as_of_date,
        max(metric_value) filter (where metric_name = 'reactions') as reactions,
        max(metric_value) filter (where metric_name = 'comments') as comments,
        max(metric_value) filter (where metric_name = 'shares') as shares,
        max(metric_value) filter (where metric_name = 'post_media_view') as media_views,
        max(metric_value) filter (where metric_name = 'post_total_media_view_unique') as unique_media_views,
        max(metric_value) filter (where metric_name = 'post_clicks') as clicks,
        max(metric_value) filter (where metric_name = 'post_video_views') as video_views
    from snapshots
    group by post_id, as_of_date
)

select
    posts.post_id,
    posts.page_id,
    posts.created_at,
    posts.created_date,
    coalesce(posts.campaign_id, '(none)') as campaign_id,
    posts.message,
    posts.permalink_url,
    latest_snapshot.as_of_date as metrics_as_of,
    coalesce(latest_snapshot.reactions, posts.reactions, 0) as reactions,
    coalesce(latest_snapshot.comments, posts.comments, 0) as comments,
    coalesce(latest_snapshot.shares, posts.shares, 0) as shares,
    coalesce(latest_snapshot.media_views, 0) as impressions,
    latest_snapshot.unique_media_views as reach,
    coalesce(latest_snapshot.clicks, 0) as clicks,
    coalesce(latest_snapshot.video_views, 0) as video_views
from posts
left join latest_snapshot on posts.post_id = latest_snapshot.post_id
