"""Fit the marketing-mix model on the published warehouse with the configured settings (config
`marketing_mix`), and say what it found: `python -m mix.run`."""

from __future__ import annotations

import argparse
import logging

from core.paths import DataPaths, data_paths
from core.settings import MixSettings
from mix import too_short_to_trust
from mix.inputs import load
from mix.model import MixFit, WeeklyInputs, fit
from sources.config import PipelineConfig, load_config
from warehouse.targets import warehouses


def fit_published(paths: DataPaths | None = None, config: PipelineConfig | None = None) -> MixFit:
    """The model fitted on the published warehouse's weekly inputs (int_mix__weekly)."""
    settings = (config or load_config()).marketing_mix
    return fit_configured(published_inputs(settings, paths), settings)


def published_inputs(settings: MixSettings, paths: DataPaths | None = None) -> WeeklyInputs:
    """The published warehouse's weekly inputs for the configured drivers and KPI."""
    return load(warehouses(paths or data_paths()).published, settings.drivers, settings.kpi, settings.tracked_only)


def fit_configured(inputs: WeeklyInputs, settings: MixSettings) -> MixFit:
    """The model fitted on `inputs` with the configured settings (config `marketing_mix`)."""
    return fit(
        inputs,
        harmonics=settings.seasonality_harmonics,
        controls=settings.controls,
        holdout_weeks=settings.holdout_weeks,
        interval=settings.interval,
        draws=settings.bootstrap_draws,
        seed=settings.seed,
        min_weeks=settings.min_weeks,
    )


def summary(model: MixFit, config: PipelineConfig | None = None) -> str:
    """The last year's incremental KPI per channel with its interval, the fit's quality, and the
    budget scenario, as plain text."""
    settings = (config or load_config()).marketing_mix
    weeks = model.inputs.weeks
    last_year = weeks[max(len(weeks) - 52, 0)]
    lines = [
        f"Marketing mix ({model.version}): {len(weeks)} weeks, {weeks[0]} to {weeks[-1]}; "
        f"R² {model.r2:.3f}, held-out error (last {model.holdout_weeks} weeks) {model.holdout_mape:.1%}",
    ]
    if len(weeks) < settings.trusted_weeks:
        lines.append(too_short_to_trust(len(weeks), settings.trusted_weeks))
    lines.append(
        f"Incremental KPI since {last_year} ({model.interval:.0%} interval), baseline share "
        f"{model.baseline_share(last_year):.0%}:"
    )
    for channel, (estimate, low, high) in model.incremental(last_year).items():
        lines.append(f"  {channel:<12} {estimate:>9.0f}  ({low:.0f} to {high:.0f})")
    lines.append(f"Budget scenario (each movable channel within ±{settings.bounds.max_change:.0%}):")
    for channel, current, recommended, change in model.budget_scenario(
        settings.bounds.max_change, settings.bounds.fixed
    ):
        if current > 0:
            lines.append(f"  {channel:<12} ${current:>9,.0f} a week -> ${recommended:>9,.0f}  ({change:+.1f} a week)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(summary(fit_published()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
