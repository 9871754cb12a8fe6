{#- Weekly inputs are keyed by the week's Monday. -#}
{% test is_monday(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} is not null and {{ dbt.date_trunc('week', column_name) }} != {{ column_name }}
{% endtest %}
