{{ stg_post_snapshots('youtube', 'video_snapshots', 'channel_id', 'video_id') }}
