{#- Rows whose campaign key resolved to no organisation campaign ('(unmapped)'): add the key to
    seeds/campaign_keys.csv (or the campaign to seeds/campaigns.csv). Used with severity warn:
    the rows still count for their channel, under objective '(none)'. -#}
{% test campaign_is_mapped(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} = '(unmapped)'
{% endtest %}
