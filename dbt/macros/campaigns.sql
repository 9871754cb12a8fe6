{#- The organisation campaign for a source's campaign key (int_campaign_keys), or '(unmapped)' when
    the key is not known (a warning test lists them). Use with join_campaign_keys in the FROM. -#}
{% macro join_campaign_keys(source_name, key_column, alias='campaign_keys') -%}
    left join {{ ref('int_campaign_keys') }} as {{ alias }}
        on
            {{ alias }}.source = '{{ source_name }}'
            and {{ alias }}.external_key = {{ key_column }}
{%- endmacro %}

{% macro mapped_campaign(key_column, alias='campaign_keys') -%}
    case
        when {{ key_column }} is null then '(none)'
        else coalesce({{ alias }}.campaign_id, '(unmapped)')
    end
{%- endmacro %}
