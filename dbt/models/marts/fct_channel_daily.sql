-- One row per day x channel x account x campaign: what each channel delivered and what it cost.
-- Engagements follow metrics.md §1 (social: reactions + comments + shares + saves, plus
-- platform-specific ones such as YouTube subscribers gained) and §5 (traditional: active
-- responses). Post metrics are the daily increases of int_social_post_daily; account-level
-- measures sit on the account's campaign '(none)' row. Reach is only carried where the platform
-- measured it for exactly this grain (an account's daily unique reach) and is never summed.
with

calendar as (
    select date_day from {{ ref('int_reporting_calendar') }}
),

social_posts as (
    select
        date_day,
        platform as channel,
        account_id,
        campaign_id,
        sum(impressions) as impressions,
        cast(null as bigint) as reach,
        sum(reactions) as reactions,
        sum(comments) as comments,
        sum(shares) as shares,
        sum(saves) as saves,
        cast(0 as bigint) as other_engagements,
        sum(clicks) as clicks,
        sum(video_views) as video_views,
        cast(null as bigint) as followers_gained,
        cast(0 as decimal(14, 2)) as media_spend,
        cast(0 as decimal(14, 4)) as staff_cost,
        cast(null as bigint) as responses
    from {{ ref('int_social_post_daily') }}
    group by all
),

social_accounts as (
    select
        date_day,
        platform as channel,
        account_id,
        '(none)' as campaign_id,
        impressions,
        reach,
        reactions,
        comments,
        shares,
        cast(null as bigint) as saves,
        other_engagements,
        clicks,
        cast(null as bigint) as video_views,
        followers_gained,
        cast(0 as decimal(14, 2)) as media_spend,
        cast(0 as decimal(14, 4)) as staff_cost,
        cast(null as bigint) as responses
    from {{ ref('int_social_account_daily') }}
),

traditional as (
    select
        date_day,
        channel,
        vendor as account_id,
        campaign_id,
        sum(impressions) as impressions,
        cast(null as bigint) as reach,
        cast(null as bigint) as reactions,
        cast(null as bigint) as comments,
        cast(null as bigint) as shares,
        cast(null as bigint) as saves,
        cast(null as bigint) as other_engagements,
        cast(null as bigint) as clicks,
        cast(null as bigint) as video_views,
        cast(null as bigint) as followers_gained,
        sum(media_spend) as media_spend,
        cast(0 as decimal(14, 4)) as staff_cost,
        sum(responses) as responses
    from {{ ref('int_traditional_media__placement_daily') }}
    group by all
),

staff as (
    select
        date_day,
        channel,
        account_id,
        campaign_id,
        cast(null as bigint) as impressions,
        cast(null as bigint) as reach,
        cast(null as bigint) as reactions,
        cast(null as bigint) as comments,
        cast(null as bigint) as shares,
        cast(null as bigint) as saves,
        cast(null as bigint) as other_engagements,
        cast(null as bigint) as clicks,
        cast(null as bigint) as video_views,
        cast(null as bigint) as followers_gained,
        cast(0 as decimal(14, 2)) as media_spend,
        staff_cost,
        cast(null as bigint) as responses
    from {{ ref('int_staff_cost__allocated') }}
),

unioned as (
    select * from social_posts
    union all
    select * from social_accounts
    union all
    select * from traditional
    union all
    select * from staff
),

combined as (
    select
        unioned.date_day,
        unioned.channel,
        unioned.account_id,
        unioned.campaign_id,
        coalesce(sum(unioned.impressions), 0) as impressions,
        -- At most one contributing row measures reach for a grain (see the header).
        max(unioned.reach) as reach,
        coalesce(sum(unioned.reactions), 0) as reactions,
        coalesce(sum(unioned.comments), 0) as comments,
        coalesce(sum(unioned.shares), 0) as shares,
        coalesce(sum(unioned.saves), 0) as saves,
        coalesce(sum(unioned.other_engagements), 0) as other_engagements,
        coalesce(sum(unioned.clicks), 0) as clicks,
        coalesce(sum(unioned.video_views), 0) as video_views,
        coalesce(sum(unioned.followers_gained), 0) as followers_gained,
        cast(sum(unioned.media_spend) as decimal(14, 2)) as media_spend,
        cast(sum(unioned.staff_cost) as decimal(14, 4)) as staff_cost,
        coalesce(sum(unioned.responses), 0) as responses
    from unioned
    inner join calendar on unioned.date_day = calendar.date_day
    group by unioned.date_day, unioned.channel, unioned.account_id, unioned.campaign_id
)

select
    combined.date_day,
    combined.channel,
    channels.channel_group,
    combined.account_id,
    combined.campaign_id,
    combined.impressions,
    combined.reach,
    case
        when channels.channel_group = 'traditional' then combined.responses
        else combined.reactions + combined.comments + combined.shares + combined.saves + combined.other_engagements
    end as engagements,
    combined.reactions,
    combined.comments,
    combined.shares,
    combined.saves,
    combined.other_engagements,
    combined.clicks,
    combined.video_views,
    combined.followers_gained,
    combined.media_spend,
    combined.staff_cost,
    cast(combined.media_spend + combined.staff_cost as decimal(14, 4)) as total_investment,
    combined.responses
from combined
inner join {{ ref('channels') }} as channels on combined.channel = channels.channel
