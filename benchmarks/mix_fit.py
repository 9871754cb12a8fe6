"""The marketing-mix fit on the sandbox's two-year history: seconds and peak memory.

Builds the model's weekly inputs from the sandbox world's 104 weeks from `--first-monday` at the
given scale (`sandbox.conversions.mix_inputs`), fits the model (mix/model.py, its default bootstrap
draws) and prints, as JSON, the weeks and channels fitted, the seconds to build the history and to
fit (wall and CPU), the fit's R² and held-out error, the process's peak resident memory, and per
channel the recovery of the last year's true incremental key events (estimate, 90% interval, truth,
relative error) beside the floor the data set: the relative standard error of a least-squares fit
handed every channel's true weekly effect (an oracle no model can beat). Run in a process of its
own, so the peak is the fit's.

    python -m benchmarks.mix_fit --scale 10
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta

import numpy as np

from benchmarks.inbox_large import peak_rss_megabytes
from mix.model import fit
from sandbox.conversions import ConversionsWorld, mix_inputs

WEEKS = 104
FIRST_MONDAY = date(2024, 12, 2)


def measure(scale: float, first_monday: date) -> dict:
    started = time.monotonic()
    world = ConversionsWorld(scale=scale)
    inputs = mix_inputs(world, first_monday, WEEKS)
    history_seconds = time.monotonic() - started
    wall, cpu = time.monotonic(), time.process_time()
    model = fit(inputs)
    fit_seconds, fit_cpu = time.monotonic() - wall, time.process_time() - cpu
    truth = world.expected_weekly_by_channel(first_monday, WEEKS)
    floor = oracle_relative_errors(inputs.kpi, truth, inputs.channels)
    estimates = model.incremental(first_monday + timedelta(weeks=WEEKS - 52))
    recovery = {}
    for channel, (estimate, low, high) in estimates.items():
        true = sum(truth[channel][WEEKS - 52 :])
        recovery[channel] = {
            "truth": round(true, 1),
            "estimate": round(estimate, 1),
            "interval_90": [round(low, 1), round(high, 1)],
            "relative_error": round((estimate - true) / true, 3) if true else None,
            "inside": low <= true <= high,
            "oracle_relative_se": floor[channel],
        }
    return {
        "scale": scale,
        "weeks": len(inputs.weeks),
        "channels": len(inputs.channels),
        "bootstrap_draws": len(model.draws),
        "history_seconds": round(history_seconds, 1),
        "fit_seconds": round(fit_seconds, 1),
        "fit_cpu_seconds": round(fit_cpu, 1),
        "r2": round(model.r2, 3),
        "holdout_mape": round(model.holdout_mape, 3),
        "peak_rss_mb": peak_rss_megabytes(),
        "last_year_recovery": recovery,
    }


def oracle_relative_errors(kpi: np.ndarray, truth: dict[str, list[float]], channels: tuple[str, ...]) -> dict:
    """Per channel, the standard error of its coefficient (true value 1) when the weekly KPI is
    regressed on every channel's true weekly effect and an intercept: how well the data alone, with
    the model's form known exactly, pin each channel down."""
    effects = np.array([truth[c] for c in channels]).T
    design = np.column_stack([np.ones(len(kpi)), effects])
    coef, *_ = np.linalg.lstsq(design, kpi, rcond=None)
    residual = kpi - design @ coef
    variance = residual @ residual / (len(kpi) - design.shape[1])
    covariance = variance * np.linalg.pinv(design.T @ design)
    return {c: round(float(np.sqrt(covariance[i + 1, i + 1])), 3) for i, c in enumerate(channels)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="sandbox scale factor (audiences, baseline)")
    parser.add_argument("--first-monday", type=date.fromisoformat, default=FIRST_MONDAY)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.scale, args.first_monday)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
