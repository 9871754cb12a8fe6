{#- The metric contract (shared/reference/metrics.md §2): every ratio is written once, here.
    A zero or missing denominator gives NULL, never an error or infinity. -#}

{% macro safe_divide(numerator, denominator) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as double) / cast({{ denominator }} as double)
    end
{%- endmacro %}

{% macro cost_per_engagement(investment, engagements) -%}
    {{ safe_divide(investment, engagements) }}
{%- endmacro %}

{% macro cost_per_mille(investment, impressions) -%}
    {{ safe_divide(investment ~ ' * 1000', impressions) }}
{%- endmacro %}

{% macro engagement_rate(engagements, impressions) -%}
    {{ safe_divide(engagements, impressions) }}
{%- endmacro %}
