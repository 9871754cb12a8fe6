-- Page-level daily metrics, as the platform reports them (one row per page per day).
select
    page_id,
    metric_date,
    max(metric_value) filter (where metric_name = 'page_media_view') as media_views,
    max(metric_value) filter (where metric_name = 'page_total_media_view_unique') as reach,
    max(metric_value) filter (where metric_name = 'page_post_engagements') as post_engagements,
    max(metric_value) filter (where metric_name = 'page_daily_follows_unique') as followers_gained,
    max(metric_value) filter (where metric_name = 'page_video_views') as video_views,
    max(metric_value) filter (where metric_name = 'page_views_total') as page_views
from {{ ref('stg_facebook_pages__page_insights') }}
group by page_id, metric_date
