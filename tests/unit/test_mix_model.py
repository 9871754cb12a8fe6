"""The marketing-mix model on small synthetic weeks: what it refuses, and what a fit on a known
linear world gives back (recovery on the sandbox's world: tests/integration/test_mix_recovery.py)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from mix.model import LINEAR, MixInputError, Transform, WeeklyInputs, adstock, fit

MONDAY = date(2025, 1, 6)


def inputs(weeks: int = 80, *, constant: bool = False, zero_kpi: bool = False, seed: int = 3) -> WeeklyInputs:
    rng = np.random.default_rng(seed)
    spend = rng.uniform(500, 1500, size=weeks) * (rng.random(weeks) > 0.15)
    posts = np.full(weeks, 12.0) if constant else rng.poisson(12, size=weeks).astype(float)
    drivers = np.column_stack([spend, posts])
    kpi = 100 + 0.05 * spend + 2.0 * posts + rng.normal(0, 3, size=weeks)
    return WeeklyInputs(
        weeks=tuple(MONDAY + timedelta(weeks=w) for w in range(weeks)),
        channels=("meta_ads", "facebook"),
        drivers=drivers,
        investment=np.column_stack([spend, np.full(weeks, 400.0)]),
        kpi=np.zeros(weeks) if zero_kpi else np.round(kpi),
        kpi_value=np.zeros(weeks) if zero_kpi else np.round(kpi) * 150,
    )


def test_too_few_weeks_are_refused_with_what_to_do() -> None:
    with pytest.raises(MixInputError, match=r"only 20 weeks of history .* at least 52 needed.*marketing_history"):
        fit(inputs(20), draws=10)


def test_a_constant_driver_is_refused_by_name() -> None:
    with pytest.raises(MixInputError, match=r"driver of facebook is the same in all 80 weeks"):
        fit(inputs(constant=True), draws=10)


def test_a_kpi_of_zeros_is_refused() -> None:
    with pytest.raises(MixInputError, match=r"KPI is zero in every one of the 80 weeks"):
        fit(inputs(zero_kpi=True), draws=10)


def test_weeks_must_be_consecutive_mondays() -> None:
    good = inputs()
    with pytest.raises(MixInputError, match="consecutive Mondays"):
        WeeklyInputs(
            weeks=(*good.weeks[:10], good.weeks[11], *good.weeks[11:]),
            channels=good.channels,
            drivers=good.drivers,
            investment=good.investment,
            kpi=good.kpi,
        )


def test_adstock_carries_over_geometrically() -> None:
    assert adstock(np.array([10.0, 0, 0]), 0.5).tolist() == [10.0, 5.0, 2.5]
    assert Transform(0.0, LINEAR).features(np.array([1.0, 3.0]), 2.0).tolist() == [0.5, 1.5]


def test_a_linear_world_is_recovered() -> None:
    data = inputs()
    model = fit(data, draws=30, holdout_weeks=8)
    truth = {"meta_ads": 0.05 * data.drivers[:, 0].sum(), "facebook": 2.0 * data.drivers[:, 1].sum()}
    for channel, (estimate, _, _) in model.incremental().items():
        assert estimate == pytest.approx(truth[channel], rel=0.1)
    assert model.r2 > 0.9
    assert model.holdout_mape < 0.05


def test_90_percent_intervals_hold_the_truth_about_90_percent_of_the_time() -> None:
    """Over 20 linear worlds with other noise, two channels each: an interval that held the truth in
    fewer than 30 of the 40 cases would be overconfident."""
    held = 0
    for seed in range(20):
        data = inputs(seed=seed)
        truth = {"meta_ads": 0.05 * data.drivers[:, 0].sum(), "facebook": 2.0 * data.drivers[:, 1].sum()}
        for channel, (_, low, high) in fit(data, draws=40, holdout_weeks=8, seed=seed).incremental().items():
            held += low <= truth[channel] <= high
    assert held >= 30


def test_response_curve_rises_and_the_budget_keeps_its_total_and_bounds() -> None:
    model = fit(inputs(), draws=20, holdout_weeks=8)
    curve = model.response_curve("meta_ads", [0, 500, 1000, 2000])
    assert [round(point, 6) for _, point, _, _ in curve] == sorted(round(point, 6) for _, point, _, _ in curve)
    assert curve[0][1] == 0
    rows = model.budget_scenario(max_change=0.3, fixed=())
    current = sum(r[1] for r in rows)
    assert sum(r[2] for r in rows) == pytest.approx(current)
    for _, now, recommended, _ in rows:
        assert now * 0.7 - 1e-6 <= recommended <= now * 1.3 + 1e-6
    fixed = model.budget_scenario(max_change=0.3, fixed=("facebook",))
    assert {r[0]: r[2] for r in fixed}["facebook"] == {r[0]: r[1] for r in fixed}["facebook"]


def test_the_same_inputs_give_the_same_fit() -> None:
    first, second = fit(inputs(), draws=15), fit(inputs(), draws=15)
    assert first.incremental() == second.incremental()


def test_a_flu_season_control_takes_the_seasons_lift_off_a_channel_that_buys_in_it() -> None:
    """A channel that spends most in flu season, on a baseline that rises in flu season: without the
    control the model credits the channel with the season's lift; with it, the channel's effect."""
    rng = np.random.default_rng(11)
    weeks = tuple(MONDAY + timedelta(weeks=w) for w in range(104))
    flu = np.array([float(w.month in (10, 11, 12, 1, 2, 3)) for w in weeks])
    spend = rng.uniform(200, 600, size=104) + 900 * flu * rng.uniform(0.5, 1.0, size=104)
    posts = rng.poisson(12, size=104).astype(float)
    truth = 0.02 * spend
    kpi = np.round(100 + 40 * flu + truth + 2.0 * posts + rng.normal(0, 3, size=104))
    seasonal = WeeklyInputs(
        weeks=weeks,
        channels=("meta_ads", "facebook"),
        drivers=np.column_stack([spend, posts]),
        investment=np.column_stack([spend, np.full(104, 400.0)]),
        kpi=kpi,
    )
    without = fit(seasonal, draws=20).incremental()["meta_ads"][0]
    controlled = fit(seasonal, controls=["flu_season"], draws=20)
    estimate, low, high = controlled.incremental()["meta_ads"]
    assert without > 2 * truth.sum()
    assert abs(estimate - truth.sum()) < 0.15 * truth.sum()
    assert low <= truth.sum() <= high


def test_holiday_weeks_are_the_weeks_a_holiday_falls_in() -> None:
    from mix.model import named_controls

    weeks = [date(2025, 11, 24), date(2025, 12, 1), date(2025, 12, 29), date(2026, 5, 25)]
    assert named_controls(weeks, ["holidays"])[:, 0].tolist() == [1.0, 0.0, 1.0, 1.0]
    with pytest.raises(MixInputError, match="unknown control 'easter'"):
        named_controls(weeks, ["easter"])
