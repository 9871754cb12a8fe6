-- The marketing-mix model's fit quality, one row per published fit (docs/marketing-mix.md): the
-- history it saw, R² in sample, the error on the held-out last weeks, its interval. The latest
-- fit is the one every other marketing-mix mart shows.
with

fits as (
    select * from {{ ref('stg_marketing_mix__diagnostics') }}
),

ranked as (
    select
        fits.*,
        row_number() over (order by fits.fitted_for desc, fits.landed_date desc, fits.fit_id desc) as recency
    from fits
)

select
    fit_id,
    run_id,
    fitted_for,
    model_version,
    kpi,
    first_week,
    last_week,
    weeks,
    trusted_weeks,
    weeks >= trusted_weeks as trusted,
    r2,
    holdout_mape,
    holdout_weeks,
    interval_level,
    bootstrap_draws,
    channels,
    value_per_conversion,
    recency = 1 as is_latest
from ranked
