{#- Ratios must be NULL on a zero denominator, never infinity or NaN (metrics.md §2). -#}
{% test finite_or_null(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null and not isfinite({{ column_name }})
{% endtest %}
