{#- The landing zone's partition date (`.../date=YYYY-MM-DD/<part>.parquet`) from a file name. -#}
{% macro landed_date(filename_column) -%}
    cast({{ regexp_capture(filename_column, 'date=(\d{4}-\d{2}-\d{2})') }} as date)
{%- endmacro %}

{#- A UTC timestamp as a calendar day in the organisation's timezone. -#}
{% macro local_date(timestamp_column) -%}
    cast({{ timestamp_column }} at time zone '{{ var("org_timezone") }}' as date)
{%- endmacro %}

{#- The rows of the latest landing: sources that re-read a lookback every night land a day in
    several partitions, and the latest partition holding a day is the whole truth for that day
    (`day_key`: the columns naming a day of one account), so a row the platform no longer reports
    does not linger. Without a day_key, the latest snapshot of a whole inbox. -#}
{% macro latest_landing(relation, day_key=[]) -%}
    {%- set matches = [] -%}
    {%- for column in day_key + ['landed_date'] -%}
        {%- do matches.append(relation ~ '.' ~ column ~ ' = latest.' ~ column) -%}
    {%- endfor -%}
    {%- set group_by = ' group by ' ~ day_key | join(', ') if day_key else '' -%}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        select {{ (day_key + ['max(landed_date) as landed_date']) | join(', ') }}
        from {{ relation }}{{ group_by }}
    ) as latest on {{ matches | join(' and ') }}
{%- endmacro %}
