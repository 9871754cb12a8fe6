-- First-party web analytics by day, channel and campaign (long: one row per measure). Sessions
-- reach a channel through their UTM source / medium (seeds/utm_channels.csv; '*' matches any
-- source) and a campaign through utm_campaign (int_campaign_keys). Traffic no channel claims
-- (search, direct, referrals) keeps channel NULL: it is the baseline, not a channel's return.
-- Key events are the configured conversions (appointment requests, class registrations). The
-- manual ad content (utm_content) is kept: advocacy links name the sharer's team and the content
-- item there (int_employee_advocacy__team_daily).
with

sessions as (
    select
        date_day,
        session_source,
        session_medium,
        session_campaign_name,
        session_manual_ad_content,
        'sessions' as measure,
        sessions as amount
    from {{ ref('stg_ga4__sessions') }}
),

key_events as (
    select
        date_day,
        session_source,
        session_medium,
        session_campaign_name,
        session_manual_ad_content,
        event_name as measure,
        key_events as amount
    from {{ ref('stg_ga4__key_events') }}
),

unioned as (
    select * from sessions
    union all
    select * from key_events
),

candidate_channels as (
    select
        unioned.*,
        utm_channels.channel,
        -- GA4 writes these where a session carried no campaign.
        case
            when unioned.session_campaign_name in ('(not set)', '(organic)', '(direct)', '(referral)', '') then null
            else unioned.session_campaign_name
        end as campaign_key,
        -- A source-specific row of the map wins over a '*' row for the same medium.
        case when utm_channels.session_source = '*' then 1 else 0 end as channel_precedence
    from unioned
    left join {{ ref('utm_channels') }} as utm_channels
        on
            unioned.session_medium = utm_channels.session_medium
            and utm_channels.session_source in (unioned.session_source, '*')
),

channelled as (
    {{ deduplicate(
        'candidate_channels',
        'date_day, session_source, session_medium, session_campaign_name, session_manual_ad_content, measure',
        'channel_precedence'
    ) }}
)

select
    channelled.date_day,
    channelled.channel,
    channelled.session_source,
    channelled.session_medium,
    channelled.campaign_key,
    {{ mapped_campaign('channelled.campaign_key') }} as campaign_id,
    channelled.session_manual_ad_content as ad_content,
    channelled.measure,
    channelled.amount
from channelled
{{ join_campaign_keys('utm', 'channelled.campaign_key') }}
