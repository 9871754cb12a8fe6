"""The marketing-mix model against the sandbox's known truth (sandbox/conversions.py), on two years
of weekly history from fixed seeds: the model's incremental key events per channel over the last
year next to each channel's true incremental ones, in three worlds (the demo's, one where radio
changes nothing, and one ten times the size).

How close a channel can be pinned down is set by the data, not by the method: with the weekly KPI's
Poisson noise, even a regression handed each channel's true weekly effect leaves Facebook's effect
uncertain by about a third and radio's by a quarter (one standard error) at scale 1
(docs/marketing-mix.md). So the bar of 20% is asserted where the data carry it: paid social and TV
in the demo's world, paid social and Facebook in the larger one; the intervals, pooled over five
seeds, must hold at least 75% of the true values (their nominal 90% runs narrow)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
import pytest

from mix.model import MixFit, fit
from sandbox.conversions import CHANNEL_EFFECTS, ConversionsWorld, mix_inputs, without_effect

FIRST_MONDAY = date(2024, 12, 2)
WEEKS = 104
LAST_YEAR = FIRST_MONDAY + timedelta(weeks=WEEKS - 52)


@cache
def world_fit(
    scale: float, without: str | None, seed: int | None = None
) -> tuple[MixFit, dict[str, float], dict[str, float]]:
    """The fit on a world's history (the demo's seed unless `seed`), the true incremental key
    events of the last year per channel, and each channel's true share of all incremental key
    events."""
    effects = without_effect(without) if without else CHANNEL_EFFECTS
    world = ConversionsWorld(scale=scale, effects=effects, **({} if seed is None else {"seed": seed}))
    truth = world.expected_weekly_by_channel(FIRST_MONDAY, WEEKS)
    channels = tuple(CHANNEL_EFFECTS)
    inputs = mix_inputs(world, FIRST_MONDAY, WEEKS)
    total = sum(sum(truth[c]) for c in channels)
    last_year = {c: sum(truth[c][WEEKS - 52 :]) for c in channels}
    shares = {c: sum(truth[c]) / total for c in channels}
    return fit(inputs), last_year, shares


def coverage(model: MixFit, truth: dict[str, float]) -> float:
    estimates = model.incremental(LAST_YEAR)
    return np.mean([low <= truth[c] <= high for c, (_, low, high) in estimates.items()])


def relative_error(model: MixFit, truth: dict[str, float], channel: str) -> float:
    return abs(model.incremental(LAST_YEAR)[channel][0] - truth[channel]) / truth[channel]


@pytest.mark.parametrize(("scale", "channels"), [(1.0, ("paid_social", "tv")), (10.0, ("paid_social", "facebook"))])
def test_channels_the_data_pin_down_are_within_20_percent(scale: float, channels: tuple[str, ...]) -> None:
    model, truth, shares = world_fit(scale, None)
    for channel in channels:
        assert shares[channel] >= 0.05
        assert relative_error(model, truth, channel) <= 0.20, (
            channel,
            model.incremental(LAST_YEAR)[channel],
            truth[channel],
        )


# An interval's coverage is a property of the method over many worlds, not of one: eleven
# intervals of one world hold 6 to 11 of the true values by chance alone. So the demo's world and
# four more seeds are pooled (55 intervals at scale 1). Measured: the block bootstrap's 90%
# intervals hold about 80% of the true values (seeds 42, 1-4: 78% with every channel working, 84%
# with radio doing nothing); docs/marketing-mix.md says they run narrow.
COVERAGE_SEEDS = (None, 1, 2, 3, 4)


@pytest.mark.parametrize(
    ("scale", "without", "seeds"), [(1.0, None, COVERAGE_SEEDS), (1.0, "radio", COVERAGE_SEEDS), (10.0, None, (None,))]
)
def test_most_true_values_lie_inside_their_90_percent_intervals(
    scale: float, without: str | None, seeds: tuple[int | None, ...]
) -> None:
    pooled = []
    for seed in seeds:
        model, truth, _ = world_fit(scale, without, seed)
        pooled.append(coverage(model, truth))
    assert np.mean(pooled) >= 0.75, pooled


def test_a_channel_without_effect_is_not_credited() -> None:
    model, truth, _ = world_fit(1.0, "radio")
    _, with_radio, _ = world_fit(1.0, None)
    estimate, low, _ = model.incremental(LAST_YEAR)["radio"]
    assert truth["radio"] == 0
    assert low == 0  # the interval holds "no effect"
    # Less than a quarter of what radio really adds in the world where it works.
    assert estimate < 0.25 * with_radio["radio"]


def test_fit_quality_is_reported() -> None:
    model, _, _ = world_fit(1.0, None)
    assert 0.5 < model.r2 < 1
    assert 0 < model.holdout_mape < 0.15
