"""Which period a report run covers: week starts, month ends, daylight-saving changes in the
organisation's timezone, and the previous period it is compared with."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from reports.periods import ReportPeriod, due_period, last_fire_time, period_ending_before, period_starting

CHICAGO = ZoneInfo("America/Chicago")
WEEKLY = "0 7 * * 1"  # Mondays 07:00
MONTHLY = "0 7 1 * *"  # the 1st, 07:00


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("as_of", "start", "end"),
    [
        # 2 Nov 2026: the first Monday after daylight saving ended (1 Nov), 07:00 CST = 13:00 UTC.
        ("2026-11-02T12:59:59Z", "2026-10-19", "2026-10-25"),
        ("2026-11-02T13:00:00Z", "2026-10-26", "2026-11-01"),
        # 26 Oct 2026, still daylight time: 07:00 CDT = 12:00 UTC.
        ("2026-10-26T11:59:00Z", "2026-10-12", "2026-10-18"),
        ("2026-10-26T12:00:00Z", "2026-10-19", "2026-10-25"),
        # 9 Mar 2026, the first Monday of daylight time (from 8 Mar): 07:00 CDT = 12:00 UTC.
        ("2026-03-09T11:59:00Z", "2026-02-23", "2026-03-01"),
        ("2026-03-09T12:00:00Z", "2026-03-02", "2026-03-08"),
        # Mid-week: the last complete Monday-to-Sunday week before the last Monday run.
        ("2026-11-19T18:00:00Z", "2026-11-09", "2026-11-15"),
        # Across the new year.
        ("2027-01-04T13:00:00Z", "2026-12-28", "2027-01-03"),
    ],
)
def test_weekly_report_covers_the_last_complete_week_before_the_monday_run(as_of, start, end):
    fired, period = due_period(WEEKLY, "week", 1, utc(as_of), CHICAGO)
    assert (period.start, period.end) == (date.fromisoformat(start), date.fromisoformat(end))
    assert period.start.weekday() == 0 and period.end.weekday() == 6
    assert (fired.hour, fired.minute, fired.weekday()) == (7, 0, 0)


@pytest.mark.parametrize(
    ("as_of", "start", "end"),
    [
        # 1 Mar 2026, 07:00 CST = 13:00 UTC: February (28 days).
        ("2026-03-01T12:59:00Z", "2026-01-01", "2026-01-31"),
        ("2026-03-01T13:00:00Z", "2026-02-01", "2026-02-28"),
        # 1 Apr 2026, in daylight time: 07:00 CDT = 12:00 UTC.
        ("2026-04-01T11:59:00Z", "2026-02-01", "2026-02-28"),
        ("2026-04-01T12:00:00Z", "2026-03-01", "2026-03-31"),
        # A leap year.
        ("2028-03-01T13:00:00Z", "2028-02-01", "2028-02-29"),
        # 1 Nov 2026 is the day daylight saving ends; the run is at 07:00 CST.
        ("2026-11-01T13:00:00Z", "2026-10-01", "2026-10-31"),
        # 1 Jan: December of the year before.
        ("2027-01-01T13:00:00Z", "2026-12-01", "2026-12-31"),
        # 05:30 UTC on 1 Dec is still 30 Nov in Chicago: the November run has not fired yet.
        ("2026-12-01T05:30:00Z", "2026-10-01", "2026-10-31"),
    ],
)
def test_monthly_report_covers_the_previous_calendar_month(as_of, start, end):
    _, period = due_period(MONTHLY, "month", 1, utc(as_of), CHICAGO)
    assert (period.start, period.end) == (date.fromisoformat(start), date.fromisoformat(end))


def test_the_run_fires_at_local_time_on_both_sides_of_a_dst_change():
    before = last_fire_time(WEEKLY, utc("2026-10-26T12:00:00Z"), CHICAGO)
    after = last_fire_time(WEEKLY, utc("2026-11-02T13:00:00Z"), CHICAGO)
    assert before.utcoffset() != after.utcoffset()
    assert (before.hour, after.hour) == (7, 7)
    with pytest.raises(ValueError, match="timezone-aware"):
        last_fire_time(WEEKLY, datetime(2026, 11, 2, 13), CHICAGO)


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (ReportPeriod(date(2026, 3, 1), date(2026, 3, 31), "month", 1), ("2026-02-01", "2026-02-28")),
        (ReportPeriod(date(2026, 1, 1), date(2026, 1, 31), "month", 1), ("2025-12-01", "2025-12-31")),
        # A rolling quarter is compared with the three months before.
        (ReportPeriod(date(2026, 8, 1), date(2026, 10, 31), "month", 3), ("2026-05-01", "2026-07-31")),
        (ReportPeriod(date(2026, 11, 9), date(2026, 11, 15), "week", 1), ("2026-11-02", "2026-11-08")),
        (ReportPeriod(date(2026, 10, 19), date(2026, 11, 15), "week", 4), ("2026-09-21", "2026-10-18")),
        (ReportPeriod(date(2026, 11, 1), date(2026, 11, 28), "day", 28), ("2026-10-04", "2026-10-31")),
    ],
)
def test_previous_period_is_the_same_length_just_before(period, previous):
    prior = period.previous()
    assert (prior.start.isoformat(), prior.end.isoformat()) == previous
    assert (prior.end - period.start).days == -1


def test_rolling_periods_and_resend_alignment():
    assert period_ending_before(date(2026, 11, 21), "day", 28).key == "2026-10-24_2026-11-20"
    assert period_ending_before(date(2026, 11, 21), "month", 3).key == "2026-08-01_2026-10-31"
    # A resend names any day inside the period it wants.
    assert period_starting(date(2026, 11, 11), "week", 1).key == "2026-11-09_2026-11-15"
    assert period_starting(date(2026, 2, 17), "month", 1).key == "2026-02-01_2026-02-28"


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (ReportPeriod(date(2026, 10, 1), date(2026, 10, 31), "month", 1), "October 2026"),
        (ReportPeriod(date(2026, 8, 1), date(2026, 10, 31), "month", 3), "Aug\u2013Oct 2026"),
        (ReportPeriod(date(2026, 11, 9), date(2026, 11, 15), "week", 1), "9\u201315 Nov 2026"),
        (ReportPeriod(date(2026, 10, 26), date(2026, 11, 1), "week", 1), "26 Oct \u2013 1 Nov 2026"),
        (ReportPeriod(date(2026, 12, 28), date(2027, 1, 3), "week", 1), "28 Dec 2026 \u2013 3 Jan 2027"),
    ],
)
def test_period_labels_read_as_people_name_them(period, label):
    assert period.label == label
    assert ReportPeriod.from_dict(period.as_dict()) == period
