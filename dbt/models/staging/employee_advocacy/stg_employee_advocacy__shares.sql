-- The inbox is the current advocacy export: the latest landed snapshot replaces earlier ones.
{{ stg_latest_landing('employee_advocacy', 'shares', [
    'share_id',
    'advocate_key',
    'content_id',
    'linked_post_id',
    'linked_post_url',
    'network',
    'shared_at',
    'share_day',
    'audience_size',
    'clicks',
    'reactions',
    'comments',
    'reshares',
    'utm_content',
    'source_file',
    'source_row'
]) }}
