-- The units staff time and tools are allocated over: posts published (organic social), ads
-- delivering (paid social), placements running (traditional) and, for employee advocacy, the web
-- sessions its links brought (the campaigns employees' shares worked for that day; its shares
-- carry no campaign) per day, account and campaign.
select
    created_date as date_day,
    platform as channel,
    account_id,
    campaign_id,
    count(*) as activity_units
from {{ ref('int_social_posts') }}
group by created_date, platform, account_id, campaign_id

union all

select
    date_day,
    channel,
    account_id,
    campaign_id,
    count(*) as activity_units
from {{ ref('int_paid_social__ad_daily') }}
where impressions > 0 or media_spend > 0
group by date_day, channel, account_id, campaign_id

union all

select
    date_day,
    channel,
    vendor as account_id,
    campaign_id,
    count(*) as activity_units
from {{ ref('int_traditional_media__placement_daily') }}
group by date_day, channel, vendor, campaign_id

union all

select
    date_day,
    channel,
    '(all)' as account_id,
    campaign_id,
    sum(amount) as activity_units
from {{ ref('int_web_analytics__daily') }}
where channel = 'employee_advocacy' and measure = 'sessions' and amount > 0
group by date_day, channel, campaign_id
