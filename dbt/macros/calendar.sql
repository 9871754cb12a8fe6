{#- One row per day from start_date to end_date (inclusive), as column `date_day`. -#}
{% macro days_between(start_date, end_date) -%}
    select cast(generated.day as date) as date_day
    from {{ date_series(start_date, end_date, 'generated', 'day') }}
{%- endmacro %}
