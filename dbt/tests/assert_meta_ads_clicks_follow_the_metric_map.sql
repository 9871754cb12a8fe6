-- docs/metrics.md §1: Meta ads clicks are the ads insights column that seeds/social_metric_map.csv
-- names at level 'ad_insights' (link clicks, not Meta's every-click `clicks`). The seed is where
-- that choice is read by people; this test fails when the model reads another column than the
-- seed names, or when the seed names none or several.
with

chosen as (
    select source_metric
    from {{ ref('social_metric_map') }}
    where platform = 'meta_ads' and level = 'ad_insights' and metric = 'clicks'
),

insights as (
    select
        ad_id,
        date_day,
        clicks as all_clicks,
        inline_link_clicks
    from {{ ref('stg_meta_ads__ads_insights') }}
)

select
    'clicks differ from the mapped column' as problem,
    ads.ad_id,
    ads.date_day
from {{ ref('int_paid_social__ad_daily') }} as ads
inner join insights on ads.ad_id = insights.ad_id and ads.date_day = insights.date_day
cross join chosen
where
    ads.clicks != coalesce(case chosen.source_metric
        when 'inline_link_clicks' then insights.inline_link_clicks
        when 'clicks' then insights.all_clicks
    end, 0)
union all
select
    'the map must name exactly one clicks column for meta_ads' as problem,
    null as ad_id,
    null as date_day
from (select count(*) as mapped from chosen) as counted
where counted.mapped != 1
