{{ stg_latest_landing(
    'ga4', 'sessions', ga4_session_columns() + ['sessions', 'engaged_sessions'], ['property_id', 'date_day']
) }}
