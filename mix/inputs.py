"""The marketing-mix model's weekly inputs from the published warehouse (`int_mix__weekly`).

Each channel enters by one driver, the weekly activity that moves its effect: paid media by its
media spend; organic social by the campaign posts it published, since most of its cost is staff
time that does not move with what a week delivers; traditional media by the media plan's gross
impressions, which carry a flight's weight better than its invoice dates. Every channel's ROI is
on its whole investment. The KPI is the week's key events of every web session, tagged or not
(the '(none)' rows hold those no channel's tags claimed), but for the `tracked_only` channels'
(config marketing_mix.tracked_only): their conversions are all tracked and follow no budget's
response curve, so left in they would be read as baseline or as another channel's effect."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np

from mix.model import MixInputError, WeeklyInputs

if TYPE_CHECKING:
    from warehouse import Warehouse

logger = logging.getLogger(__name__)

WEEKLY = "int_mix__weekly"
Driver = Literal["spend", "posts", "impressions"]
DRIVER_COLUMNS: Mapping[str, str] = {"spend": "media_spend", "posts": "posts", "impressions": "impressions"}
ORGANIC = ("facebook", "instagram", "x", "youtube", "linkedin")
TRADITIONAL = ("tv", "radio", "print", "ooh", "direct_mail")
DEFAULT_DRIVERS: Mapping[str, Driver] = {
    "meta_ads": "spend",
    **dict.fromkeys(ORGANIC, "posts"),
    **dict.fromkeys(TRADITIONAL, "impressions"),
}
# The key events whose weekly count is the KPI (columns of int_mix__weekly).
KPI_COLUMNS: Mapping[str, str] = {
    "appointment_request": "appointment_requests",
    "class_registration": "class_registrations",
}


def load(
    warehouse: Warehouse,
    drivers: Mapping[str, Driver] = DEFAULT_DRIVERS,
    kpi: Sequence[str] = tuple(KPI_COLUMNS),
    tracked_only: Sequence[str] = (),
) -> WeeklyInputs:
    """Every whole week of `int_mix__weekly`, one column per channel of `drivers` that has any
    activity (a channel the warehouse never saw, e.g. a platform not connected, is left out); the
    KPI without the key events of the `tracked_only` channels."""
    unknown = sorted(set(kpi) - set(KPI_COLUMNS))
    if unknown:
        raise MixInputError(f"marketing mix: unknown KPI key event(s) {unknown}; known: {sorted(KPI_COLUMNS)}")
    driver_columns = {channel: DRIVER_COLUMNS[driver] for channel, driver in drivers.items()}
    columns = ("media_spend", "total_investment", "posts", "impressions", *KPI_COLUMNS.values(), "conversion_value")
    rows = warehouse.query(
        f"select week_start, channel, {', '.join(columns)} from {WEEKLY} order by week_start, channel"
    )
    if not rows:
        raise MixInputError(
            f"marketing mix: {WEEKLY} in {warehouse} holds no whole week yet; "
            "run the nightly DAG for a week or load the weeks before it in the marketing_history inbox"
        )
    by_week: dict[date, dict[str, dict[str, float]]] = defaultdict(dict)
    for week_start, channel, *values in rows:
        by_week[week_start][channel] = {name: float(v or 0) for name, v in zip(columns, values, strict=True)}
    first, last = min(by_week), max(by_week)
    weeks = tuple(first + timedelta(weeks=w) for w in range((last - first).days // 7 + 1))
    missing = [w for w in weeks if w not in by_week]
    if missing:
        logger.warning(
            "marketing mix: %d week(s) without any row in %s, taken as zero: %s", len(missing), WEEKLY, missing
        )

    def series(channel: str, column: str) -> np.ndarray:
        return np.array([by_week.get(w, {}).get(channel, {}).get(column, 0.0) for w in weeks])

    active = [c for c, column in driver_columns.items() if series(c, column).any()]
    absent = sorted(set(driver_columns) - set(active))
    if absent:
        logger.info("marketing mix: no activity at all for %s in %s: left out of the model", ", ".join(absent), WEEKLY)
    kpi_columns = [KPI_COLUMNS[event] for event in kpi]

    def counted(week: date) -> list[dict[str, float]]:
        return [values for channel, values in by_week.get(week, {}).items() if channel not in tracked_only]

    totals = [sum(sum(values[column] for column in kpi_columns) for values in counted(w)) for w in weeks]
    values = [sum(v["conversion_value"] for v in counted(w)) for w in weeks]
    return WeeklyInputs(
        weeks=weeks,
        channels=tuple(active),
        drivers=np.column_stack([series(c, driver_columns[c]) for c in active])
        if active
        else np.zeros((len(weeks), 0)),
        investment=np.column_stack([series(c, "total_investment") for c in active])
        if active
        else np.zeros((len(weeks), 0)),
        kpi=np.array(totals, dtype=float),
        kpi_value=np.array(values, dtype=float),
    )
