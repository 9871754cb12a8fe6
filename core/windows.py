"""Which days a run covers and which days an extraction reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def partition_date_for(logical_date: datetime, tz: ZoneInfo) -> date:
    """A nightly run lands the last complete day in the organisation's timezone: the day before
    the run's logical date there."""
    return logical_date.astimezone(tz).date() - timedelta(days=1)


@dataclass(frozen=True)
class DateWindow:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def chunks(self, max_days: int) -> list[DateWindow]:
        """Split into consecutive windows of at most `max_days` days (API range limits)."""
        out, cursor = [], self.start
        while cursor <= self.end:
            last = min(cursor + timedelta(days=max_days - 1), self.end)
            out.append(DateWindow(cursor, last))
            cursor = last + timedelta(days=1)
        return out


def extraction_window(partition_date: date, has_history: bool, backfill_days: int, lookback_days: int) -> DateWindow:
    """The first run for an account backfills history; later runs re-read a short overlap because
    platforms revise recent days."""
    days = lookback_days if has_history else backfill_days
    return DateWindow(partition_date - timedelta(days=days - 1), partition_date)
