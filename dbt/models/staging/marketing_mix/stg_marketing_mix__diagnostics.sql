-- Every fit landed (a rerun of a day replaces that day's); the marts read the latest.
{{ stg_every_landing('marketing_mix', 'diagnostics', [
    'fit_id',
    'run_id',
    'fitted_for',
    'model_version',
    'kpi',
    'first_week',
    'last_week',
    'weeks',
    'trusted_weeks',
    'r2',
    'holdout_mape',
    'holdout_weeks',
    'interval_level',
    'bootstrap_draws',
    'channels',
    'value_per_conversion'
]) }}
