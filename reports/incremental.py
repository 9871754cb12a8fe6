"""What each channel adds: the latest published fit of the marketing-mix model (mix/,
docs/marketing-mix.md), read from its four marts for the report's page (PDF) and sheet (XLSX).

Tracking credits a channel with what it sees (`mart_roi`); the model estimates what the channel adds
beyond what would have happened anyway. Only the latest fit counts (the row of
`mart_mmm_diagnostics` with `is_latest`), and of it: the last 52 weeks per channel, the response
curves, the budget scenario and the fit's quality. A warehouse built before the model existed has
none of the marts, and one where the model has not been fitted yet has no latest fit: both give no
fit, and the report leaves the page and the sheet out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from mix import too_short_to_trust
from reports import formatting as fmt
from warehouse import WarehouseMissingError

if TYPE_CHECKING:
    from warehouse import Warehouse

MIX_TABLES = ("mart_incremental_roi", "mart_response_curves", "mart_budget_scenarios", "mart_mmm_diagnostics")
PERIOD = "last 52 weeks"
TITLE = "What each channel adds"
INTRO = (
    "Tracking credits a channel with the conversions it can see, such as visits carrying its tags. The "
    "marketing-mix model estimates what each channel adds beyond what would have happened anyway, from how "
    "the weekly conversions moved with each channel's spend, posts or impressions."
)
# The key events the model counts as conversions (config marketing_mix.kpi).
KPI_NAMES = {"appointment_request": "appointment requests", "class_registration": "class registrations"}
UNCERTAIN_MARK = "*"
CHANNELS_HEADING = "Attributed and incremental, last 52 weeks"
CURVES_HEADING = "Expected conversions a week at each weekly spend"
BUDGET_HEADING = "Recommended reallocation"


@dataclass(frozen=True)
class Estimate:
    """The model's estimate and its interval (all None: not measured)."""

    value: float | None
    low: float | None
    high: float | None

    def text(self, number: Callable[[float], str]) -> str:
        """The estimate and its interval, each printed by `number`: "\u221220% (\u221245% to +10%)"."""
        return fmt.with_interval(number, self.value, self.low, self.high)


@dataclass(frozen=True)
class ChannelEffect:
    channel: str
    group: str
    driver: str
    investment: float
    attributed_conversions: int
    attributed_value: float
    attributed_roi: float | None
    incremental_conversions: Estimate
    incremental_value: float | None
    incremental_roi: Estimate
    # The ROI of the next dollar at the current weekly spend (0.5: it brings $1.50 back).
    marginal_roi: float | None
    # The interval is wider than the estimate: the data do not tell the effect from none.
    uncertain: bool


@dataclass(frozen=True)
class CurvePoint:
    weekly_spend: float
    conversions: Estimate  # expected weekly conversions at this constant weekly spend
    is_current_spend: bool


@dataclass(frozen=True)
class ResponseCurve:
    channel: str
    group: str
    driver: str
    points: list[CurvePoint]

    @property
    def current(self) -> CurvePoint | None:
        return next((point for point in self.points if point.is_current_spend), None)


@dataclass(frozen=True)
class BudgetLine:
    channel: str
    group: str
    # False: held fixed by the configuration (contracts), or not spendable.
    movable: bool
    current_weekly_spend: float
    recommended_weekly_spend: float
    spend_change_share: float | None
    expected_weekly_conversions_change: float
    max_change: float


@dataclass(frozen=True)
class Fit:
    fit_id: str
    fitted_for: date
    model_version: str
    kpi: str  # its key events, comma-separated
    first_week: date
    last_week: date
    weeks: int
    trusted_weeks: int
    trusted: bool
    r2: float | None
    holdout_mape: float | None
    holdout_weeks: int
    interval: float

    @property
    def quality(self) -> str:
        """The fit quality line of the page and the sheet."""
        r2 = fmt.NOT_MEASURED if self.r2 is None else f"{self.r2:.2f}"
        held_out = fmt.NOT_MEASURED if self.holdout_mape is None else fmt.percent(self.holdout_mape, 0)
        return (
            f"Fit of {self.fitted_for:%d %b %Y}: R\u00b2 {r2}, held-out error {held_out} on the last "
            f"{self.holdout_weeks} weeks, {self.weeks} weeks of history ({self.first_week:%d %b %Y} to "
            f"{self.last_week:%d %b %Y}), model {self.model_version}."
        )

    @property
    def warning(self) -> str | None:
        """What the page says first when the history is too short to trust the fit."""
        return None if self.trusted else too_short_to_trust(self.weeks, self.trusted_weeks)


