-- Paid social per ad and day: delivery and spend from the insights rows, engagements and the
-- platform's own conversions from its actions through seeds/social_metric_map.csv (level 'ad').
-- Clicks are link clicks (the clicks that reach the site). Platform conversions stay here and in
-- their own columns: they are never added to first-party conversions (docs/metrics.md §4).
with

insights as (
    select * from {{ ref('stg_meta_ads__ads_insights') }}
),

actions as (
    select
        actions.ad_id,
        actions.date_day,
        metric_map.metric,
        sum(actions.actions) as actions,
        sum(actions.action_value) as action_value
    from {{ ref('stg_meta_ads__ads_actions') }} as actions
    inner join {{ ref('social_metric_map') }} as metric_map
        on
            metric_map.platform = 'meta_ads'
            and metric_map.level = 'ad'
            and actions.action_type = metric_map.source_metric
    group by actions.ad_id, actions.date_day, metric_map.metric
),

pivoted as (
    select
        ad_id,
        date_day,
        {% for metric in ['reactions', 'comments', 'shares', 'platform_conversions'] %}
            {% set total = "coalesce(sum(case when metric = '" ~ metric ~ "' then actions end), 0)" %}
            cast({{ round_half_away(total) }} as bigint) as {{ metric }},
        {% endfor %}
        cast(coalesce(sum(case when metric = 'platform_conversions' then action_value end), 0) as decimal(14, 2))
            as platform_conversion_value
    from actions
    group by ad_id, date_day
)

select
    insights.date_day,
    'meta_ads' as channel,
    insights.ad_account_id as account_id,
    insights.ad_campaign_id,
    {{ mapped_campaign('insights.ad_campaign_id') }} as campaign_id,
    insights.ad_id,
    insights.spend as media_spend,
    coalesce(insights.impressions, 0) as impressions,
    insights.reach,
    coalesce(insights.inline_link_clicks, 0) as clicks,
    coalesce(pivoted.reactions, 0) as reactions,
    coalesce(pivoted.comments, 0) as comments,
    coalesce(pivoted.shares, 0) as shares,
    coalesce(pivoted.platform_conversions, 0) as platform_conversions,
    cast(coalesce(pivoted.platform_conversion_value, 0) as decimal(14, 2)) as platform_conversion_value
from insights
left join pivoted
    on insights.ad_id = pivoted.ad_id and insights.date_day = pivoted.date_day
{{ join_campaign_keys('meta_ads', 'insights.ad_campaign_id') }}
