{#- The organic platforms' staging models of one kind as one relation: `models` lists (platform,
    model) pairs, `columns` the select expressions every one of them answers; the platform is
    named in column `platform`. -#}
{% macro union_platforms(models, columns) -%}
    {%- for platform, model in models -%}
        {% if not loop.first %}
        union all
        {% endif -%}
        select
            '{{ platform }}' as platform,
            {{ columns | join(',\n            ') }}
        from {{ ref(model) }}
    {%- endfor %}
{%- endmacro %}

{#- Platform metrics (`metric_name`, `metric_value` of `relation`) in the warehouse's metric names:
    seeds/social_metric_map.csv at `level` (account, post) is the one place where a platform's
    metric becomes reactions, comments, shares, ... Summed per `keys` and warehouse metric, as a
    platform may count one warehouse metric in several (X: reposts and quotes are shares); NULL
    (not available) stays NULL unless some part is known. -#}
{% macro in_warehouse_metrics(relation, level, keys) -%}
    {%- set qualified_keys = relation ~ '.' ~ keys | join(', ' ~ relation ~ '.') -%}
    select
        {{ qualified_keys }},
        metric_map.metric,
        sum({{ relation }}.metric_value) as metric_value
    from {{ relation }}
    inner join {{ ref('social_metric_map') }} as metric_map
        on
            {{ relation }}.platform = metric_map.platform
            and {{ relation }}.metric_name = metric_map.source_metric
            and metric_map.level = '{{ level }}'
    group by {{ qualified_keys }}, metric_map.metric
{%- endmacro %}
