{#- Costs and plans are spread over days and shared over channels and activity to the cent: every
    rule rounds each share (down, or to the nearest cent for a tool's channel shares) and gives the
    remainder to the last part in a fixed order, not by largest remainder, so the parts add up to
    the whole exactly and the rule is easy to recompute outside SQL (docs/metrics.md §3.2). -#}

{#- An amount rounded to the cent as a decimal (for products of decimals, which are exact). -#}
{% macro cents(expression) -%}
    cast(round({{ expression }}, 2) as decimal(14, 2))
{%- endmacro %}

{#- An even share of an amount, rounded down to the cent: numerator / denominator, where the
    numerator is in currency units (cents are whole, so numerator x 100 is a whole number held
    exactly by a double). -#}
{% macro share_in_cents(numerator, denominator) -%}
    cast(floor(cast(({{ numerator }}) * 100 as {{ type_double() }}) / ({{ denominator }})) / 100 as decimal(14, 2))
{%- endmacro %}

{#- One of `parts` days of `amount`: the even share (`share`, rounded down to the amount's unit),
    or on the last day (`is_last`) what the other days leave. -#}
{% macro spread_over_days(amount, parts, is_last, share) -%}
    case
        when {{ is_last }} then {{ amount }} - {{ share }} * ({{ parts }} - 1)
        else {{ share }}
    end
{%- endmacro %}

{#- An amount of money spread over `parts` days (see spread_over_days). -#}
{% macro spread_in_cents(amount, parts, is_last) -%}
    {{ spread_over_days(amount, parts, is_last, share_in_cents(amount, parts)) }}
{%- endmacro %}

{#- A share of `total` (`rounded_share`, to the cent), where the last share in `order_by` within
    `partition_by` (`is_last`) takes what the others leave. -#}
{% macro share_with_remainder(total, rounded_share, is_last, partition_by, order_by) -%}
    case
        when {{ is_last }}
            then {{ total }} - coalesce(sum({{ rounded_share }}) over (
                partition by {{ partition_by }} order by {{ order_by }}
                rows between unbounded preceding and 1 preceding
            ), 0)
        else {{ rounded_share }}
    end
{%- endmacro %}

{#- A row of a seed with a validity (valid_from, valid_to; no valid_to: still valid) applies on `day`. -#}
{% macro valid_on(seed, day) -%}
    {{ seed }}.valid_from <= {{ day }} and ({{ seed }}.valid_to is null or {{ seed }}.valid_to >= {{ day }})
{%- endmacro %}
