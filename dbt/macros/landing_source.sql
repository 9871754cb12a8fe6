{#- A landed entity, or an empty relation of the same columns when nothing of it has landed yet
    (a platform's first run failed, or it was just enabled): the warehouse still builds and the
    source shows as missing in source_freshness. The pipeline passes `landed_entities`
    ({source: [entity, ...]}); without it (a build by hand) every source is read.
    The source() call stays in both branches so that lineage and docs always see it. -#}
{% macro landing_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set landed = var('landed_entities', none) if execute else none -%}
    {#- At parse time (execute is false) the graph is not known yet and no columns are needed. -#}
    {%- if landed is none or table_name in landed.get(source_name, []) -%}
        select * from {{ relation }}
    {%- else -%}
        {%- set node = graph.sources.values()
            | selectattr('source_name', 'equalto', source_name)
            | selectattr('name', 'equalto', table_name)
            | first -%}
        -- nothing landed yet for {{ source_name }}.{{ table_name }}
        select
        {%- for column in node.columns.values() %}
            cast(null as {{ column.data_type }}) as {{ column.name }},
        {%- endfor %}
            cast(null as timestamptz) as _extracted_at,
            cast(null as varchar) as _run_id,
            cast(null as varchar) as filename
        where false
    {%- endif -%}
{%- endmacro %}
