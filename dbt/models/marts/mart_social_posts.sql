-- What worked: one row per post with its lifetime metrics (the sum of its daily increases, i.e.
-- the highest values seen), engagement rate by impressions, and the staff time of its
-- publication day shared equally over that day's posts of the same account and campaign.
{% set post_engagements = 'lifetime.reactions + lifetime.comments + lifetime.shares + lifetime.saves' %}

with

posts as (
    select * from {{ ref('int_social_posts') }}
),

lifetime as (
    select
        platform,
        post_id,
        {{ summed(['reactions', 'comments', 'shares', 'saves', 'impressions', 'clicks', 'video_views']) }},
        {{ dbt.bool_or('revised_down') }} as revised_down
    from {{ ref('int_social_post_daily') }}
    group by platform, post_id
),

staff_share as (
    select
        allocated.date_day,
        allocated.channel,
        allocated.account_id,
        allocated.campaign_id,
        allocated.amount / activity.activity_units as staff_cost_per_post
    from {{ ref('int_overhead__allocated') }} as allocated
    inner join {{ ref('int_channel_activity_daily') }} as activity
        on
            allocated.date_day = activity.date_day
            and allocated.channel = activity.channel
            and allocated.account_id = activity.account_id
            and allocated.campaign_id = activity.campaign_id
    where allocated.cost_type = 'staff_cost'
)

select
    posts.platform,
    posts.post_id,
    posts.account_id,
    posts.created_at,
    posts.created_date,
    posts.campaign_id,
    campaigns.objective,
    posts.post_text,
    coalesce(lifetime.reactions, 0) as reactions,
    coalesce(lifetime.comments, 0) as comments,
    coalesce(lifetime.shares, 0) as shares,
    coalesce(lifetime.saves, 0) as saves,
    coalesce({{ post_engagements }}, 0) as engagements,
    coalesce(lifetime.impressions, 0) as impressions,
    coalesce(lifetime.clicks, 0) as clicks,
    coalesce(lifetime.video_views, 0) as video_views,
    coalesce(lifetime.revised_down, false) as revised_down,
    {{ engagement_rate(post_engagements, 'lifetime.impressions') }} as engagement_rate,
    cast(staff_share.staff_cost_per_post as decimal(14, 4)) as staff_cost,
    {{ cost_per_engagement('staff_share.staff_cost_per_post', post_engagements) }} as cost_per_engagement
from posts
left join lifetime on posts.platform = lifetime.platform and posts.post_id = lifetime.post_id
left join staff_share
    on
        posts.created_date = staff_share.date_day
        and posts.platform = staff_share.channel
        and posts.account_id = staff_share.account_id
        and posts.campaign_id = staff_share.campaign_id
left join {{ ref('campaigns') }} as campaigns on posts.campaign_id = campaigns.campaign_id
