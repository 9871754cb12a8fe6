{#- One row per grain x measure (long), from a relation or CTE with one column per measure: the
    marts add sources by listing their measures instead of repeating every column as NULL. Every
    measure is a whole count, a GRP tenth or an amount in cents, so decimal(18, 2) holds it exactly. -#}
{% macro measures_from(relation, measures, channel='channel', account_id='account_id', campaign_id='campaign_id') -%}
    {%- for measure in measures %}
        {{ long_measures(
            relation, "'" ~ measure ~ "'", measure, channel, account_id, campaign_id, where=measure ~ ' is not null'
        ) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The same rows from a relation that is long already (one row per grain x measure): `measure`
    names the measure, `amount` is its value. -#}
{% macro long_measures(
    relation, measure, amount, channel='channel', account_id='account_id', campaign_id='campaign_id', where=none
) -%}
    select
        date_day,
        {{ channel }} as channel,
        {{ account_id }} as account_id,
        {{ campaign_id }} as campaign_id,
        {{ measure }} as measure,
        cast({{ amount }} as decimal(18, 2)) as amount
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
{%- endmacro %}

{#- The measures that are amounts of money: fct_channel_daily holds them as decimal(14, 2), and
    every sum of them stays decimal(14, 2), exact to the cent. -#}
{% macro money_measures() -%}
    {{ return(investment_measures() + ['conversion_value', 'platform_conversion_value']) }}
{%- endmacro %}

{#- The whole investment ("I") by component, and its total (docs/metrics.md §3). -#}
{% macro investment_measures() -%}
    {{ return(['media_spend', 'staff_cost', 'tool_cost', 'production_cost', 'total_investment']) }}
{%- endmacro %}

{#- The columns of `relation` named `columns`, in that order, for a select list: a mart shows the
    investment by component as `columns_of(relation, investment_measures())`. -#}
{% macro columns_of(relation, columns) -%}
    {%- set qualified = [] -%}
    {%- for column in columns -%}
        {%- do qualified.append(relation ~ '.' ~ column) -%}
    {%- endfor -%}
    {{ qualified | join(',\n    ') }}
{%- endmacro %}

{#- The sum of each of `measures` as a column of the same name (money stays money_measures' type). -#}
{% macro summed(measures) -%}
    {%- set sums = [] -%}
    {%- for measure in measures -%}
        {%- set total = 'sum(' ~ measure ~ ')' -%}
        {%- if measure in money_measures() -%}
            {%- set total = 'cast(' ~ total ~ ' as decimal(14, 2))' -%}
        {%- endif -%}
        {%- do sums.append(total ~ ' as ' ~ measure) -%}
    {%- endfor -%}
    {{ sums | join(',\n        ') }}
{%- endmacro %}

{#- fct_channel_daily by month (`month_start`) and `dimensions`: the sum of each of `measures`. -#}
{% macro monthly_totals(dimensions, measures) -%}
    select
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        {{ dimensions | join(',\n        ') }},
        {{ summed(measures) }}
    from {{ ref('fct_channel_daily') }}
    group by {{ range(1, dimensions | length + 2) | join(', ') }}
{%- endmacro %}
