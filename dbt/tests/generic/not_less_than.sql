{#- A column never below another of the same row (a total never below one of its parts). -#}
{% test not_less_than(model, column_name, other) %}
select {{ column_name }}, {{ other }}
from {{ model }}
where {{ column_name }} < {{ other }}
{% endtest %}
