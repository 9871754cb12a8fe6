"""The demo's marketing history: the weeks before the pipeline started, as a team would drop them in
the marketing-history inbox (`sources.marketing_history`), one row per ISO week x channel.

Its numbers are the sandbox's truth, so a marketing-mix model fitted on them can be checked
against the world (`sandbox.conversions`):

- activity: the world's weekly drivers (`ConversionsWorld.weekly_drivers`): campaign posts on each
  organic platform (`posts`); gross impressions of the media plan's placements (`impressions`,
  the drivers' thousands x 1000; direct mail: pieces mailed); Meta ads impressions from the ads
  world's delivery.
- `media_spend`: Meta ads spend from the ads world (to the cent); for traditional media the
  placements' spend (`sandbox.media_plan.placements_between`) spread evenly over their flight days
  as `int_traditional_media__placement_daily` spreads it (each day the even share rounded down to
  the cent, the last day the remainder); organic social 0.
- `total_investment`: media spend plus the week's costs from the dbt seeds, as the warehouse
  costs them: staff time (`staff_time.csv`, replaced by `staff_timesheets.csv` for a recorded week,
  at the loaded rate in force on the Monday, `loaded_rates.csv`), tools (`tool_costs.csv` shared by
  `tool_allocations.csv`, each month's cost spread over its days) and production (`production_costs.csv`
  on its day); employee advocacy adds its employees' own time, each day's shares per team
  (`sandbox.advocacy.team_days`) x `sources.employee_advocacy.minutes_per_share` / 60 x the team's
  loaded rate (`advocacy_teams.csv`), rounded down to the cent, as the warehouse costs it. Shared
  overhead is left out (the warehouse allocates it monthly, by the month's activity).
- key events: the drawn web-analytics rows of each day (`ConversionsWorld.web`) mapped to a
  channel by session source / medium as `dbt/seeds/utm_channels.csv` maps them ('*' matches any
  source, a source's own row wins); sessions no row claims (search, direct) go to `(none)`. Their
  value is `conversion_values.csv`'s value per conversion for the event and the campaign's service
  line (`campaigns.csv`, campaign keys of `campaign_keys.csv` resolved), else the event's '*' row.

Only weekly totals per channel: no person-level data."""

from __future__ import annotations

import calendar
import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from core.paths import PROJECT_ROOT
from sandbox.advocacy import team_days
from sandbox.conversions import ORGANIC_PLATFORMS, ConversionsWorld
from sandbox.media_plan import DEFAULT_SEED as DEFAULT_PLAN_SEED
from sandbox.media_plan import placements_between, write_inbox_file
from sources.config import load_config
from sources.marketing_history import CHANNELS, NO_CHANNEL, REQUIRED_COLUMNS

FILE_NAME = "cedar_valley_marketing_history.csv"
COLUMNS = list(REQUIRED_COLUMNS)
SEEDS = PROJECT_ROOT / "dbt" / "seeds"
DEFAULT_WORLD_SEED = 42
TRADITIONAL = ("tv", "radio", "print", "ooh", "direct_mail")
ADVOCACY = "employee_advocacy"
EVENT_COLUMNS = {"appointment_request": "appointment_requests", "class_registration": "class_registrations"}
_CENT = Decimal("0.01")


def write_marketing_history(
    folder: Path,
    first_monday: date,
    weeks: int,
    seed: int = DEFAULT_WORLD_SEED,
    scale: float = 1.0,
    plan_seed: int = DEFAULT_PLAN_SEED,
) -> Path:
    """Write `weeks` ISO weeks of history from `first_monday` into `folder` (atomically), from the
    worlds of `seed` and `scale` and the media plan of `plan_seed`."""
    return write_inbox_file(folder, FILE_NAME, history_csv(first_monday, weeks, seed, scale, plan_seed))