@dataclass(frozen=True)
class IncrementalRoi:
    fit: Fit
    # The fit's last 52 weeks (a Monday to a Sunday) and the share of their fitted conversions that
    # would have happened without any channel; None when the fit has no rows for that period.
    period_start: date | None
    period_end: date | None
    baseline_share: float | None
    channels: list[ChannelEffect]
    curves: list[ResponseCurve]
    budget: list[BudgetLine]

    @property
    def has_figures(self) -> bool:
        return bool(self.channels or self.curves or self.reallocation)

    @property
    def period_text(self) -> str:
        if self.period_start is None or self.period_end is None:
            return ""
        baseline = (
            f"; {fmt.percent(self.baseline_share, 0)} of their conversions would have happened without any channel"
            if self.baseline_share is not None
            else ""
        )
        return f"The fit's last 52 weeks, {self.period_start:%d %b %Y} to {self.period_end:%d %b %Y}{baseline}."

    @property
    def intro(self) -> str:
        """What the page and the sheet open with: what the figures are, which conversions, which weeks."""
        events = [event.strip() for event in self.fit.kpi.split(",") if event.strip()]
        names = " and ".join(KPI_NAMES.get(event, event.replace("_", " ")) for event in events)
        return " ".join(filter(None, [INTRO, f"Conversions here: {names}." if names else "", self.period_text]))

    @property
    def interval_text(self) -> str:
        return f"{self.fit.interval:.0%} interval"

    @property
    def uncertain_note(self) -> str | None:
        """Said under the channel table when a channel's interval is wider than its estimate."""
        if not any(row.uncertain for row in self.channels):
            return None
        return "The interval is wider than the estimate: the data cannot tell this channel's effect from none yet."

    @property
    def reallocation(self) -> list[BudgetLine]:
        """The scenario's lines that hold spend now or after (a channel with neither has nothing to move)."""
        return [line for line in self.budget if line.current_weekly_spend or line.recommended_weekly_spend]

    @property
    def expected_change(self) -> float:
        """The scenario's expected change in weekly conversions, all channels together."""
        return sum(line.expected_weekly_conversions_change for line in self.reallocation)

    @property
    def reallocation_note(self) -> str:
        lines = self.reallocation
        fixed = any(not line.movable for line in lines)
        bound = max((line.max_change for line in lines), default=0.0)
        return (
            f"The same weekly total, each movable channel within \u00b1{bound:.0%} of its current spend"
            + ("; the channels held fixed stay as bought" if fixed else "")
            + f". Expected change: {fmt.signed_count(self.expected_change, 1)} conversions a week."
        )


def _number(value) -> float | None:
    return float(value) if isinstance(value, Decimal) else value


def _estimate(value, low, high) -> Estimate:
    return Estimate(_number(value), _number(low), _number(high))


def missing_tables(connection, tables: tuple[str, ...]) -> bool:
    """Whether any of `tables` is missing from a report snapshot (a warehouse built before the
    marts of an optional page existed): the page is then left out."""
    placeholders = ", ".join(f"$t{i}" for i in range(len(tables)))
    found = connection.execute(
        f"select distinct table_name from information_schema.tables where table_name in ({placeholders})",
        {f"t{i}": table for i, table in enumerate(tables)},
    ).fetchall()
    return len(found) < len(tables)


def _latest_fit(connection) -> Fit | None:
    row = connection.execute(
        "select fit_id, fitted_for, model_version, kpi, first_week, last_week, weeks, trusted_weeks, trusted, r2, "
        "holdout_mape, holdout_weeks, interval_level from mart_mmm_diagnostics where is_latest"
    ).fetchone()
    return None if row is None else Fit(*row)


