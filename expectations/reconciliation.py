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
- production costs count on their day;
- employee advocacy's employees' own time (part of its staff cost) is, per local share day and
  team, shares x minutes per share / 60 x the team's loaded rate (seeds/advocacy_teams.csv),
  rounded down to the cent, from the latest landed advocacy export: a share's team is its
  sharer's department in the users report, else the team code its utm_content names, else
  '(unknown)'. The program's licence and admin hours are a tool and staff time like any other.

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
from typing import TYPE_CHECKING

import duckdb

from core import storage

if TYPE_CHECKING:
    from warehouse import Warehouse

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
    local = storage.local_path(storage.location(landing_root))
    if local is None:
        raise storage.StorageError(
            f"reconciliation reads the landing zone with DuckDB, from a local folder: pass "
            f"DataPaths.local_landing(), not {landing_root}"
        )
    files = sorted((local / source / entity).glob("date=*/*.parquet"))
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


def employee_time_cost(landing_root: Path, seeds_dir: Path, first: date, last: date, minutes_per_share: int) -> Decimal:
    """Employees' own time on advocacy shares made on the local days first..last."""
    teams = _read_seed(seeds_dir, "advocacy_teams")
    code_of = {row["team"]: row["team_code"] for row in teams}
    rates = {row["team_code"]: Decimal(row["hourly_rate"]) for row in teams}
    latest = f"{_LANDED} = (select max({_LANDED}) from landed)"
    department = dict(
        _landed(landing_root, "employee_advocacy", "advocates", f"select advocate_key, team from landed where {latest}")
    )
    shares: dict[tuple[date, str], int] = defaultdict(int)
    for day, advocate, content in _landed(
        landing_root,
        "employee_advocacy",
        "shares",
        f"select share_day, advocate_key, utm_content from landed where {latest} "
        f"and share_day between '{first}' and '{last}'",
    ):
        linked = (content or "").split("_", 1)[0]
        team = code_of.get(department.get(advocate)) or (linked if linked in rates else "(unknown)")
        shares[(day, team)] += 1
    return sum(
        (
            (Decimal(count * minutes_per_share) * rates.get(team, Decimal(0)) / 60).quantize(CENT, ROUND_FLOOR)
            for (_, team), count in shares.items()
        ),
        Decimal(0),
    )


