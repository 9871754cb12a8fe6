-- What content earns: per platform x format x intent x month, how many posts, what they reached
-- (impressions per post, averaged), and the rates of engagement, shares and saves by impressions.
-- Compare intents within a platform and format: formats reach differently, so a mix of formats
-- must not pass for an intent effect. An association, not a cause.
with

posts as (
    select * from {{ ref('int_content_posts') }}
),

monthly as (
    select
        platform,
        format,
        content_intent,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month_start,
        count(*) as posts,
        sum(impressions) as impressions,
        sum(engagements) as engagements,
        sum(shares) as shares,
        sum(saves) as saves,
        sum(clicks) as clicks,
        cast(sum(staff_cost) as decimal(14, 2)) as staff_cost,
        sum(case when needs_review then 1 else 0 end) as posts_to_review
    from posts
    group by platform, format, content_intent, cast({{ dbt.date_trunc('month', 'created_date') }} as date)
)

select
    platform,
    format,
    content_intent,
    month_start,
    posts,
    impressions,
    {{ safe_divide('impressions', 'posts') }} as impressions_per_post,
    engagements,
    {{ engagement_rate('engagements', 'impressions') }} as engagement_rate,
    shares,
    {{ safe_divide('shares', 'impressions') }} as share_rate,
    saves,
    {{ safe_divide('saves', 'impressions') }} as save_rate,
    clicks,
    staff_cost,
    {{ cost_per_engagement('staff_cost', 'engagements') }} as cost_per_engagement,
    posts_to_review
from monthly
