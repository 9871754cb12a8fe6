-- Every fit landed (a rerun of a day replaces that day's); the marts read the latest.
{{ stg_every_landing('marketing_mix', 'budget_scenarios', [
    'fit_id',
    'channel',
    'movable',
    'current_weekly_spend',
    'recommended_weekly_spend',
    'expected_weekly_conversions_change',
    'max_change'
]) }}
