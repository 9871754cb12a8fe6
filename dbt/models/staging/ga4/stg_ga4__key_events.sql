{{ stg_latest_landing(
    'ga4', 'key_events', ga4_session_columns() + ['event_name', 'key_events'], ['property_id', 'date_day']
) }}
