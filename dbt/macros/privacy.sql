{#- Whether a group of advocates may be published on its own (docs/metrics.md §8): at least `least`
    of them shared, or none did and at least `least` were enrolled. Anything smaller would describe
    a handful of people, or one. -#}
{% macro advocacy_group_is_large(sharers, enrolled, least) -%}
    ({{ sharers }} >= {{ least }} or ({{ sharers }} = 0 and {{ enrolled }} >= {{ least }}))
{%- endmacro %}