# The file is a pure function of its arguments and takes seconds to compute (two years of the
# world's days); a process that stages the inboxes again for the same day (the tests, the
# benchmarks) writes the text it already has.
@cache
def history_csv(first_monday: date, weeks: int, seed: int, scale: float, plan_seed: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in weekly_history(first_monday, weeks, seed, scale, plan_seed):
        writer.writerow(["" if row[column] is None else row[column] for column in COLUMNS])
    return buffer.getvalue()


def weekly_history(
    first_monday: date,
    weeks: int,
    seed: int = DEFAULT_WORLD_SEED,
    scale: float = 1.0,
    plan_seed: int = DEFAULT_PLAN_SEED,
) -> list[dict[str, object]]:
    """The rows of the file: per week, every channel of the channels seed, then `(none)`."""
    if first_monday.weekday() != 0:
        raise ValueError(f"first_monday must be a Monday: {first_monday} is a {first_monday:%A}")
    world = ConversionsWorld(seed=seed, scale=scale, plan_seed=plan_seed)
    drivers = world.weekly_drivers(first_monday, weeks)
    rows = []
    for week in range(weeks):
        monday = first_monday + timedelta(weeks=week)
        days = [monday + timedelta(days=offset) for offset in range(7)]
        spend = _media_spend(world, days, plan_seed)
        impressions = _impressions(world, days, drivers, week)
        events, values = _key_events(world, days)
        for channel in (*CHANNELS, NO_CHANNEL):
            media = spend.get(channel, Decimal(0)).quantize(_CENT)
            total = Decimal(0) if channel == NO_CHANNEL else media + _other_costs(channel, days, seed, scale)
            posts = round(drivers[channel][week]) if channel in ORGANIC_PLATFORMS else None
            rows.append(
                {
                    "week_start": monday.isoformat(),
                    "channel": channel,
                    "media_spend": f"{media:.2f}",
                    "total_investment": f"{total.quantize(_CENT):.2f}",
                    "posts": posts,
                    "impressions": impressions.get(channel),
                    **{column: events[channel].get(event, 0) for event, column in EVENT_COLUMNS.items()},
                    "conversion_value": f"{values[channel].quantize(_CENT):.2f}",
                }
            )
    return rows


def _media_spend(world: ConversionsWorld, days: list[date], plan_seed: int) -> dict[str, Decimal]:
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for day in days:
        spend["meta_ads"] += sum(world.paid.campaign_spend(day).values(), Decimal(0))
    for placement in placements_between(days[0], days[-1], plan_seed):
        for day in days:
            if placement.start <= day <= placement.end:
                spend[placement.channel] += _day_share(placement.spend, placement.flight_days, day == placement.end)
    return spend


def _day_share(amount: Decimal, parts: int, is_last: bool) -> Decimal:
    """A day's share of a flight's amount: rounded down to the cent, the last day the remainder."""
    share = (amount / parts).quantize(_CENT, ROUND_DOWN)
    return amount - share * (parts - 1) if is_last else share


def _impressions(
    world: ConversionsWorld, days: list[date], drivers: dict[str, list[float]], week: int
) -> dict[str, int]:
    impressions = {channel: round(drivers[channel][week] * 1000) for channel in TRADITIONAL}
    impressions["meta_ads"] = sum(
        row.impressions for account in world.paid.accounts for day in days for row in world.paid.delivery(account, day)
    )
    return impressions


def _key_events(world: ConversionsWorld, days: list[date]) -> tuple[dict[str, dict[str, int]], dict[str, Decimal]]:
    events: dict[str, dict[str, int]] = {channel: defaultdict(int) for channel in (*CHANNELS, NO_CHANNEL)}
    values: dict[str, Decimal] = defaultdict(Decimal)
    for day in days:
        for row in world.web(day):
            channel = utm_channel(row.source, row.medium)
            for event, count in row.key_events.items():
                events[channel][event] += count
                values[channel] += count * value_per_conversion(event, row.campaign)
    return events, values


def utm_channel(source: str, medium: str) -> str:
    """The channel `dbt/seeds/utm_channels.csv` gives a session source / medium, or `(none)`."""
    mapping = _utm_channels()
    return mapping.get((source, medium)) or mapping.get(("*", medium)) or NO_CHANNEL


def value_per_conversion(event: str, campaign: str) -> Decimal:
    """`conversion_values.csv`'s value for the event and the campaign's service line, else its '*' row."""
    values = _conversion_values()
    service_line = _service_lines().get(_campaign_ids().get(campaign, campaign))
    return values.get((event, service_line)) or values[(event, "*")]


def _other_costs(channel: str, days: list[date], seed: int, scale: float) -> Decimal:
    costs = _staff_cost(channel, days[0]) + sum(_tool_cost(channel, day) for day in days) + _production(channel, days)
    if channel == ADVOCACY:
        costs += _employee_time(days, seed, scale)
    return costs


def _employee_time(days: list[date], seed: int, scale: float) -> Decimal:
    minutes = load_config().sources.employee_advocacy.minutes_per_share
    rates = {row["team_code"]: Decimal(row["hourly_rate"]) for row in _seed("advocacy_teams")}
    return sum(
        (
            (Decimal(row.shares * minutes) * rates[row.team] / 60).quantize(_CENT, ROUND_DOWN)
            for row in team_days(days[0], days[-1], seed, scale)
        ),
        Decimal(0),
    )


def _staff_cost(channel: str, monday: date) -> Decimal:
    recorded = {
        row["role"]: Decimal(row["hours"])
        for row in _seed("staff_timesheets")
        if row["channel"] == channel and date.fromisoformat(row["week_start"]) == monday
    }
    hours = {
        row["role"]: Decimal(row["hours_per_week"])
        for row in _seed("staff_time")
        if row["channel"] == channel and _valid_on(row, monday)
    }
    hours.update(recorded)
    total = Decimal(0)
    for role, worked in hours.items():
        rates = [
            r for r in _seed("loaded_rates") if r["role"] == role and date.fromisoformat(r["effective_from"]) <= monday
        ]
        if rates:
            rate = Decimal(max(rates, key=lambda r: r["effective_from"])["hourly_rate"])
            total += (worked * rate).quantize(_CENT, ROUND_HALF_UP)
    return total


def _tool_cost(channel: str, day: date) -> Decimal:
    """The channel's share of the tools' monthly costs on `day` (a month's cost over its days)."""
    first = day.replace(day=1)
    month_days = calendar.monthrange(day.year, day.month)[1]
    total = Decimal(0)
    for tool in _seed("tool_costs"):
        if not _valid_on(tool, first):
            continue
        for share in _seed("tool_allocations"):
            if share["tool"] == tool["tool"] and share["channel"] == channel:
                total += Decimal(tool["monthly_cost"]) * Decimal(share["share"]) / month_days
    return total


def _production(channel: str, days: list[date]) -> Decimal:
    return sum(
        (
            Decimal(row["amount"])
            for row in _seed("production_costs")
            if row["channel"] == channel and days[0] <= date.fromisoformat(row["cost_date"]) <= days[-1]
        ),
        Decimal(0),
    )


def _valid_on(row: dict[str, str], day: date) -> bool:
    return date.fromisoformat(row["valid_from"]) <= day and (
        not row["valid_to"] or day <= date.fromisoformat(row["valid_to"])
    )


@cache
def _seed(name: str) -> tuple[dict[str, str], ...]:
    with open(SEEDS / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


@cache
def _utm_channels() -> dict[tuple[str, str], str]:
    return {(row["session_source"], row["session_medium"]): row["channel"] for row in _seed("utm_channels")}


@cache
def _conversion_values() -> dict[tuple[str, str], Decimal]:
    return {
        (row["conversion_type"], row["service_line"]): Decimal(row["value_per_conversion"])
        for row in _seed("conversion_values")
    }


@cache
def _service_lines() -> dict[str, str]:
    return {row["campaign_id"]: row["service_line"] for row in _seed("campaigns")}


@cache
def _campaign_ids() -> dict[str, str]:
    """utm_campaign spellings of `campaign_keys.csv` -> campaign id."""
    return {row["external_key"]: row["campaign_id"] for row in _seed("campaign_keys") if row["source"] == "utm"}
