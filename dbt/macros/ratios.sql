{#- The metric contract (docs/metrics.md §2): every ratio is written once, here.
    A zero or missing denominator gives NULL, never an error or infinity. -#}

{% macro safe_divide(numerator, denominator) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as {{ type_double() }}) / cast({{ denominator }} as {{ type_double() }})
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

{% macro cost_per_thousand_reached(investment, reach) -%}
    {{ safe_divide(investment ~ ' * 1000', reach) }}
{%- endmacro %}

{% macro cost_per_conversion(investment, conversions) -%}
    {{ safe_divide(investment, conversions) }}
{%- endmacro %}

{#- ROAS: attributed value per dollar of media spend only. -#}
{% macro roas(conversion_value, media_spend) -%}
    {{ safe_divide(conversion_value, media_spend) }}
{%- endmacro %}

{#- ROI over the whole investment. Zero investment gives NULL (the Mayo maxim's "infinity"): the
    marts flag it with zero_investment instead of dividing (roi_columns). -#}
{% macro roi(conversion_value, total_investment) -%}
    {{ safe_divide('(' ~ conversion_value ~ ' - ' ~ total_investment ~ ')', total_investment) }}
{%- endmacro %}

{#- A mart's `roi` column and, beside it, the `zero_investment` flag that says why it is NULL. -#}
{% macro roi_columns(conversion_value, total_investment) -%}
    {{ roi(conversion_value, total_investment) }} as roi,
    {{ total_investment }} = 0 as zero_investment
{%- endmacro %}
