import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from core.landing import RunContext, write_partition
from core.paths import DataPaths
from extractors.inbox import InboxFileError
from sources.call_tracking import CALL_LOG, CALL_TRACKING_CALLS, CallLogError
from sources.traditional_media import MediaPlanError
from tests.conftest import land_inbox_night, landed_snapshot

DATA = Path(__file__).resolve().parent.parent / "data" / "call_tracking"
MARCH = "call_log_march.csv"  # ISO dates and E.164 numbers, as the vendor exports them
APRIL = "call_log_april.csv"  # month/day/year dates and numbers as people type them
DAY = date(2026, 4, 2)
HEADER = "date,tracking_number,calls,qualified_calls"


def run(dirs, run_id="manual__1"):
    return land_inbox_night(CALL_LOG, dirs, DAY, run_id)


def landed(dirs):
    return landed_snapshot(CALL_LOG, dirs, DAY)


def copy(name, inbox):
    shutil.copy(DATA / name, inbox / name)


def write(inbox, name, *rows):
    (inbox / name).write_text("\n".join([HEADER, *rows]) + "\n")


def reason_of(dirs, name):
    folder = dirs[1] / "call_tracking" / f"date={DAY}"
    assert (folder / name).is_file() and not (dirs[0] / name).exists()
    return (folder / f"{name}.reason.txt").read_text()


def test_valid_files_land_as_one_snapshot_with_the_contract_types(dirs):
    copy(MARCH, dirs[0])
    copy(APRIL, dirs[0])

    result = run(dirs)

    assert (result.files_landed, result.rows_landed, result.quarantined) == ([APRIL, MARCH], 6, [])
    table = landed(dirs)
    assert [table.schema.field(name) for name in CALL_TRACKING_CALLS.names] == list(CALL_TRACKING_CALLS)
    rows = {(r["tracking_number"], r["date"]): r for r in table.to_pylist()}
    assert (
        rows[("+13195550101", date(2026, 3, 30))]["calls"],
        rows[("+13195550101", date(2026, 3, 30))]["qualified_calls"],
    ) == (14, 9)
    assert rows[("+13195550104", date(2026, 3, 31))]["calls"] == 0
    # Typed the way people type them: normalised to E.164, dates month/day/year.
    april = rows[("+13195550101", date(2026, 4, 1))]
    assert (april["calls"], april["qualified_calls"], april["source_file"], april["source_row"]) == (12, 8, APRIL, 1)
    assert ("+13195550104", date(2026, 4, 1)) in rows
    assert sorted(p.name for p in dirs[0].iterdir()) == [APRIL, MARCH]


def test_a_workbook_with_a_call_log_sheet_lands(dirs):
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    sheet = book.create_sheet("call_log")
    sheet.append(["Cedar Valley Health — calls by tracking number"])
    sheet.append(HEADER.split(","))
    sheet.append([datetime(2026, 4, 1), 3195550101, 7, 5.0])
    book.save(dirs[0] / "calls.xlsx")

    run(dirs)

    [row] = landed(dirs).to_pylist()
    assert (row["date"], row["tracking_number"], row["calls"], row["qualified_calls"]) == (
        date(2026, 4, 1),
        "+13195550101",
        7,
        5,
    )
    assert (row["source_file"], row["source_row"]) == ("calls.xlsx", 3)


@pytest.mark.parametrize(
    ("number", "e164"),
    [("(319) 555-0101", "+13195550101"), ("1 319 555 0101", "+13195550101"), ("+44 20 7946 0958", "+442079460958")],
)
def test_tracking_numbers_are_normalised_to_e164(tmp_path, number, e164):
    path = tmp_path / "calls.csv"
    path.write_text(f'{HEADER}\n2026-04-01,"{number}",4,1\n')
    [row] = CALL_LOG.validate_file(path)
    assert row["tracking_number"] == e164


