{#- One row per day from start_date to end_date (inclusive), as column `date_day`. -#}
{% macro days_between(start_date, end_date) -%}
    select cast(generated.day as date) as date_day
    from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day) as generated (day)
{%- endmacro %}
