-- The inbox is the current call log: the latest landed snapshot replaces earlier ones.
{{ stg_latest_landing('call_tracking', 'calls', [
    'tracking_number',
    'date as date_day',
    'calls',
    'qualified_calls',
    'source_file',
    'source_row'
]) }}
