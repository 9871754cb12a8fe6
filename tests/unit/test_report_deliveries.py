"""The report_deliveries record: one atomically written Parquet file per delivery in the landing
zone, which settles a report's period once, keeps resends as history and never holds an address."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from core import storage
from core.landing import LINEAGE_FIELDS
from reports.deliveries import (
    ENTITY,
    REPORT_DELIVERIES,
    SENT,
    SKIPPED_NO_DATA,
    SOURCE,
    deliveries,
    done,
    record_delivery,
)
from reports.periods import ReportPeriod

CHICAGO = ZoneInfo("America/Chicago")
WEEK = ReportPeriod(date(2026, 11, 9), date(2026, 11, 15), "week", 1)
NEXT_WEEK = ReportPeriod(date(2026, 11, 16), date(2026, 11, 22), "week", 1)


def _record(landing, period=WEEK, status=SENT, trigger="scheduled", report="weekly_social_performance"):
    return record_delivery(
        report,
        period,
        status,
        trigger,
        ["pdf", "xlsx", "csv"],
        6,
        2,
        ["folder:file:///srv/reports/weekly", "email:smtp_default"],
        "<1.weekly@cedarvalleyhealth.org>",
        "scheduled__2026-11-16",
        CHICAGO,
        landing,
    )


def test_a_delivery_lands_one_file_with_the_schema_and_lineage(tmp_path):
    path = _record(tmp_path)
    assert path.parent.parent == storage.location(tmp_path) / SOURCE / ENTITY
    assert path.parent.name.startswith("date=") and path.name.startswith(
        "weekly_social_performance.2026-11-09_2026-11-15."
    )
    table = storage.read_table(path)
    assert table.schema.names == REPORT_DELIVERIES.names + [field.name for field in LINEAGE_FIELDS]
    row = table.to_pylist()[0]
    assert row["recipients"] == 2 and row["files"] == 6 and row["formats"] == "pdf,xlsx,csv"
    assert "@" not in row["targets"], "addresses never go into the record"
    assert row["_run_id"] == "scheduled__2026-11-16"
    assert not list(path.parent.glob(".*.tmp")), "no temporary file is left behind"


def test_a_period_is_done_once_sent_or_skipped_and_resends_are_history(tmp_path):
    assert done(tmp_path, "weekly_social_performance", WEEK) is None
    _record(tmp_path)
    _record(tmp_path, trigger="resend")
    _record(tmp_path, NEXT_WEEK, status=SKIPPED_NO_DATA)
    _record(tmp_path, report="monthly_marketing_roi")

    first = done(tmp_path, "weekly_social_performance", WEEK)
    assert (first.status, first.trigger) == (SENT, "scheduled")
    assert done(tmp_path, "weekly_social_performance", NEXT_WEEK).status == SKIPPED_NO_DATA
    history = deliveries(tmp_path, "weekly_social_performance")
    assert [(d.period_start, d.trigger) for d in history] == [
        (WEEK.start, "scheduled"),
        (WEEK.start, "resend"),
        (NEXT_WEEK.start, "scheduled"),
    ]
    assert len(deliveries(tmp_path)) == 4