def _channels(connection, fit_id: str, condition: str, params: dict) -> tuple[list[ChannelEffect], tuple]:
    rows = connection.execute(
        f"""
        select channel, channel_group, driver, investment, attributed_conversions, attributed_value, attributed_roi,
               incremental_conversions, incremental_conversions_low, incremental_conversions_high, incremental_value,
               incremental_roi, incremental_roi_low, incremental_roi_high, marginal_roi, uncertain,
               period_start, period_end, baseline_share
        from mart_incremental_roi
        where fit_id = $fit_id and period = $period and {condition}
        order by investment desc, channel
        """,
        {**params, "fit_id": fit_id, "period": PERIOD},
    ).fetchall()
    channels = [
        ChannelEffect(
            channel,
            group,
            driver,
            float(investment),
            int(attributed),
            float(attributed_value),
            roi,
            _estimate(conversions, low, high),
            _number(incremental_value),
            _estimate(incremental_roi, roi_low, roi_high),
            marginal,
            bool(uncertain),
        )
        for (
            channel,
            group,
            driver,
            investment,
            attributed,
            attributed_value,
            roi,
            conversions,
            low,
            high,
            incremental_value,
            incremental_roi,
            roi_low,
            roi_high,
            marginal,
            uncertain,
            *_,
        ) in rows
    ]
    # The period and the baseline share are the same on every channel's row of the period.
    return channels, rows[0][-3:] if rows else (None, None, None)


def _curves(connection, fit_id: str, condition: str, params: dict) -> list[ResponseCurve]:
    rows = connection.execute(
        f"""
        select channel, channel_group, driver, weekly_spend, expected_weekly_conversions,
               expected_weekly_conversions_low, expected_weekly_conversions_high, is_current_spend
        from mart_response_curves
        where fit_id = $fit_id and {condition}
        order by channel, weekly_spend
        """,
        {**params, "fit_id": fit_id},
    ).fetchall()
    curves: dict[str, ResponseCurve] = {}
    for channel, group, driver, spend, expected, low, high, current in rows:
        curve = curves.setdefault(channel, ResponseCurve(channel, group, driver, []))
        curve.points.append(CurvePoint(float(spend), _estimate(expected, low, high), bool(current)))
    # The biggest current spend first, as the channel table orders by investment.
    return sorted(
        curves.values(), key=lambda curve: (-(curve.current.weekly_spend if curve.current else 0.0), curve.channel)
    )


def _budget(connection, fit_id: str, condition: str, params: dict) -> list[BudgetLine]:
    rows = connection.execute(
        f"""
        select channel, channel_group, movable, current_weekly_spend, recommended_weekly_spend, spend_change_share,
               expected_weekly_conversions_change, max_change
        from mart_budget_scenarios
        where fit_id = $fit_id and {condition}
        order by current_weekly_spend desc, channel
        """,
        {**params, "fit_id": fit_id},
    ).fetchall()
    return [
        BudgetLine(channel, group, bool(movable), float(current), float(recommended), share, float(change or 0), bound)
        for channel, group, movable, current, recommended, share, change, bound in rows
    ]


def load_incremental_roi(warehouse: Warehouse, clause: tuple[str, dict] | None) -> IncrementalRoi | None:
    """The latest fit's figures for the channels `clause` (queries.filter_sql on the `channel`
    column) keeps, or None: no fit, or a filter the model cannot follow (it has no campaigns)."""
    if clause is None:
        return None
    condition, params = clause
    try:
        # A snapshot of its own, not the report's: on PostgreSQL, copying a table that does not exist
        # (a warehouse built before the model) fails the whole copy. A publish in between the two can
        # only make the page show the next fit; its figures are the fit's weeks, not the report's period.
        with warehouse.snapshot([*MIX_TABLES, "channels"]) as connection:
            if missing_tables(connection, MIX_TABLES):
                return None
            fit = _latest_fit(connection)
            if fit is None:
                return None
            channels, (period_start, period_end, baseline_share) = _channels(connection, fit.fit_id, condition, params)
            result = IncrementalRoi(
                fit,
                period_start,
                period_end,
                baseline_share,
                channels,
                _curves(connection, fit.fit_id, condition, params),
                _budget(connection, fit.fit_id, condition, params),
            )
    except WarehouseMissingError:
        return None
    return result if result.has_figures else None
