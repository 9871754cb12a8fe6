{#- Ratios must be NULL on a zero denominator, never infinity or NaN (docs/metrics.md §2). x - x is 0
    for every finite number and NaN for an infinity or NaN, in every engine (PostgreSQL has no
    isfinite() for numbers). -#}
{% test finite_or_null(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null and not ({{ column_name }} - {{ column_name }} = 0)
{% endtest %}