def expected_investment(
    landing_root: Path, seeds_dir: Path, first: date, last: date, minutes_per_share: int | None = None
) -> Investment:
    """The whole investment of the days first..last, from the cost inputs. `minutes_per_share`:
    an advocacy share's employee time (default: config/pipeline.yml's, as the build is given)."""
    if minutes_per_share is None:
        from sources.config import load_config

        minutes_per_share = load_config().sources.employee_advocacy.minutes_per_share
    return Investment(
        media_spend(landing_root, first, last),
        staff_cost(seeds_dir, first, last)
        + employee_time_cost(landing_root, seeds_dir, first, last, minutes_per_share),
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


# The organic platforms whose post snapshots carry lifetime impressions: (source, snapshots
# entity, posts entity, post column); the platform name is the one social_metric_map.csv uses.
_POST_SNAPSHOTS = {
    "facebook": ("facebook_pages", "post_snapshots", "posts", "post_id"),
    "instagram": ("instagram", "media_snapshots", "media", "media_id"),
    "x": ("x", "post_snapshots", "posts", "post_id"),
    "youtube": ("youtube", "video_snapshots", "videos", "video_id"),
}
_ACCOUNT_DAILY = {
    "facebook": ("facebook_pages", "page_insights", "page_id"),
    "instagram": ("instagram", "account_insights", "account_id"),
    "youtube": ("youtube", "channel_daily", "channel_id"),
    "linkedin": ("linkedin", "organization_daily", "organization_id"),
}
_LANDED = "regexp_extract(filename, 'date=([0-9-]+)', 1)"


def _half_up(value: float) -> int:
    """Round as SQL's round() does (halves away from zero), not as Python's round() (to even)."""
    return int(Decimal(repr(value)).quantize(Decimal(1), ROUND_HALF_UP))


def _metric_map(seeds_dir: Path, level: str, metric: str) -> dict[str, list[str]]:
    mapped: dict[str, list[str]] = defaultdict(list)
    for row in _read_seed(seeds_dir, "social_metric_map"):
        if row["level"] == level and row["metric"] == metric:
            mapped[row["platform"]].append(row["source_metric"])
    return mapped


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def _post_impressions_through(
    landing_root: Path,
    source: str,
    snapshots: str,
    posts: str,
    post_column: str,
    metrics: list[str],
    last: date,
    tz: str,
) -> int:
    """A post's impressions on the days up to `last`, as int_social_post_daily attributes them: its
    first snapshot to its publication day (or the day read, if earlier), every later snapshot to
    the day it was read, each adding its increase over the highest value so far; so the days up to
    `last` add up to the highest value among the snapshots attributed to them. Snapshots read
    after `last` (a later night's, when an earlier day is rerun) count only as a first snapshot
    of a post published by `last`."""
    published = {
        post: created
        for post, created in _landed(
            landing_root,
            source,
            posts,
            f"select {post_column}, cast(timezone('{tz}', min(created_time)) as date) from landed group by all",
        )
    }
    total = 0
    for post, first_read, highest_read_by_last, first_value in _landed(
        landing_root,
        source,
        snapshots,
        f"select {post_column}, min(as_of_date), max(value) filter (where as_of_date <= '{last}'), "
        "arg_min(value, as_of_date) from (select * from landed "
        f"where metric in ({_sql_list(metrics)}) qualify row_number() over "
        f"(partition by {post_column}, metric, as_of_date order by {_LANDED} desc, _extracted_at desc) = 1) "
        f"group by {post_column}",
    ):
        if post not in published:
            continue
        if first_read <= last:
            total += highest_read_by_last or 0
        elif published[post] <= last:
            total += first_value or 0
    return total


def impressions(landing_root: Path, seeds_dir: Path, first: date, last: date, tz: str) -> int:
    """Impressions of the days first..last: paid (ads insights), traditional (gross impressions per
    docs/metrics.md §5, spread over the flight like spend), employee advocacy (its shares' potential
    reach, by local share day, from the latest export) and organic: the posts' lifetime impressions
    as attributed to the days up to `last` (the run date, where the reporting calendar ends),
    plus account-level daily impressions. `tz` is the organisation's timezone (a post's
    publication day). Organic post impressions are only comparable over the whole reporting
    calendar (a post's history before it was first read sits on its publication day)."""
    total = 0
    for (value,) in _landed(
        landing_root,
        "meta_ads",
        "ads_insights",
        f"select coalesce(impressions, 0) from landed qualify {_LANDED} = max({_LANDED}) "
        f"over (partition by ad_account_id, date) and date between '{first}' and '{last}'",
    ):
        total += value
    for channel, start, end, grps, universe, circulation, readers, ooh, pieces in _landed(
        landing_root,
        "traditional_media",
        "placements",
        "select channel, start_date, end_date, grps, universe, circulation, readers_per_copy, impressions, "
        f"pieces_mailed from landed where {_LANDED} = (select max({_LANDED}) from landed)",
    ):
        if channel in ("tv", "radio"):
            gross = _half_up(grps * universe / 100)
        elif channel == "print":
            gross = _half_up(circulation * readers)
        else:
            gross = ooh if channel == "ooh" else pieces
        days = list(_days(start, end))
        share = gross // len(days)
        for index, day in enumerate(days):
            if first <= day <= last:
                total += gross - share * (len(days) - 1) if index == len(days) - 1 else share
    post_metrics = _metric_map(seeds_dir, "post", "impressions")
    for platform, (source, snapshots, posts, post_column) in _POST_SNAPSHOTS.items():
        if post_metrics.get(platform):
            total += _post_impressions_through(
                landing_root, source, snapshots, posts, post_column, post_metrics[platform], last, tz
            )
    # Employee advocacy's impressions are its shares' potential reach (level 'share').
    share_metrics = _metric_map(seeds_dir, "share", "impressions").get("employee_advocacy", [])
    if share_metrics:
        for (value,) in _landed(
            landing_root,
            "employee_advocacy",
            "shares",
            f"select coalesce({' + '.join(share_metrics)}, 0) from landed "
            f"where {_LANDED} = (select max({_LANDED}) from landed) and share_day between '{first}' and '{last}'",
        ):
            total += value
    account_metrics = _metric_map(seeds_dir, "account", "impressions")
    for platform, (source, entity, account_column) in _ACCOUNT_DAILY.items():
        if not account_metrics.get(platform):
            continue
        for (value,) in _landed(
            landing_root,
            source,
            entity,
            f"select coalesce(value, 0) from landed where metric in ({_sql_list(account_metrics[platform])}) "
            f"and date between '{first}' and '{last}' qualify row_number() over "
            f"(partition by {account_column}, metric, date order by {_LANDED} desc, _extracted_at desc) = 1",
        ):
            total += value
    return total


def conversions(landing_root: Path, seeds_dir: Path, first: date, last: date) -> int:
    """First-party conversions of the days first..last: GA4 key events whose UTM source / medium
    belongs to a channel (seeds/utm_channels.csv; '*' matches any source) and qualified calls to a
    tracking number of the current media plan."""
    channels = {(row["session_source"], row["session_medium"]) for row in _read_seed(seeds_dir, "utm_channels")}
    total = 0
    for source, medium, events in _landed(
        landing_root,
        "ga4",
        "key_events",
        "select lower(session_source), lower(session_medium), key_events from landed "
        f"where date between '{first}' and '{last}' "
        f"qualify {_LANDED} = max({_LANDED}) over (partition by property_id, date)",
    ):
        if (source, medium) in channels or ("*", medium) in channels:
            total += events
    numbers = {
        number
        for (number,) in _landed(
            landing_root,
            "traditional_media",
            "placements",
            f"select tracking_number from landed where {_LANDED} = (select max({_LANDED}) from landed)",
        )
        if number
    }
    for number, qualified in _landed(
        landing_root,
        "call_tracking",
        "calls",
        f"select tracking_number, qualified_calls from landed where {_LANDED} = (select max({_LANDED}) from landed) "
        f"and date between '{first}' and '{last}'",
    ):
        if number in numbers:
            total += qualified
    return total


def expected_totals(
    landing_root: Path,
    seeds_dir: Path,
    first: date,
    last: date,
    tz: str | None = None,
    minutes_per_share: int | None = None,
) -> dict[str, Decimal]:
    """What the marts must add up to over the whole reporting calendar (first..last, `last` being
    the run date the build was told), read from the landing files the build reads. `tz`: the
    organisation's timezone, `minutes_per_share`: an advocacy share's employee time (defaults:
    config/pipeline.yml's)."""
    if tz is None:
        from sources.config import load_config

        tz = load_config().organisation.timezone
    investment = expected_investment(landing_root, seeds_dir, first, last, minutes_per_share)
    return {
        "media_spend": investment.media_spend,
        "total_investment": investment.total,
        "impressions": Decimal(impressions(landing_root, seeds_dir, first, last, tz)),
        "conversions": Decimal(conversions(landing_root, seeds_dir, first, last)),
    }


def mart_totals(where: Warehouse) -> tuple[date, date, dict[str, Decimal]]:
    """The reporting calendar of a built warehouse and what its marts add up to over it. The
    calendar ends on the run date dbt was given (`run_date`)."""
    [(first, last)] = where.query("select min(date_day), max(date_day) from int_reporting_calendar")
    [(media, investment, roi_conversions)] = where.query(
        "select coalesce(sum(media_spend), 0), coalesce(sum(total_investment), 0), coalesce(sum(conversions), 0) "
        "from mart_roi",
    )
    [(impressions_total,)] = where.query("select coalesce(sum(impressions), 0) from fct_channel_daily")
    return (
        first,
        last,
        {
            "media_spend": Decimal(media),
            "total_investment": Decimal(investment),
            "impressions": Decimal(impressions_total),
            "conversions": Decimal(roi_conversions),
        },
    )
