-- Which content employees carry furthest, one row per month x content item offered to advocates:
-- how many advocates shared it, the reach and clicks their shares earned, against the same
-- content's own post on the organisation's page (docs/metrics.md §8). An item shared by fewer than
-- `advocacy_min_team_advocates` advocates in a month would describe a handful of people (their
-- audiences, their clicks): such items are summed into one row per month. When that row would
-- still have fewer sharers, the standing item with the fewest sharers joins it; only when every
-- item together is too small is the month left out.
{% set least = var('advocacy_min_team_advocates') | int %}
{% set small = "'(shared by fewer than " ~ least ~ " advocates)'" %}
with

shares as (
    select
        content_id,
        advocate_key,
        linked_post_id,
        linked_post_url,
        cast({{ dbt.date_trunc('month', 'share_day') }} as date) as month_start,
        audience_size,
        clicks,
        reactions,
        comments,
        reshares
    from {{ ref('stg_employee_advocacy__shares') }}
),

item_months as (
    select
        month_start,
        content_id,
        count(distinct advocate_key) as advocates
    from shares
    group by month_start, content_id
),

-- The sharers of the month's items too small to stand, counted once each however many they shared.
small_items as (
    select
        shares.month_start,
        count(distinct shares.advocate_key) as advocates
    from shares
    inner join item_months
        on
            shares.month_start = item_months.month_start
            and shares.content_id = item_months.content_id
    where item_months.advocates < {{ least }}
    group by shares.month_start
),

borrowed as (
    select
        month_start,
        content_id
    from (
        select
            item_months.month_start,
            item_months.content_id,
            row_number() over (
                partition by item_months.month_start order by item_months.advocates, item_months.content_id
            ) as smallest
        from item_months
        inner join small_items on item_months.month_start = small_items.month_start
        where item_months.advocates >= {{ least }} and small_items.advocates < {{ least }}
    ) as candidates
    where smallest = 1
),

assigned as (
    select
        shares.*,
        case
            when item_months.advocates >= {{ least }} and borrowed.content_id is null then shares.content_id
            else {{ small }}
        end as reported_content
    from shares
    inner join item_months
        on
            shares.month_start = item_months.month_start
            and shares.content_id = item_months.content_id
    left join borrowed
        on
            shares.month_start = borrowed.month_start
            and shares.content_id = borrowed.content_id
),

grouped as (
    select
        month_start,
        reported_content as content_id,
        count(distinct content_id) as items,
        count(distinct advocate_key) as advocates,
        count(*) as shares,
        sum(audience_size) as potential_reach,
        sum(clicks) as clicks,
        sum(reactions) as reactions,
        sum(comments) as comments,
        sum(reshares) as reshares,
        max(linked_post_id) as linked_post_id,
        max(linked_post_url) as linked_post_url
    from assigned
    group by month_start, reported_content
    having count(distinct advocate_key) >= {{ least }}
),

-- The organisation's own post an item was curated from: named by id (a LinkedIn URN, a Facebook
-- id) or, for a Facebook page named by its username, by its permalink.
facebook_permalinks as (
    select
        post_id,
        permalink_url
    from {{ ref('stg_facebook_pages__posts') }}
    where permalink_url is not null
),

own_posts as (
    select
        platform,
        post_id,
        campaign_id,
        impressions,
        engagements
    from {{ ref('mart_social_posts') }}
)

select
    grouped.month_start,
    cast({{ dbt.last_day('grouped.month_start', 'month') }} as date) as month_end,
    grouped.content_id,
    cast(grouped.items as bigint) as items,
    cast(grouped.advocates as bigint) as advocates,
    cast(grouped.shares as bigint) as shares,
    cast(grouped.potential_reach as bigint) as potential_reach,
    cast(grouped.clicks as bigint) as clicks,
    cast(grouped.reactions + grouped.comments + grouped.reshares as bigint) as engagements,
    cast(grouped.clicks + grouped.comments + grouped.reshares as bigint) as active_engagements,
    case when grouped.items = 1 then own_posts.platform end as own_post_platform,
    case when grouped.items = 1 then own_posts.post_id end as own_post_id,
    case when grouped.items = 1 then own_posts.campaign_id end as campaign_id,
    cast(case when grouped.items = 1 then own_posts.impressions end as bigint) as own_post_impressions,
    cast(case when grouped.items = 1 then own_posts.engagements end as bigint) as own_post_engagements,
    case
        when grouped.items = 1 then {{ safe_divide('grouped.potential_reach', 'own_posts.impressions') }}
    end as reach_per_own_impression
from grouped
left join facebook_permalinks on grouped.linked_post_url = facebook_permalinks.permalink_url
left join own_posts on coalesce(grouped.linked_post_id, facebook_permalinks.post_id) = own_posts.post_id
