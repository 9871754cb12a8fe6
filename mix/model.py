"""The marketing-mix model: what each channel adds to the weekly KPI beyond what would have happened
anyway, with carry-over, diminishing returns and honest intervals.

The model, per week t and channel c (driver x: spend, posts or gross impressions, `WeeklyInputs`):

    a_c(t)   carry-over (geometric adstock): x_c(t) + decay_c * a_c(t - 1)
    f_c(t)   diminishing returns (Hill, shape 1): a / (a + k_c * mean(a)) * (1 + k_c), so that
             f = 1 at the channel's average adstock; k_c = LINEAR keeps it a / mean(a)
    kpi(t) = baseline + seasonality(t) + controls(t) + sum over c of beta_c * f_c(t) + noise,  beta_c >= 0

Each channel's (decay, k) is chosen from a grid (`DECAYS` x `SATURATIONS`) by coordinate descent on
the squared error, and the betas by non-negative least squares (a channel cannot take conversions
away), so a fit takes about a second. The intervals come from a moving-block bootstrap of the
residuals (blocks of `BLOCK_WEEKS`, keeping the weeks' autocorrelation), each draw refitting the
betas and re-searching (decay, k) from a random start: they carry the uncertainty of the
transforms as well as of the betas. This is the light, Robyn-style method; it was chosen over a
Bayesian PyMC-Marketing fit by recovery, fit time and install size on the sandbox's two-year
history (docs/marketing-mix.md).

A channel's incremental conversions over a range are the sum of beta_c * f_c(t) there; its response
curve the steady-state weekly conversions at a constant weekly driver s (adstock s / (1 - decay));
a budget scenario moves weekly spend between the movable channels, within bounds, to the most
expected conversions for the same total."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from scipy.optimize import minimize, nnls
from scipy.signal import lfilter

MODEL_VERSION = "mix-nnls-adstock-hill-1"
DECAYS = (0.0, 0.1, 0.2, 0.3, 0.45, 0.6)
LINEAR = 0.0  # a saturation of 0 stands for no saturation in the observed range
SATURATIONS = (2.0, 4.0, LINEAR)
BLOCK_WEEKS = 4
# Coordinate-descent sweeps over the channels: the point fit's, and each bootstrap draw's. A draw
# starts its search from random transforms, not the point fit's, so that its interval also holds
# the transforms the data cannot tell apart (started from the point fit, the intervals held too few
# of the sandbox's true values).
_FIT_SWEEPS = 6
_DRAW_SWEEPS = 2


class MixInputError(ValueError):
    """The weekly inputs cannot support a fit (too few weeks, a constant driver, a zero KPI)."""


@dataclass(frozen=True)
class WeeklyInputs:
    """One row per ISO week (Mondays, consecutive), one column per channel."""

    weeks: tuple[date, ...]
    channels: tuple[str, ...]
    drivers: np.ndarray  # weeks x channels: what moves the channel's effect (spend, posts, impressions)
    investment: np.ndarray  # weeks x channels: its whole cost (USD), for ROI and spend curves
    kpi: np.ndarray  # weeks: the KPI's count (every session, tagged or not)
    kpi_value: np.ndarray | None = None  # weeks: its value (USD), if the KPI has one

    def __post_init__(self) -> None:
        n, m = len(self.weeks), len(self.channels)
        for name, array, shape in (
            ("drivers", self.drivers, (n, m)),
            ("investment", self.investment, (n, m)),
            ("kpi", self.kpi, (n,)),
        ):
            if np.shape(array) != shape:
                raise MixInputError(f"weekly inputs: {name} has shape {np.shape(array)}, expected {shape}")
        if self.kpi_value is not None and np.shape(self.kpi_value) != (n,):
            raise MixInputError(f"weekly inputs: kpi_value has shape {np.shape(self.kpi_value)}, expected {(n,)}")
        for before, after in zip(self.weeks, self.weeks[1:], strict=False):
            if after - before != timedelta(weeks=1):
                raise MixInputError(
                    f"weekly inputs: the weeks must be consecutive Mondays; {before} is followed by {after}"
                )

    def check(self, min_weeks: int) -> None:
        """Refuse inputs no fit can be trusted on, naming what to change."""
        n = len(self.weeks)
        if n < min_weeks:
            raise MixInputError(
                f"marketing mix: only {n} weeks of history ({self._range()}), at least {min_weeks} needed; "
                "load the weeks before the pipeline started into the marketing_history inbox or wait for more nights"
            )
        if not np.all(np.isfinite(self.drivers)) or not np.all(np.isfinite(self.kpi)):
            raise MixInputError("marketing mix: the weekly inputs hold missing or non-finite values")
        if np.any(self.drivers < 0) or np.any(self.kpi < 0):
            raise MixInputError("marketing mix: a weekly driver or the KPI is negative")
        if not np.any(self.kpi > 0):
            raise MixInputError(
                f"marketing mix: the KPI is zero in every one of the {n} weeks ({self._range()}); "
                "check that the configured key events (marketing_mix.kpi) are the ones web analytics records"
            )
        constant = [c for c, column in zip(self.channels, self.drivers.T, strict=True) if np.ptp(column) == 0]
        if constant:
            raise MixInputError(
                f"marketing mix: the weekly driver of {', '.join(constant)} is the same in all {n} weeks, "
                "so its effect cannot be told from the baseline; leave it out of marketing_mix.drivers"
            )

    def _range(self) -> str:
        return f"{self.weeks[0]} to {self.weeks[-1]}" if self.weeks else "no weeks"


@dataclass(frozen=True)
class Transform:
    decay: float
    saturation: float  # k, or LINEAR

    def features(self, driver: np.ndarray, reference: float) -> np.ndarray:
        """f(t) of a driver series; `reference` is the mean adstock the curve is scaled by."""
        return self.curve(adstock(driver, self.decay), reference)

    def curve(self, adstocked: np.ndarray, reference: float) -> np.ndarray:
        if reference <= 0:
            return np.zeros_like(adstocked, dtype=float)
        if self.saturation == LINEAR:
            return adstocked / reference
        k = self.saturation * reference
        return adstocked / (adstocked + k) * (1 + self.saturation)


def adstock(driver: np.ndarray, decay: float) -> np.ndarray:
    """a(t) = x(t) + decay * a(t - 1), from a(-1) = 0."""
    return lfilter([1.0], [1.0, -decay], np.asarray(driver, dtype=float))


def seasonality(weeks: Sequence[date], harmonics: int) -> np.ndarray:
    """Yearly Fourier terms (sin and cos of each harmonic) by the day of the year, weeks x 2h."""
    if harmonics <= 0:
        return np.zeros((len(weeks), 0))
    phase = np.array([2 * np.pi * w.timetuple().tm_yday / 365.25 for w in weeks])
    return np.column_stack([f(k * phase) for k in range(1, harmonics + 1) for f in (np.sin, np.cos)])


# Weekly indicators the baseline may move with (config marketing_mix.controls): demand for care is
# seasonal in ways a channel's spend can line up with (flu-shot drives buy in flu season), and a
# control lets the model give that lift to the season instead of to the channel.
FLU_SEASON_MONTHS = (10, 11, 12, 1, 2, 3)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (0 Monday) of a month; n = -1 the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def holidays(year: int) -> tuple[date, ...]:
    """The US holidays a health system's scheduling slows on: New Year's Day, Memorial Day,
    Independence Day, Labor Day, Thanksgiving and Christmas Day."""
    return (
        date(year, 1, 1),
        _nth_weekday(year, 5, 0, -1),
        date(year, 7, 4),
        _nth_weekday(year, 9, 0, 1),
        _nth_weekday(year, 11, 3, 4),
        date(year, 12, 25),
    )


def named_controls(weeks: Sequence[date], names: Sequence[str]) -> np.ndarray:
    """One 0/1 column per control: `flu_season` (the week's Monday in October to March),
    `holidays` (a holiday falls in the week)."""
    columns = []
    for name in names:
        if name == "flu_season":
            columns.append([float(w.month in FLU_SEASON_MONTHS) for w in weeks])
        elif name == "holidays":
            columns.append(
                [
                    float(any(w <= h <= w + timedelta(days=6) for h in holidays(w.year) + holidays(w.year + 1)))
                    for w in weeks
                ]
            )
        else:
            raise MixInputError(f"marketing mix: unknown control {name!r}; known: flu_season, holidays")
    return np.column_stack(columns) if columns else np.zeros((len(weeks), 0))


@dataclass(frozen=True)
class _Solution:
    transforms: tuple[Transform, ...]
    intercept: float
    season: np.ndarray  # coefficients of the seasonality terms
    beta: np.ndarray
    sse: float


class _Design:
    """The candidate feature columns of every channel (one per transform of the grid), computed once."""

    def __init__(self, drivers: np.ndarray, controls: np.ndarray) -> None:
        self.controls = controls
        self.grid = tuple(Transform(d, s) for d in DECAYS for s in SATURATIONS)
        self.references = np.array(
            [[max(adstock(drivers[:, c], t.decay).mean(), 0.0) for c in range(drivers.shape[1])] for t in self.grid]
        )
        self.columns = np.stack(
            [
                np.column_stack([t.features(drivers[:, c], self.references[g, c]) for c in range(drivers.shape[1])])
                for g, t in enumerate(self.grid)
            ]
        )  # grid x weeks x channels

    def solve(self, y: np.ndarray, picks: Sequence[int]) -> _Solution:
        features = np.column_stack([self.columns[g, :, c] for c, g in enumerate(picks)])
        # NNLS keeps the betas non-negative; the intercept is positive anyway and seasonality may take
        # either sign, so it enters as a plus and a minus column.
        design = np.column_stack([np.ones(len(y)), self.controls, -self.controls, features])
        coef, residual = nnls(design, y, maxiter=50 * design.shape[1])
        h = self.controls.shape[1]
        return _Solution(
            transforms=tuple(self.grid[g] for g in picks),
            intercept=float(coef[0]),
            season=coef[1 : 1 + h] - coef[1 + h : 1 + 2 * h],
            beta=coef[1 + 2 * h :],
            sse=float(residual**2),
        )

    def search(self, y: np.ndarray, start: Sequence[int], sweeps: int) -> tuple[list[int], _Solution]:
        picks = list(start)
        best = self.solve(y, picks)
        for _ in range(sweeps):
            improved = False
            for c in range(len(picks)):
                for g in range(len(self.grid)):
                    if g == picks[c]:
                        continue
                    trial = [*picks[:c], g, *picks[c + 1 :]]
                    solution = self.solve(y, trial)
                    if solution.sse < best.sse * (1 - 1e-9):
                        picks, best, improved = trial, solution, True
            if not improved:
                break
        return picks, best


@dataclass(frozen=True)
class ChannelParameters:
    transform: Transform
    beta: float
    reference: float  # the mean adstock f is scaled by


@dataclass(frozen=True)
class MixFit:
    """A fitted model: the point fit, its bootstrap draws, and the checks it passed or failed."""

    inputs: WeeklyInputs
    harmonics: int
    point: tuple[ChannelParameters, ...]
    draws: tuple[tuple[ChannelParameters, ...], ...]
    contributions: np.ndarray  # weeks x channels, point fit
    draw_contributions: np.ndarray  # draws x weeks x channels
    fitted: np.ndarray  # weeks
    baseline: np.ndarray  # weeks: intercept + seasonality
    r2: float
    holdout_mape: float
    holdout_weeks: int
    interval: float
    version: str = MODEL_VERSION
    diagnostics: Mapping[str, float] = field(default_factory=dict)

    @property
    def channels(self) -> tuple[str, ...]:
        return self.inputs.channels

    def incremental(self, first: date | None = None, last: date | None = None) -> dict[str, tuple[float, float, float]]:
        """Each channel's incremental KPI over the weeks from `first` to `last` (default all):
        (point estimate, lower, upper) of the fit's interval."""
        rows = self._rows(first, last)
        point = self.contributions[rows].sum(axis=0)
        draws = self.draw_contributions[:, rows, :].sum(axis=1)
        low, high = self._bounds(draws)
        return {c: (float(point[i]), float(low[i]), float(high[i])) for i, c in enumerate(self.channels)}

    def baseline_share(self, first: date | None = None, last: date | None = None) -> float:
        rows = self._rows(first, last)
        total = self.fitted[rows].sum()
        return float(self.baseline[rows].sum() / total) if total > 0 else 0.0

    def value_per_conversion(self) -> float:
        if self.inputs.kpi_value is None or self.inputs.kpi.sum() <= 0:
            return 0.0
        return float(self.inputs.kpi_value.sum() / self.inputs.kpi.sum())

    def cost_per_unit(self, channel: str) -> float:
        """Dollars per unit of the channel's driver over the fitted range (1 for spend drivers)."""
        i = self.channels.index(channel)
        units = self.inputs.drivers[:, i].sum()
        return float(self.inputs.investment[:, i].sum() / units) if units > 0 else 0.0

    def response(self, channel: str, weekly_driver: float | np.ndarray, draw: int | None = None) -> np.ndarray:
        """Steady-state weekly incremental KPI at a constant weekly driver."""
        i = self.channels.index(channel)
        parameters = (self.point if draw is None else self.draws[draw])[i]
        steady = np.asarray(weekly_driver, dtype=float) / (1 - parameters.transform.decay)
        return parameters.beta * parameters.transform.curve(steady, parameters.reference)

    def response_curve(self, channel: str, weekly_spend: Sequence[float]) -> list[tuple[float, float, float, float]]:
        """(weekly spend, expected weekly incremental KPI, lower, upper) at each spend level."""
        cost = self.cost_per_unit(channel)
        units = np.asarray(weekly_spend, dtype=float) / cost if cost > 0 else np.zeros(len(weekly_spend))
        point = self.response(channel, units)
        draws = np.array([self.response(channel, units, d) for d in range(len(self.draws))])
        low, high = self._bounds(draws)
        return [
            (float(s), float(p), float(lo), float(hi))
            for s, p, lo, hi in zip(weekly_spend, point, low, high, strict=True)
        ]

    def current_weekly_spend(self, weeks: int = 13) -> dict[str, float]:
        """Each channel's average weekly investment over the last `weeks` weeks."""
        recent = self.inputs.investment[-weeks:]
        return {c: float(recent[:, i].mean()) for i, c in enumerate(self.channels)}

    def marginal_roi(self, channel: str, weekly_spend: float) -> float:
        """The ROI of the next dollar at a weekly spend: the extra KPI value it brings, less the
        dollar, per dollar (a central difference), as ROI is (value - investment) / investment."""
        step = max(weekly_spend * 0.01, 1.0)
        low, high = max(weekly_spend - step, 0.0), weekly_spend + step
        cost = self.cost_per_unit(channel)
        if cost <= 0:
            return -1.0
        gain = self.response(channel, high / cost) - self.response(channel, low / cost)
        return float(gain / (high - low) * self.value_per_conversion() - 1)

    def budget_scenario(self, max_change: float, fixed: Sequence[str]) -> list[tuple[str, float, float, float]]:
        """For the current total weekly spend, the allocation with the most expected KPI when each
        movable channel stays within +-max_change of its current spend and `fixed` ones stay:
        (channel, current, recommended, expected change in weekly KPI)."""
        current = self.current_weekly_spend()
        movable = [c for c in self.channels if c not in fixed and current[c] > 0 and self.cost_per_unit(c) > 0]
        spend = np.array([current[c] for c in movable])
        recommended = dict(current)
        if len(movable) > 1:

            def expected(x: np.ndarray) -> float:
                return -sum(float(self.response(c, s / self.cost_per_unit(c))) for c, s in zip(movable, x, strict=True))

            result = minimize(
                expected,
                spend,
                method="SLSQP",
                bounds=[(s * (1 - max_change), s * (1 + max_change)) for s in spend],
                constraints=[{"type": "eq", "fun": lambda x: x.sum() - spend.sum()}],
            )
            if result.success:
                recommended.update({c: float(s) for c, s in zip(movable, result.x, strict=True)})
        rows = []
        for c in self.channels:
            cost = self.cost_per_unit(c)
            change = 0.0
            if cost > 0:
                change = float(self.response(c, recommended[c] / cost) - self.response(c, current[c] / cost))
            rows.append((c, current[c], recommended[c], change))
        return rows

    def _rows(self, first: date | None, last: date | None) -> np.ndarray:
        weeks = np.array(self.inputs.weeks)
        keep = np.ones(len(weeks), dtype=bool)
        if first is not None:
            keep &= weeks >= first
        if last is not None:
            keep &= weeks <= last
        return np.flatnonzero(keep)

    def _bounds(self, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tail = (1 - self.interval) / 2 * 100
        return np.percentile(draws, tail, axis=0), np.percentile(draws, 100 - tail, axis=0)


def fit(
    inputs: WeeklyInputs,
    *,
    harmonics: int = 0,
    controls: Sequence[str] = (),
    holdout_weeks: int = 13,
    interval: float = 0.90,
    draws: int = 200,
    seed: int = 7,
    min_weeks: int = 52,
) -> MixFit:
    """Fit the model on every week of `inputs`; see the module docstring."""
    inputs.check(min_weeks)
    y = np.asarray(inputs.kpi, dtype=float)
    n, m = inputs.drivers.shape
    controls = np.column_stack([seasonality(inputs.weeks, harmonics), named_controls(inputs.weeks, controls)])
    design = _Design(inputs.drivers, controls)
    linear = design.grid.index(Transform(0.2, LINEAR))
    picks, solution = design.search(y, [linear] * m, _FIT_SWEEPS)
    point = _parameters(design, picks, solution)
    contributions = _contributions(design, picks, solution)
    baseline = solution.intercept + controls @ solution.season
    fitted = baseline + contributions.sum(axis=1)
    total = ((y - y.mean()) ** 2).sum()
    r2 = float(1 - ((y - fitted) ** 2).sum() / total) if total > 0 else 0.0

    rng = np.random.default_rng(seed)
    residuals = y - fitted
    draw_parameters, draw_contributions = [], []
    for _ in range(draws):
        starts = rng.integers(0, max(n - BLOCK_WEEKS, 1), size=n // BLOCK_WEEKS + 1)
        rows = np.concatenate([np.arange(s, s + BLOCK_WEEKS) for s in starts])[:n]
        resampled = fitted + residuals[rows]
        start = [int(g) for g in rng.integers(0, len(design.grid), size=m)]
        draw_picks, draw_solution = design.search(resampled, start, _DRAW_SWEEPS)
        draw_parameters.append(_parameters(design, draw_picks, draw_solution))
        draw_contributions.append(_contributions(design, draw_picks, draw_solution))

    return MixFit(
        inputs=inputs,
        harmonics=harmonics,
        point=point,
        draws=tuple(draw_parameters),
        contributions=contributions,
        draw_contributions=np.array(draw_contributions),
        fitted=fitted,
        baseline=baseline,
        r2=r2,
        holdout_mape=_holdout_mape(design, y, picks, holdout_weeks),
        holdout_weeks=holdout_weeks,
        interval=interval,
        diagnostics={"draws": float(draws), "sse": solution.sse},
    )


def _parameters(design: _Design, picks: Sequence[int], solution: _Solution) -> tuple[ChannelParameters, ...]:
    return tuple(
        ChannelParameters(design.grid[g], float(solution.beta[c]), float(design.references[g, c]))
        for c, g in enumerate(picks)
    )


def _contributions(design: _Design, picks: Sequence[int], solution: _Solution) -> np.ndarray:
    return np.column_stack([design.columns[g, :, c] * solution.beta[c] for c, g in enumerate(picks)])


def _holdout_mape(design: _Design, y: np.ndarray, picks: Sequence[int], holdout: int) -> float:
    """Refit on all but the last `holdout` weeks and measure the error on those weeks."""
    n = len(y)
    if holdout <= 0 or holdout >= n // 2:
        return float("nan")
    train = _Design.__new__(_Design)
    train.controls, train.grid = design.controls[: n - holdout], design.grid
    train.references, train.columns = design.references, design.columns[:, : n - holdout, :]
    picks, solution = train.search(y[: n - holdout], picks, _FIT_SWEEPS)
    features = np.column_stack([design.columns[g, n - holdout :, c] for c, g in enumerate(picks)])
    predicted = solution.intercept + design.controls[n - holdout :] @ solution.season + features @ solution.beta
    actual = y[n - holdout :]
    nonzero = actual > 0
    return (
        float(np.mean(np.abs(predicted[nonzero] - actual[nonzero]) / actual[nonzero]))
        if nonzero.any()
        else float("nan")
    )
