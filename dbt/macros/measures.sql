{#- One row per grain x measure (long), from a relation or CTE with one column per measure: the
    marts add sources by listing their measures instead of repeating every column as NULL. Every
    measure is a whole count, a GRP tenth or an amount in cents, so decimal(18, 2) holds it exactly. -#}
{% macro measures_from(relation, measures, channel='channel', account_id='account_id', campaign_id='campaign_id') -%}
    {%- for measure in measures %}
        select
            date_day,
            {{ channel }} as channel,
            {{ account_id }} as account_id,
            {{ campaign_id }} as campaign_id,
            '{{ measure }}' as measure,
            cast({{ measure }} as decimal(18, 2)) as amount
        from {{ relation }}
        where {{ measure }} is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
