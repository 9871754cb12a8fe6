"""Reconciliation of the investment: what the marts say was spent in a period against the cost
inputs themselves (the landing zone and the cost seeds), recomputed here in Python from the
documented rules, without the dbt models. A fan-out in a join, a lost remainder or a cost counted
twice shows up as a difference in cents.

The rules (the dbt models' docs say the same):
- a traditional placement's spend is spread evenly over its flight days, each day's share rounded
  down to the cent and the last day taking the remainder;
- paid social spend is the latest landed reading of each ad account's day;
- staff time costs round(hours x the loaded rate in force on the week's Monday, 2) per week, role
  and channel (a timesheet week replaces the standing allocation); a channel's week is spread over
  its seven days rounded down to the cent, Sunday taking the remainder;
- a tool costs its monthly amount in every month whose first day is inside its validity, split
  over channels by share (rounded to the cent, the alphabetically last channel taking the
  remainder) and over the month's days (rounded down to the cent, the last day taking the rest);
- production costs count on their day.

Staff time and tools are only carried on days of the reporting calendar, so a period passed here
must lie inside it (from the first day any source has activity to the run date)."""

from __future__ import annotations

import calendar
import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

CENT = Decimal("0.01")
COMPONENTS = ("media_spend", "staff_cost", "tool_cost", "production_cost")


@dataclass(frozen=True)
class Investment:
    media_spend: Decimal
    staff_cost: Decimal
    tool_cost: Decimal
    production_cost: Decimal

    @property
    def total(self) -> Decimal:
        return self.media_spend + self.staff_cost + self.tool_cost + self.production_cost

    def differences(self, other: Investment) -> dict[str, Decimal]:
        """Components (and the total) where `other` differs, as other - self."""
        diffs = {name: getattr(other, name) - getattr(self, name) for name in COMPONENTS}
        diffs["total_investment"] = other.total - self.total
        return {name: diff for name, diff in diffs.items() if diff != 0}


def _days(first: date, last: date):
    return (first + timedelta(days=n) for n in range((last - first).days + 1))


def _spread(amount: Decimal, days: list[date]) -> dict[date, Decimal]:
    """Even shares rounded down to the cent, the last day taking the remainder."""
    share = (amount / len(days)).quantize(CENT, ROUND_FLOOR)
    spread = dict.fromkeys(days[:-1], share)
    spread[days[-1]] = amount - share * (len(days) - 1)
    return spread


def _read_seed(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _landed(landing_root: Path, source: str, entity: str, sql: str) -> list[tuple]:
    files = sorted((landing_root / source / entity).glob("date=*/*.parquet"))
    if not files:
        return []
    with duckdb.connect() as connection:
        relation = connection.read_parquet([str(f) for f in files], filename=True, hive_partitioning=False)
        connection.register("landed", relation)
        return connection.execute(sql).fetchall()


def media_spend(landing_root: Path, first: date, last: date) -> Decimal:
    placements = _landed(
        landing_root,
        "traditional_media",
        "placements",
        "select start_date, end_date, spend from landed "
        "where regexp_extract(filename, 'date=([0-9-]+)', 1) = "
        "(select max(regexp_extract(filename, 'date=([0-9-]+)', 1)) from landed)",
    )
    total = Decimal(0)
    for start, end, spend in placements:
        for day, amount in _spread(Decimal(spend), list(_days(start, end))).items():
            if first <= day <= last:
                total += amount
    ads = _landed(
        landing_root,
        "meta_ads",
        "ads_insights",
        "select spend from landed qualify regexp_extract(filename, 'date=([0-9-]+)', 1) = "
        "max(regexp_extract(filename, 'date=([0-9-]+)', 1)) over (partition by ad_account_id, date) "
        f"and date between '{first}' and '{last}'",
    )
    return total + sum((Decimal(spend) for (spend,) in ads), Decimal(0))


def staff_cost(seeds_dir: Path, first: date, last: date) -> Decimal:
    rates = sorted(
        (
            (r["role"], date.fromisoformat(r["effective_from"]), Decimal(r["hourly_rate"]))
            for r in _read_seed(seeds_dir, "loaded_rates")
        ),
        key=lambda rate: rate[1],
    )
    plan = _read_seed(seeds_dir, "staff_time")
    sheets = {
        (date.fromisoformat(r["week_start"]), r["role"], r["channel"]): Decimal(r["hours"])
        for r in _read_seed(seeds_dir, "staff_timesheets")
    }
    total = Decimal(0)
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        hours: dict[tuple[str, str], Decimal] = {}
        for row in plan:
            valid_to = _date(row["valid_to"])
            if date.fromisoformat(row["valid_from"]) <= monday and (valid_to is None or valid_to >= monday):
                hours[(row["role"], row["channel"])] = Decimal(row["hours_per_week"])
        hours.update({(role, channel): h for (week, role, channel), h in sheets.items() if week == monday})
        week_cost: dict[str, Decimal] = defaultdict(Decimal)
        for (role, channel), worked in hours.items():
            in_force = [rate for r, since, rate in rates if r == role and since <= monday]
            if in_force:
                week_cost[channel] += (worked * in_force[-1]).quantize(CENT, ROUND_HALF_UP)
        week = list(_days(monday, monday + timedelta(days=6)))
        for cost in week_cost.values():
            total += sum(amount for day, amount in _spread(cost, week).items() if first <= day <= last)
        monday += timedelta(days=7)
    return total


def tool_cost(seeds_dir: Path, first: date, last: date) -> Decimal:
    tools = _read_seed(seeds_dir, "tool_costs")
    allocations: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for row in _read_seed(seeds_dir, "tool_allocations"):
        allocations[row["tool"]].append((row["channel"], Decimal(row["share"])))
    total = Decimal(0)
    month = first.replace(day=1)
    while month <= last:
        month_days = list(_days(month, month.replace(day=calendar.monthrange(month.year, month.month)[1])))
        for tool in tools:
            valid_to = _date(tool["valid_to"])
            if not (date.fromisoformat(tool["valid_from"]) <= month and (valid_to is None or valid_to >= month)):
                continue
            monthly = Decimal(tool["monthly_cost"])
            shares = sorted(allocations[tool["tool"]])
            channel_costs = [(monthly * share).quantize(CENT, ROUND_HALF_UP) for _, share in shares[:-1]]
            channel_costs.append(monthly - sum(channel_costs, Decimal(0)))
            for cost in channel_costs:
                total += sum(amount for day, amount in _spread(cost, month_days).items() if first <= day <= last)
        month = month_days[-1] + timedelta(days=1)
    return total


def production_cost(seeds_dir: Path, first: date, last: date) -> Decimal:
    return sum(
        (
            Decimal(row["amount"])
            for row in _read_seed(seeds_dir, "production_costs")
            if first <= date.fromisoformat(row["cost_date"]) <= last
        ),
        Decimal(0),
    )


def expected_investment(landing_root: Path, seeds_dir: Path, first: date, last: date) -> Investment:
    """The whole investment of the days first..last, from the cost inputs."""
    return Investment(
        media_spend(landing_root, first, last),
        staff_cost(seeds_dir, first, last),
        tool_cost(seeds_dir, first, last),
        production_cost(seeds_dir, first, last),
    )


def mart_investment(warehouse: Path, months: list[date]) -> Investment:
    """The investment mart_roi reports for the given months (their first days)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        row = connection.execute(
            "select " + ", ".join(f"coalesce(sum({c}), 0)" for c in COMPONENTS) + " from mart_roi "
            "where month_start in (select unnest(?::date[]))",
            [months],
        ).fetchone()
    return Investment(*(Decimal(value) for value in row))
