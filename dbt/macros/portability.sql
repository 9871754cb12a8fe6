{#- SQL that DuckDB and PostgreSQL do not share, written once: adapter.dispatch picks duckdb__
    (DuckDB, MotherDuck) or default__ / postgres__; the others are one form both engines run. dbt's
    own cross-database macros (dbt.date_trunc, dbt.dateadd, dbt.datediff, dbt.last_day,
    dbt.bool_or) cover the rest. Another warehouse adds its <adapter>__ versions here; the models
    do not change. -#}

{#- A double-precision float: dbt.type_float() is DuckDB's 4-byte FLOAT, too coarse for a ratio. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return(dbt.type_float()) }}
{%- endmacro %}

{#- The first capture group of the first match of a regular expression, or NULL without a match. -#}
{% macro regexp_capture(expression, pattern) -%}
    {{ adapter.dispatch('regexp_capture')(expression, pattern) }}
{%- endmacro %}

{% macro duckdb__regexp_capture(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{% macro default__regexp_capture(expression, pattern) -%}
    substring({{ expression }} from '{{ pattern }}')
{%- endmacro %}

{#- One row per group of `relation`: the first by `order_by` (which must order the group's rows
    completely, so that every engine keeps the same row). -#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    {{ adapter.dispatch('deduplicate')(relation, partition_by, order_by) }}
{%- endmacro %}

{% macro default__deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{#- PostgreSQL has no QUALIFY; DISTINCT ON keeps the first row of each group in the given order. -#}
{% macro postgres__deduplicate(relation, partition_by, order_by) -%}
    select distinct on ({{ partition_by }}) *
    from {{ relation }}
    order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}

{#- Days from start_date to end_date (inclusive) as a FROM item `alias (column)` of timestamps
    (cast them to date); the bounds may be columns of an earlier FROM item (a lateral series). -#}
{% macro date_series(start_date, end_date, alias, column) -%}
    generate_series(
        cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day'
    ) as {{ alias }} ({{ column }})
{%- endmacro %}

{#- A value rounded to the nearest whole number, halves away from zero, in every engine
    (PostgreSQL's round() of a double rounds halves to even, DuckDB's away from zero). -#}
{% macro round_half_away(expression) -%}
    (sign({{ expression }}) * floor(abs({{ expression }}) + 0.5))
{%- endmacro %}

{#- A number in [0, 1) read from the md5 digest of a text: the same on every engine, so a
    sample drawn with it (a bootstrap's weights) is the same on every target. -#}
{% macro hash_fraction(expression) -%}
    {{ adapter.dispatch('hash_fraction')(expression) }}
{%- endmacro %}

{% macro duckdb__hash_fraction(expression) -%}
    (cast(cast('0x' || substr(md5({{ expression }}), 1, 8) as bigint) as {{ type_double() }}) / 4294967296)
{%- endmacro %}

{% macro default__hash_fraction(expression) -%}
    (cast(cast(cast('x' || substr(md5({{ expression }}), 1, 8) as bit(32)) as bigint) as {{ type_double() }}) / 4294967296)
{%- endmacro %}

{#- A number as text with `places` decimals, rounded half away from zero: the same text on every
    engine (a double's own text differs between engines). -#}
{% macro number_text(expression, places=1) -%}
    cast(cast({{ expression }} as decimal(18, {{ places }})) as {{ dbt.type_string() }})
{%- endmacro %}
