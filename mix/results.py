"""A fit's results as the tables the marketing_mix DAG lands (core.contract MIX_TABLES), and the
checks a fit must pass before anything of it is landed (its own gate).

The tables hold what only the model knows: incremental conversions per channel and period with
their interval, marginal ROI, the baseline's share, the response curves, the budget scenario and
the fit's quality. Investment and attributed conversions come from the same weekly inputs in the
warehouse, joined by the marts (dbt/models/marts/mart_incremental_roi.sql), so that a mart shows both sides
on one definition of the week and the channel."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa

from core.contract import MIX_BUDGET_SCENARIOS, MIX_CHANNEL_PERIODS, MIX_DIAGNOSTICS, MIX_RESPONSE_CURVES
from core.settings import MixSettings
from mix.model import MixFit

FITTED_RANGE = "fitted range"
LAST_YEAR = "last 52 weeks"
# Spend levels of a response curve: from nothing to twice the current weekly spend (or the most
# the channel ever spent in a week, if more), in this many steps, plus the current spend itself.
CURVE_STEPS = 20


class MixFitRejected(RuntimeError):
    """A fit failed its own checks: nothing of it is landed, the last published results stay."""


@dataclass(frozen=True)
class FitRun:
    """Which fit this is: its id, the orchestrator's run and the warehouse day it was fitted on."""

    fit_id: str
    run_id: str
    fitted_for: date


def check(model: MixFit, settings: MixSettings) -> list[str]:
    """What is wrong with a fit, in words a data engineer can act on; empty when it may publish."""
    problems = []
    checks = settings.checks
    if not math.isfinite(model.r2) or model.r2 < checks.min_r2:
        problems.append(
            f"R² {model.r2:.3f} is below marketing_mix.checks.min_r2 {checks.min_r2}: the channels and "
            "baseline explain too little of the weekly KPI (check the KPI's key events and the drivers)"
        )
    if math.isfinite(model.holdout_mape) and model.holdout_mape > checks.max_holdout_error:
        problems.append(
            f"the error on the {model.holdout_weeks} held-out weeks is {model.holdout_mape:.1%}, above "
            f"marketing_mix.checks.max_holdout_error {checks.max_holdout_error:.0%}: the model does not "
            "predict weeks it was not shown"
        )
    for name, values in (("contributions", model.contributions), ("bootstrap draws", model.draw_contributions)):
        if not np.all(np.isfinite(values)):
            problems.append(f"the fit's {name} hold non-finite values")
    return problems


def periods(weeks: tuple[date, ...]) -> list[tuple[str, date, date]]:
    """(name, first Monday, last Monday) of the periods a fit reports: the fitted range, its last 52
    weeks, and each calendar quarter (a week belongs to the quarter of its Monday)."""
    found = [(FITTED_RANGE, weeks[0], weeks[-1]), (LAST_YEAR, weeks[max(len(weeks) - 52, 0)], weeks[-1])]
    quarters: dict[str, list[date]] = {}
    for week in weeks:
        quarters.setdefault(f"{week.year}-Q{(week.month - 1) // 3 + 1}", []).append(week)
    found += [(name, members[0], members[-1]) for name, members in quarters.items()]
    return found


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def channel_periods(model: MixFit, run: FitRun, drivers: Mapping[str, str]) -> pa.Table:
    current = model.current_weekly_spend()
    marginal = {
        c: model.marginal_roi(c, current[c]) if current[c] > 0 and model.cost_per_unit(c) > 0 else None
        for c in model.channels
    }
    rows = []
    for name, first, last in periods(model.inputs.weeks):
        weeks = int(((last - first).days // 7) + 1)
        baseline = model.baseline_share(first, last)
        for channel, (estimate, low, high) in model.incremental(first, last).items():
            rows.append(
                {
                    "fit_id": run.fit_id,
                    "period": name,
                    "period_start": first,
                    "period_end": last + timedelta(days=6),
                    "weeks": weeks,
                    "channel": channel,
                    "driver": drivers[channel],
                    "incremental_conversions": estimate,
                    "incremental_conversions_low": low,
                    "incremental_conversions_high": high,
                    "marginal_roi": marginal[channel],
                    "baseline_share": baseline,
                }
            )
    return pa.Table.from_pylist(rows, schema=MIX_CHANNEL_PERIODS)


def response_curves(model: MixFit, run: FitRun, drivers: Mapping[str, str]) -> pa.Table:
    current = model.current_weekly_spend()
    rows = []
    for i, channel in enumerate(model.channels):
        if model.cost_per_unit(channel) <= 0:
            continue  # nothing was spent on it: no dollars to put on the curve's axis
        top = max(2 * current[channel], float(model.inputs.investment[:, i].max()))
        levels = sorted({*np.linspace(0, top, CURVE_STEPS + 1).round(2).tolist(), round(current[channel], 2)})
        for spend, expected, low, high in model.response_curve(channel, levels):
            rows.append(
                {
                    "fit_id": run.fit_id,
                    "channel": channel,
                    "driver": drivers[channel],
                    "weekly_spend": _money(spend),
                    "expected_weekly_conversions": expected,
                    "expected_weekly_conversions_low": low,
                    "expected_weekly_conversions_high": high,
                    "is_current_spend": spend == round(current[channel], 2),
                }
            )
    return pa.Table.from_pylist(rows, schema=MIX_RESPONSE_CURVES)


def budget_scenarios(model: MixFit, run: FitRun, settings: MixSettings) -> pa.Table:
    bounds = settings.bounds
    scenario = model.budget_scenario(bounds.max_change, bounds.fixed)
    rows = [
        {
            "fit_id": run.fit_id,
            "channel": channel,
            "movable": channel not in bounds.fixed and current > 0 and model.cost_per_unit(channel) > 0,
            "current_weekly_spend": _money(current),
            "recommended_weekly_spend": _money(recommended),
            "expected_weekly_conversions_change": change,
            "max_change": bounds.max_change,
        }
        for channel, current, recommended, change in scenario
    ]
    return pa.Table.from_pylist(rows, schema=MIX_BUDGET_SCENARIOS)


def diagnostics(model: MixFit, run: FitRun, settings: MixSettings) -> pa.Table:
    weeks = model.inputs.weeks
    row = {
        "fit_id": run.fit_id,
        "run_id": run.run_id,
        "fitted_for": run.fitted_for,
        "model_version": model.version,
        "kpi": ",".join(settings.kpi),
        "first_week": weeks[0],
        "last_week": weeks[-1],
        "weeks": len(weeks),
        "trusted_weeks": settings.trusted_weeks,
        "r2": model.r2,
        "holdout_mape": model.holdout_mape if math.isfinite(model.holdout_mape) else None,
        "holdout_weeks": model.holdout_weeks,
        "interval_level": model.interval,
        "bootstrap_draws": len(model.draws),
        "channels": len(model.channels),
        "value_per_conversion": model.value_per_conversion(),
    }
    return pa.Table.from_pylist([row], schema=MIX_DIAGNOSTICS)


def tables(model: MixFit, run: FitRun, settings: MixSettings) -> dict[str, pa.Table]:
    """{entity: table} of one fit, for the landing zone (source `marketing_mix`)."""
    drivers = {channel: settings.drivers[channel] for channel in model.channels}
    return {
        "channel_periods": channel_periods(model, run, drivers),
        "response_curves": response_curves(model, run, drivers),
        "budget_scenarios": budget_scenarios(model, run, settings),
        "diagnostics": diagnostics(model, run, settings),
    }
