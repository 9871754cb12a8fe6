-- The latest build's labels: each build classifies every landed post again.
{{ stg_latest_landing('content', 'post_classes', [
    'platform',
    'post_id',
    'account_id',
    'content_intent',
    'intent_probability',
    'label_source',
    'rule',
    'model_version',
    'needs_review',
    'format',
    'text_service_line'
]) }}
