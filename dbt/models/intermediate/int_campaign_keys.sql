-- The key each source uses for a campaign, resolved to the organisation's campaign: every
-- campaign's own code under every source (the UTM and media-plan convention), plus the aliases
-- of seeds/campaign_keys.csv (ad-platform campaign ids, UTM values that differ from the code),
-- which win over the code for their source.
{% set sources = ['utm', 'meta_ads', 'media_plan'] %}
with

codes as (
    {% for source in sources %}
        select
            '{{ source }}' as source,
            campaign_id as external_key,
            campaign_id,
            false as is_alias
        from {{ ref('campaigns') }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

aliases as (
    select
        source,
        cast(external_key as {{ dbt.type_string() }}) as external_key,
        campaign_id,
        true as is_alias
    from {{ ref('campaign_keys') }}
),

keys as (
    select * from codes
    union all
    select * from aliases
),

resolved as (
    {{ deduplicate('keys', 'source, external_key', 'is_alias desc') }}
)

select
    source,
    external_key,
    campaign_id,
    is_alias
from resolved
