-- Every fit landed (a rerun of a day replaces that day's); the marts read the latest.
{{ stg_every_landing('marketing_mix', 'response_curves', [
    'fit_id',
    'channel',
    'driver',
    'weekly_spend',
    'expected_weekly_conversions',
    'expected_weekly_conversions_low',
    'expected_weekly_conversions_high',
    'is_current_spend'
]) }}
