{{ stg_every_landing('pipeline', 'extractions', [
    'source as source_name',
    'account_id',
    'partition_date',
    'status',
    'rows_landed',
    'error',
    'finished_at'
]) }}
