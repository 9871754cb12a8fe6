-- Every organic post with what it sets out to do, its format and its service line: the campaign's
-- service line where the post's link is tagged, else the one its words name, else 'general'.
with

posts as (
    select * from {{ ref('mart_social_posts') }}
),

classes as (
    select * from {{ ref('stg_content__post_classes') }}
)

select
    posts.platform,
    posts.post_id,
    posts.account_id,
    posts.created_date,
    posts.campaign_id,
    coalesce(classes.content_intent, 'unclassified') as content_intent,
    classes.intent_probability,
    coalesce(classes.label_source, 'none') as label_source,
    classes.model_version,
    coalesce(classes.needs_review, false) as needs_review,
    coalesce(classes.format, 'text') as format,
    coalesce(campaigns.service_line, classes.text_service_line, 'general') as service_line,
    posts.impressions,
    posts.reactions,
    posts.comments,
    posts.shares,
    posts.saves,
    posts.engagements,
    posts.clicks,
    posts.staff_cost
from posts
left join classes on posts.platform = classes.platform and posts.post_id = classes.post_id
left join {{ ref('campaigns') }} as campaigns on posts.campaign_id = campaigns.campaign_id
