-- Every expectation of every quality-gate run, passed or not: the history BI and the reports show
-- next to the figures. Tonight's mart-gate results are appended to this table by the mart gate
-- just before publishing (they are validated after this build), and land for the next builds.
with

source as (
    {{ landing_source('pipeline', 'quality_results') }}
)

select
    {% for column in ['run_id', 'gate', 'partition_date', 'validated_at', 'suite', 'data_name', 'rows', 'verdict',
        'expectation', 'column_name', 'severity', 'success', 'unexpected_count', 'unexpected_percent', 'sample',
        'observed', 'docs_url', 'seconds'] %}
        {{ column }}{% if not loop.last %},{% endif %}
    {% endfor %}
from source
