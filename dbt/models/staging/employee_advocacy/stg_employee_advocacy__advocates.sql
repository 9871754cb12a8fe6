-- The inbox is the current advocacy export: the latest landed snapshot replaces earlier ones.
{{ stg_latest_landing('employee_advocacy', 'advocates', [
    'advocate_key',
    'team',
    'enrolled_on',
    'opted_out_on',
    'network_connections',
    'source_file',
    'source_row'
]) }}
