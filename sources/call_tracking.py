"""Call tracking: the call-tracking vendor's export, dropped as CSV or XLSX files in an inbox folder.

Each offline placement has its own phone number (the media plan's `tracking_number`); the vendor
counts the calls to each number per day. Every run validates each file of the inbox and lands the
rows of all valid files together as one snapshot partition (`call_tracking/calls/date=<day>/
call_log.parquet`), so the inbox holds the whole call history the warehouse should see, and a rerun
of a day replaces that day's snapshot. Bad files are quarantined with a reason, the valid ones land,
and then the run fails so the task alerts (rules shared with the media plan: `extractors.inbox`).

File format: a header row with exactly these names; in a workbook, a sheet named "Call log" or the
only sheet:

    date, tracking_number, calls, qualified_calls

- `date`: the day the calls came in (ISO, month/day/year or a date cell; see `extractors.cells`),
  never after the day the file is taken (a later day is a mistyped year).
- `tracking_number`: a 10-digit US number or an international number starting with +, stored as
  E.164 (+13195550101).
- `calls`, `qualified_calls`: whole numbers >= 0; qualified calls (those the vendor rates as a real
  lead) are part of the calls, so never more.
- One row per tracking number and day across all files of the inbox."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from core.settings import Identifier, InboxSourceSettings
from core.severity import critical
from extractors.cells import E164, parse_count, parse_date, parse_phone, plain_counts, plain_dates, plain_phones
from extractors.inbox import Inbox, InboxFileError, Row, UniqueKey
from extractors.spec import InboxSource

SOURCE = "call_tracking"
ENTITY = "calls"
PART = "call_log"

REQUIRED_COLUMNS = ("date", "tracking_number", "calls", "qualified_calls")


class CallTracking(InboxSourceSettings):
    # Folder under the data directory's inbox/ where the call-tracking exports are dropped (CSV or XLSX).
    inbox: Identifier = "call_tracking"


# Call tracking: the vendor's export of calls per tracking number and day, dropped in an inbox
# (every file of the inbox is the current call log, landed as one snapshot like the media plan).
# The number ties the calls to a placement of the media plan (its tracking_number column).
CALL_TRACKING_CALLS = pa.schema(
    [
        pa.field("tracking_number", pa.string(), nullable=False),  # E.164, e.g. +13195550101
        pa.field("date", pa.date32(), nullable=False),
        pa.field("calls", pa.int64(), nullable=False),
        pa.field("qualified_calls", pa.int64(), nullable=False),  # calls the vendor rates as a real lead
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)


class CallLogError(InboxFileError):
    """A call-log file (or several) could not be landed; the message says where and what to fix."""


def _check_call_count(row: Row, record: dict[str, Any]) -> None:
    record["date"] = row.value(
        "date", parse_date, missing="date is empty; write the day of the calls, e.g. 2026-03-31."
    )
    record["tracking_number"] = row.value(
        "tracking_number", parse_phone, missing="tracking_number is empty; write the number that was called."
    )
    calls = row.value("calls", parse_count, missing="calls is empty; write 0 for a day without calls.")
    qualified = row.value(
        "qualified_calls", parse_count, missing="qualified_calls is empty; write 0 when no call qualified."
    )
    if calls is not None and qualified is not None and qualified > calls:
        row.problem(
            "qualified_calls",
            f"qualified_calls {qualified} is more than calls {calls}; qualified calls are part of the calls.",
        )
    record["calls"], record["qualified_calls"] = calls, qualified


def _check_plain_call_counts(cells: dict[str, pa.Array]) -> tuple[dict[str, pa.Array], pa.Array]:
    """The rows of a vendor export as most are written (ISO date, E.164 number, digits) that
    _check_call_count accepts, column-wise: a year of calls has a million rows."""
    typed = {
        "date": plain_dates(cells["date"]),
        "tracking_number": plain_phones(cells["tracking_number"]),
        "calls": plain_counts(cells["calls"]),
        "qualified_calls": plain_counts(cells["qualified_calls"]),
    }
    ok = pc.and_(
        pc.and_(pc.is_valid(typed["date"]), pc.is_valid(typed["tracking_number"])),
        pc.less_equal(typed["qualified_calls"], typed["calls"]),
    )
    return typed, ok


CALL_LOG = Inbox(
    source=SOURCE,
    entity=ENTITY,
    part=PART,
    schema=CALL_TRACKING_CALLS,
    kind="call-log",
    sheet="Call log",
    noun="daily call count",
    required=REQUIRED_COLUMNS,
    check_row=_check_call_count,
    error=CallLogError,
    unique=(UniqueKey(("tracking_number", "date"), "a tracking number has one row per day"),),
    # The landing suite's rule (calls_checks below), caught here with the file and row.
    not_after_run_day=("date",),
    not_after_reason="calls are counted after they happen, so a later day is a typo",
    check_plain_rows=_check_plain_call_counts,
)


# The landing suite (GX is imported when the gate builds it).
def calls_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        critical(gxe.ExpectColumnValuesToNotBeNull(column="tracking_number")),
        critical(gxe.ExpectColumnValuesToMatchRegex(column="tracking_number", regex=E164)),
        critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["tracking_number", "date"])),
        critical(gxe.ExpectColumnValuesToBeBetween(column="calls", min_value=0)),
        critical(gxe.ExpectColumnValuesToBeBetween(column="qualified_calls", min_value=0)),
        critical(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="calls", column_B="qualified_calls", or_equal=True)
        ),
        # A call dated after the day its file was taken is refused at the inbox, with the file and
        # row (Inbox.not_after_run_day): the one place for that rule. Checked here against the
        # partition's day, it refused every rerun of a past day, whose export holds the days since.
    ]


SPEC = InboxSource(settings_model=CallTracking, inbox=CALL_LOG, checks=calls_checks)
