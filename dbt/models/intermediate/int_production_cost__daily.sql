-- Production and creative costs (seeds/production_costs.csv) on the day they were incurred, for
-- their campaign and channel; not tied to an account. Days outside the reporting calendar are
-- left out like every other cost.
select
    production.cost_date as date_day,
    production.channel,
    '(all)' as account_id,
    production.campaign_id,
    cast(sum(production.amount) as decimal(14, 2)) as production_cost
from {{ ref('production_costs') }} as production
inner join {{ ref('int_reporting_calendar') }} as calendar on production.cost_date = calendar.date_day
group by production.cost_date, production.channel, production.campaign_id
