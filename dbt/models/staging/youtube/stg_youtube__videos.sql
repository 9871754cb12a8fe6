{% set title_and_description = "coalesce(title, '') || ' ' || coalesce(description, '')" %}
{{ stg_posts('youtube', 'videos', 'channel_id', 'video_id', title_and_description) }}