# (rows of a bad file, the fragment its reason must contain)
BAD = {
    "more qualified calls than calls": (
        ["2026-04-01,+13195550101,3,5"],
        "row 1 (line 2), column qualified_calls: qualified_calls 5 is more than calls 3",
    ),
    "short number": (
        ["2026-04-01,555-0101,3,1"],
        "row 1 (line 2), column tracking_number: '555-0101' is not a US phone number",
    ),
    "letters in the number": (["2026-04-01,1-800-CALLCVH,3,1"], "no letters or extensions"),
    "negative calls": (["2026-04-01,+13195550101,-3,0"], "'-3' is negative; calls must be >= 0."),
    "fractional calls": (["2026-04-01,+13195550101,2.5,0"], "'2.5' is not a whole number"),
    "day/month/year date": (["31/03/2026,+13195550101,2,0"], "month 31 does not exist; dates are month/day/year"),
    "empty calls": (["2026-04-01,+13195550101,,0"], "calls is empty; write 0 for a day without calls."),
    "the same number and day twice": (
        ["2026-04-01,+13195550101,2,0", "04/01/2026,(319) 555-0101,3,1"],
        "row 2 (line 3), column tracking_number: tracking_number '+13195550101' with date 2026-04-01 is already used on row 1",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_file_is_quarantined_while_the_valid_ones_land_and_the_run_fails(dirs, case):
    rows, fragment = BAD[case]
    copy(MARCH, dirs[0])
    write(dirs[0], "bad.csv", *rows)

    with pytest.raises(CallLogError) as raised:
        run(dirs)

    reason = reason_of(dirs, "bad.csv")
    assert fragment in reason
    message = str(raised.value)
    assert message.startswith("1 call-log file(s) quarantined; 4 daily call count(s) from 1 valid file(s) were landed.")
    assert "bad.csv" in message and fragment in message
    table = landed(dirs)
    assert set(table.column("source_file").to_pylist()) == {MARCH}
    assert table.num_rows == 4


def test_a_call_log_error_is_an_inbox_error_like_the_media_plan_one():
    assert issubclass(CallLogError, InboxFileError) and issubclass(MediaPlanError, InboxFileError)
    assert issubclass(CallLogError, ValueError)


def test_the_same_number_and_day_in_two_files_names_both(dirs):
    copy(MARCH, dirs[0])
    write(dirs[0], "resent.csv", "2026-04-01,+13195550104,1,1", "3/31/2026,319-555-0101,11,7")

    with pytest.raises(CallLogError):
        run(dirs)

    reason = reason_of(dirs, "resent.csv")
    assert (
        "resent.csv row 2 (line 3), column tracking_number: tracking_number '+13195550101' with date 2026-03-31 "
        f"is already used in {MARCH} row 3; a tracking number has one row per day across the files of the inbox."
    ) in reason
    assert landed(dirs).num_rows == 4


def test_the_header_is_strict(dirs):
    (dirs[0] / "calls.csv").write_text("date,tracking_number,calls,qualified,notes\n2026-04-01,+13195550101,3,1,x\n")
    with pytest.raises(CallLogError):
        run(dirs)
    reason = reason_of(dirs, "calls.csv")
    assert "unknown column 'qualified' (did you mean 'qualified_calls'?)" in reason
    assert "unknown column 'notes'" in reason
    assert "required column 'qualified_calls' is missing from the header." in reason


def test_a_rerun_after_the_fix_replaces_the_snapshot(dirs):
    copy(MARCH, dirs[0])
    write(dirs[0], "april.csv", "2026-04-01,+13195550101,3,5")
    with pytest.raises(CallLogError):
        run(dirs, "scheduled__1")
    assert landed(dirs).num_rows == 4

    write(dirs[0], "april.csv", "2026-04-01,+13195550101,5,3")  # the corrected file, dropped back
    result = run(dirs, "scheduled__1_retry")

    assert (result.rows_landed, result.quarantined) == (5, [])
    table = landed(dirs)
    assert table.num_rows == 5
    assert set(table.column("_run_id").to_pylist()) == {"scheduled__1_retry"}
    assert ("+13195550101", date(2026, 4, 1), 5, 3) in [
        (r["tracking_number"], r["date"], r["calls"], r["qualified_calls"]) for r in table.to_pylist()
    ]


def test_the_landing_suite_passes_a_good_snapshot_and_catches_a_bad_one(tmp_path):
    # Great Expectations takes seconds to import: only the test that uses it pays for it.
    from expectations.runner import Validator, validate_landing_partition
    from sources.call_tracking import SPEC

    paths = DataPaths(tmp_path / "data")
    validator = Validator(paths)
    ctx = RunContext(DAY, "manual__1", datetime(2026, 4, 2, 5, tzinfo=UTC))
    good = CALL_LOG.validate_file(DATA / MARCH)
    write_partition("call_tracking", "calls", "call_log", good, CALL_TRACKING_CALLS, ctx, paths.landing)

    summary = validate_landing_partition(validator, "call_tracking", "calls", DAY, SPEC.suites["calls"])
    assert summary.failures == []

    # Rows that only a file edited after validation (or another writer) could land.
    bad = [
        {**good[0], "qualified_calls": good[0]["calls"] + 1},
        {**good[0]},  # the same number and day again
        {**good[2], "tracking_number": "319-555-0101"},
    ]
    write_partition("call_tracking", "calls", "call_log", bad, CALL_TRACKING_CALLS, ctx, paths.landing)
    summary = validate_landing_partition(validator, "call_tracking", "calls", DAY, SPEC.suites["calls"])
    failed = {(f.expectation, f.column) for f in summary.critical_failures}
    assert failed == {
        ("expect_column_pair_values_a_to_be_greater_than_b", "calls,qualified_calls"),
        ("expect_compound_columns_to_be_unique", "tracking_number,date"),
        ("expect_column_values_to_match_regex", "tracking_number"),
    }
