{#- Allocation shares of each group add up to exactly 1, so allocating never creates or loses cost. -#}
{% test shares_add_up_to_one(model, group_by, share_column) %}
    select
        {{ group_by }},
        sum({{ share_column }}) as total_share
    from {{ model }}
    group by {{ group_by }}
    having sum({{ share_column }}) != 1
{% endtest %}
