{#- The landing zone's partition date (`.../date=YYYY-MM-DD/<part>.parquet`) from a file name. -#}
{% macro landed_date(filename_column) -%}
    cast(regexp_extract({{ filename_column }}, 'date=(\d{4}-\d{2}-\d{2})', 1) as date)
{%- endmacro %}

{#- A UTC timestamp as a calendar day in the organisation's timezone. -#}
{% macro local_date(timestamp_column) -%}
    cast(timezone('{{ var("org_timezone") }}', {{ timestamp_column }}) as date)
{%- endmacro %}

{#- Sources that re-read a lookback every night land a day in several partitions: the latest
    partition holding a day is the whole truth for that day (`day_key`: the columns naming a
    day of one account), so a row the platform no longer reports does not linger. -#}
{% macro latest_landing_of_day(day_key) -%}
    qualify landed_date = max(landed_date) over (partition by {{ day_key }})
{%- endmacro %}
