-- The days the warehouse reports on: from the first day any source has activity to the run date.
-- Costs that are not tied to an activity (staff time, tools) are spread over these days only, so months
-- before the data starts do not show cost without results.
with

activity_starts as (
    select min(date_day) as first_day from {{ ref('int_social_account_daily') }}
    union all
    select min(created_date) from {{ ref('int_social_posts') }}
    union all
    select min(start_date) from {{ ref('stg_traditional_media__placements') }}
    union all
    select min(date_day) from {{ ref('stg_meta_ads__ads_insights') }}
),

bounds as (
    select
        min(first_day) as first_day,
        cast('{{ var("run_date") }}' as date) as last_day
    from activity_starts
),

days as (
    {{ days_between('(select first_day from bounds)', '(select last_day from bounds)') }}
)

select date_day from days
