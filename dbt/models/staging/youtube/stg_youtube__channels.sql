{{ stg_account_snapshots('youtube', 'channels', 'channel_id', 'subscriber_count') }}
