"""The days of Meta Graph API insights (Facebook Pages, Instagram accounts).

The Graph API reports a daily value for a day that ends at midnight America/Los_Angeles, whatever
the page's or the organisation's timezone: the value for day D has `end_time` = D+1 00:00 Pacific,
i.e. 07:00 UTC while Pacific daylight time is in force and 08:00 UTC otherwise (every public
recording of these endpoints shows one of the two). So the day a value measures is read from
`end_time` in that zone, and `since`/`until` are sent as Pacific midnights so that one day asked
for is one day answered. An `end_time` that is not a Pacific midnight means the API changed how it
counts days: the callers warn, naming it, rather than land values on days they may not measure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

INSIGHTS_TZ = ZoneInfo("America/Los_Angeles")


def graph_time(value: str) -> datetime:
    """A Graph timestamp (`2026-11-19T08:00:00+0000`) as an aware UTC datetime."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def insights_midnight(day: date) -> int:
    """Unix timestamp of the Pacific midnight starting `day`: a `since`/`until` for daily insights."""
    return int(datetime.combine(day, clock_time(), tzinfo=INSIGHTS_TZ).timestamp())


def measured_day(end_time: str) -> tuple[date, bool]:
    """The Pacific day a daily value's `end_time` closes, and whether `end_time` is a Pacific midnight."""
    local = graph_time(end_time).astimezone(INSIGHTS_TZ)
    return (local - timedelta(seconds=1)).date(), local.time() == clock_time()
