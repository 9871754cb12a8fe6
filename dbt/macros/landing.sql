{#- The landing zone's partition date (`.../date=YYYY-MM-DD/<part>.parquet`) from a file name. -#}
{% macro landed_date(filename_column) -%}
    cast(regexp_extract({{ filename_column }}, 'date=(\d{4}-\d{2}-\d{2})', 1) as date)
{%- endmacro %}

{#- A UTC timestamp as a calendar day in the organisation's timezone. -#}
{% macro local_date(timestamp_column) -%}
    cast(timezone('{{ var("org_timezone") }}', {{ timestamp_column }}) as date)
{%- endmacro %}
