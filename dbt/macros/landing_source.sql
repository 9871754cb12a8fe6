{#- A landed entity, or an empty relation of the same columns when nothing of it has landed yet
    (a platform's first run failed, or it was just enabled): the warehouse still builds and the
    source shows as missing in source_freshness. The pipeline passes `landed_entities`
    ({source: [entity, ...]}); without it (a build by hand) every source is read.
    landing_relation() calls source() in both branches, so that lineage and docs always see it. -#}
{% macro landing_source(source_name, table_name) -%}
    {%- set relation = landing_relation(source_name, table_name) -%}
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
            cast(null as {{ type_double() if column.data_type == 'double' else column.data_type }})
                as {{ column.name }},
        {%- endfor %}
            cast(null as timestamptz) as _extracted_at,
            cast(null as {{ dbt.type_string() }}) as _run_id,
            cast(null as {{ dbt.type_string() }}) as filename
        where false
    {%- endif -%}
{%- endmacro %}

{#- Where a landed entity is read. DuckDB reads the Parquet files in place: the source's
    external_location (read_parquet over `<landing>/<source>/<entity>/date=*/*.parquet`). A server
    warehouse reads the tables the pipeline's load step (warehouse/postgres.py) fills: one
    table `<source>__<entity>` per entity in the schema `landing_schema` (default: the target schema
    + `_landing`), with the landed columns plus `filename`, as read_parquet gives them. -#}
{% macro landing_relation(source_name, table_name) -%}
    {{ return(adapter.dispatch('landing_relation')(source_name, table_name)) }}
{%- endmacro %}

{% macro duckdb__landing_relation(source_name, table_name) -%}
    {{ return(source(source_name, table_name)) }}
{%- endmacro %}

{% macro default__landing_relation(source_name, table_name) -%}
    {#- Called for lineage: the model depends on the source as on DuckDB. -#}
    {%- do source(source_name, table_name) -%}
    {{ return(api.Relation.create(
        database=target.database,
        schema=var('landing_schema', target.schema ~ '_landing'),
        identifier=source_name ~ '__' ~ table_name,
    )) }}
{%- endmacro %}
