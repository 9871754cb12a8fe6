"""Which period a report run covers, in the organisation's timezone.

A report covers the last `count` complete units (days, weeks from Monday to Sunday, calendar
months) before the day its schedule last fired, and compares with the period of the same length
just before. The fire time is found with the cron expression in the organisation's timezone, so a
Monday 07:00 report stays at 07:00 local time on both sides of a daylight-saving change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

UNITS = ("day", "week", "month")


def unit_start(day: date, unit: str) -> date:
    """First day of the day, week (Monday) or month that contains `day`."""
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period unit {unit!r}; use one of {', '.join(UNITS)}")


def add_units(start: date, unit: str, count: int) -> date:
    """`start` (a unit's first day) moved by `count` units, backwards when negative."""
    if unit == "day":
        return start + timedelta(days=count)
    if unit == "week":
        return start + timedelta(weeks=count)
    months = start.year * 12 + start.month - 1 + count
    return date(months // 12, months % 12 + 1, 1)


@dataclass(frozen=True)
class ReportPeriod:
    start: date
    end: date  # inclusive
    unit: str
    count: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def key(self) -> str:
        """For file names and the delivery record: `2026-11-09_2026-11-15`."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """How people name it: `October 2026`, `9-15 Nov 2026`, `28 Dec 2026 - 3 Jan 2027`."""
        if self.unit == "month":
            if self.count == 1:
                return f"{self.start:%B %Y}"
            if self.start.year == self.end.year:
                return f"{self.start:%b}\u2013{self.end:%b %Y}"
            return f"{self.start:%b %Y} \u2013 {self.end:%b %Y}"
        if self.start == self.end:
            return f"{self.start.day} {self.start:%b %Y}"
        if (self.start.year, self.start.month) == (self.end.year, self.end.month):
            return f"{self.start.day}\u2013{self.end.day} {self.end:%b %Y}"
        if self.start.year == self.end.year:
            return f"{self.start.day} {self.start:%b} \u2013 {self.end.day} {self.end:%b %Y}"
        return f"{self.start.day} {self.start:%b %Y} \u2013 {self.end.day} {self.end:%b %Y}"

    def previous(self) -> ReportPeriod:
        """The period of the same length just before (the comparison)."""
        return period_ending_before(self.start, self.unit, self.count)

    def as_dict(self) -> dict[str, str | int]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "unit": self.unit, "count": self.count}

    @classmethod
    def from_dict(cls, data: dict) -> ReportPeriod:
        return cls(date.fromisoformat(data["start"]), date.fromisoformat(data["end"]), data["unit"], int(data["count"]))


def period_ending_before(day: date, unit: str, count: int) -> ReportPeriod:
    """The last `count` complete units before the unit that contains `day`."""
    end_exclusive = unit_start(day, unit)
    return ReportPeriod(add_units(end_exclusive, unit, -count), end_exclusive - timedelta(days=1), unit, count)


def period_starting(day: date, unit: str, count: int) -> ReportPeriod:
    """`count` units from the start of the unit that contains `day` (a resend of a past period)."""
    start = unit_start(day, unit)
    return ReportPeriod(start, add_units(start, unit, count) - timedelta(days=1), unit, count)


def last_fire_time(cron: str, as_of: datetime, tz: ZoneInfo) -> datetime:
    """The latest time at or before `as_of` the cron expression fires in `tz` (aware, in `tz`)."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    local = as_of.astimezone(tz)
    fired = croniter(cron, local).get_prev(datetime)
    following = croniter(cron, fired).get_next(datetime)
    return following if following <= local else fired


def due_period(cron: str, unit: str, count: int, as_of: datetime, tz: ZoneInfo) -> tuple[datetime, ReportPeriod]:
    """(when the schedule last fired, the period that run reports on)."""
    fired = last_fire_time(cron, as_of, tz)
    return fired, period_ending_before(fired.date(), unit, count)


def latest_covered_period(
    cron: str, unit: str, count: int, as_of: datetime, tz: ZoneInfo, data_through: date
) -> ReportPeriod:
    """The period the schedule last fired for or, when the data ends before it does, the last
    complete period the data covers (`make report` and the benchmark on an older warehouse)."""
    _, period = due_period(cron, unit, count, as_of, tz)
    return period if period.end <= data_through else period_ending_before(data_through + timedelta(days=1), unit, count)
