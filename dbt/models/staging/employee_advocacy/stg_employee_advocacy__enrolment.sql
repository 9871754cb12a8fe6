-- Every landed users report, one row per snapshot day x advocate: the program's own enrolment
-- history. The platforms keep none (participation on today's headcount misstates the past), so a
-- period's enrolment is read from the snapshots taken on or after its start.
{{ stg_every_landing('employee_advocacy', 'advocates', [
    'advocate_key',
    'team',
    'enrolled_on',
    'opted_out_on',
    'source_file',
    'source_row'
]) }}
