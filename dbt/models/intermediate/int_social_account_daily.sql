-- Account-level daily measures as each platform reports them, in the warehouse's metric names
-- (seeds/social_metric_map.csv, level 'account'), plus the follower count read that day.
{% set daily = [
    ('facebook', 'stg_facebook_pages__page_insights'),
    ('instagram', 'stg_instagram__account_insights'),
    ('youtube', 'stg_youtube__channel_daily'),
    ('linkedin', 'stg_linkedin__organization_daily'),
] %}
{% set followers = [
    ('instagram', 'stg_instagram__accounts'),
    ('x', 'stg_x__users'),
    ('youtube', 'stg_youtube__channels'),
    ('linkedin', 'stg_linkedin__network_sizes'),
] %}

with

reported as (
    {{ union_platforms(daily, ['account_id', 'metric_date as date_day', 'metric_name', 'metric_value']) }}
),

mapped as (
    {{ in_warehouse_metrics('reported', 'account', ['platform', 'account_id', 'date_day']) }}
),

pivoted as (
    select
        platform,
        account_id,
        date_day,
        max(case when metric = 'reach' then metric_value end) as reach,
        sum(case when metric = 'followers_gained' then metric_value end) as followers_gained,
        sum(case when metric = 'reactions' then metric_value end) as reactions,
        sum(case when metric = 'comments' then metric_value end) as comments,
        sum(case when metric = 'shares' then metric_value end) as shares,
        sum(case when metric = 'clicks' then metric_value end) as clicks,
        sum(case when metric = 'impressions' then metric_value end) as impressions,
        sum(case when metric = 'other_engagements' then metric_value end) as other_engagements
    from mapped
    group by platform, account_id, date_day
),

follower_counts as (
    -- Facebook reports its follower count as a daily insight (page_follows, Nov 2025).
    select
        'facebook' as platform,
        account_id,
        metric_date as date_day,
        metric_value as followers
    from {{ ref('stg_facebook_pages__page_insights') }}
    where metric_name = 'page_follows'
    union all
    {{ union_platforms(followers, ['account_id', 'as_of_date as date_day', 'followers']) }}
)

select
    coalesce(pivoted.platform, follower_counts.platform) as platform,
    coalesce(pivoted.account_id, follower_counts.account_id) as account_id,
    coalesce(pivoted.date_day, follower_counts.date_day) as date_day,
    follower_counts.followers,
    pivoted.reach,
    pivoted.followers_gained,
    pivoted.reactions,
    pivoted.comments,
    pivoted.shares,
    pivoted.clicks,
    pivoted.impressions,
    pivoted.other_engagements
from pivoted
full outer join follower_counts
    on
        pivoted.platform = follower_counts.platform
        and pivoted.account_id = follower_counts.account_id
        and pivoted.date_day = follower_counts.date_day
