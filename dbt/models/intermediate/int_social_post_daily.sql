-- One row per post per day with the day's increase of each lifetime metric, from consecutive
-- snapshots. Rules (documented in the yml):
-- * a post's first snapshot is attributed to its publication day (history before the pipeline
--   first saw the post cannot be split by day); every later snapshot to the day it was read;
-- * increases are measured against the highest value seen so far, so a metric a platform revises
--   down never produces a negative day, and the days of a post add up to its highest value.
with

snapshots as (
    select
        snapshots.*,
        posts.created_date,
        posts.campaign_id
    from {{ ref('int_social_post_snapshots') }} as snapshots
    inner join {{ ref('int_social_posts') }} as posts
        on snapshots.platform = posts.platform and snapshots.post_id = posts.post_id
),

running as (
    select
        *,
        max(metric_value) over (
            partition by platform, post_id, metric order by as_of_date
            rows between unbounded preceding and current row
        ) as highest_so_far,
        row_number() over (partition by platform, post_id, metric order by as_of_date) as snapshot_number
    from snapshots
),

increases as (
    select
        *,
        coalesce(highest_so_far, 0) - coalesce(lag(highest_so_far) over (
            partition by platform, post_id, metric order by as_of_date
        ), 0) as increase,
        metric_value < lag(highest_so_far) over (
            partition by platform, post_id, metric order by as_of_date
        ) as revised_down
    from running
),

attributed as (
    select
        platform,
        post_id,
        account_id,
        campaign_id,
        case when snapshot_number = 1 then least(created_date, as_of_date) else as_of_date end as date_day,
        metric,
        increase,
        coalesce(revised_down, false) as revised_down
    from increases
)

select
    platform,
    post_id,
    account_id,
    campaign_id,
    date_day,
    coalesce(sum(case when metric = 'reactions' then increase end), 0) as reactions,
    coalesce(sum(case when metric = 'comments' then increase end), 0) as comments,
    coalesce(sum(case when metric = 'shares' then increase end), 0) as shares,
    coalesce(sum(case when metric = 'saves' then increase end), 0) as saves,
    coalesce(sum(case when metric = 'impressions' then increase end), 0) as impressions,
    coalesce(sum(case when metric = 'clicks' then increase end), 0) as clicks,
    coalesce(sum(case when metric = 'video_views' then increase end), 0) as video_views,
    {{ dbt.bool_or('revised_down') }} as revised_down
from attributed
group by platform, post_id, account_id, campaign_id, date_day
