-- The inbox is the current history: the latest landed snapshot replaces earlier ones.
{{ stg_latest_landing('marketing_history', 'weekly', [
    'week_start',
    'channel',
    'media_spend',
    'total_investment',
    'posts',
    'impressions',
    'appointment_requests',
    'class_registrations',
    'conversion_value',
    'source_file',
    'source_row'
]) }}
