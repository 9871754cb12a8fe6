-- Every fit landed (a rerun of a day replaces that day's); the marts read the latest.
{{ stg_every_landing('marketing_mix', 'channel_periods', [
    'fit_id',
    'period',
    'period_start',
    'period_end',
    'weeks',
    'channel',
    'driver',
    'incremental_conversions',
    'incremental_conversions_low',
    'incremental_conversions_high',
    'marginal_roi',
    'baseline_share'
]) }}
