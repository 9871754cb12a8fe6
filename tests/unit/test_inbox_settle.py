"""When an inbox takes a file (complete, not still being copied), what it does with files it cannot
read, what it lands when nothing is ready, the run-day rule it shares with the landing gate, and
reading a large CSV in batches with the same results and messages."""

import logging
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from core import storage
from core.landing import RunContext, partition_dir, partition_files
from core.settings import InboxSettle
from extractors import inbox as inbox_module
from extractors.cells import CellError, parse_count, parse_date, parse_phone
from extractors.inbox import InboxNotReady, done_marker
from sources.call_tracking import CALL_LOG, CallLogError, CallTracking
from sources.config import load_config
from sources.traditional_media import MEDIA_PLAN, MediaPlanError

DAY = date(2026, 4, 2)
HEADER = "date,tracking_number,calls,qualified_calls"
PLAN_HEADER = "placement_id,channel,vendor,campaign,start_date,spend,impressions"
# A fixed clock: files get their mtime from it, so no test depends on when it runs.
CLOCK = datetime(2026, 4, 3, 9, 30, tzinfo=UTC)
SETTLE = InboxSettle(settle_seconds=300)


@pytest.fixture
def dirs(tmp_path):
    inbox, quarantine, landing = tmp_path / "inbox", tmp_path / "quarantine", tmp_path / "landing"
    inbox.mkdir()
    return inbox, quarantine, landing


def ctx(day=DAY):
    return RunContext(day, "scheduled__1", datetime(2026, 4, 3, 9, 30, tzinfo=UTC))


def write(path: Path, lines: list[str], modified: datetime = CLOCK - timedelta(hours=6)) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stamp = modified.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def call_log(inbox: Path, name: str = "calls.csv", rows: int = 3, **kwargs) -> Path:
    lines = [HEADER] + [f"2026-03-{day:02d},+13195550101,{day},1" for day in range(1, rows + 1)]
    return write(inbox / name, lines, **kwargs)


def land_calls(dirs, settle=SETTLE, now=CLOCK, day=DAY):
    inbox, quarantine, landing = dirs
    return CALL_LOG.land(inbox, quarantine, ctx(day), landing, settle, now)


def nothing_landed(dirs, source="call_tracking", entity="calls") -> bool:
    return not partition_dir(source, entity, DAY, dirs[2]).exists()


# --- a file is taken once complete --------------------------------------------------------------


def test_a_file_still_being_copied_waits_in_the_inbox_and_nothing_lands(dirs, caplog):
    # The copy is running: the file changed 10 s before the run looked at it.
    path = call_log(dirs[0], rows=250, modified=CLOCK - timedelta(seconds=10))

    with caplog.at_level(logging.WARNING), pytest.raises(InboxNotReady) as raised:
        land_calls(dirs)

    assert nothing_landed(dirs)
    assert path.exists() and not dirs[1].exists()  # left in the inbox, not quarantined
    message = str(raised.value)
    assert "calls.csv changed 10 s ago" in message and "unchanged for 300 s" in message
    assert "calls.csv.done" in message and "keeps its last snapshot" in message
    assert raised.value.result.waiting and "calls.csv" in caplog.text


def test_a_file_unchanged_for_the_settle_time_is_taken(dirs):
    call_log(dirs[0], modified=CLOCK - timedelta(seconds=300))
    assert land_calls(dirs).rows_landed == 3


def test_a_done_marker_written_after_the_file_takes_it_at_once(dirs):
    path = call_log(dirs[0], modified=CLOCK - timedelta(seconds=1))
    write(done_marker(path), [], modified=CLOCK)

    result = land_calls(dirs)

    assert (result.files_landed, result.rows_landed, result.quarantined) == (["calls.csv"], 3, [])


def test_a_marker_older_than_the_file_does_not_vouch_for_it(dirs):
    # Last night's marker, and tonight's export being written over the file.
    path = call_log(dirs[0], modified=CLOCK - timedelta(seconds=5))
    write(done_marker(path), [], modified=CLOCK - timedelta(days=1))

    with pytest.raises(InboxNotReady):
        land_calls(dirs)
    assert nothing_landed(dirs)


def test_an_inbox_that_requires_markers_waits_for_them(dirs):
    path = call_log(dirs[0], modified=CLOCK - timedelta(days=2))
    required = InboxSettle(settle_seconds=300, require_done_marker=True)

    with pytest.raises(InboxNotReady, match="calls.csv waits for its marker calls.csv.done"):
        land_calls(dirs, settle=required)

    write(done_marker(path), [], modified=CLOCK - timedelta(days=2))
    assert land_calls(dirs, settle=required).rows_landed == 3


def test_one_file_still_being_copied_holds_back_the_whole_snapshot(dirs):
    # A snapshot without the file being copied would be a smaller one: the source waits a night.
    call_log(dirs[0], "march.csv")
    call_log(dirs[0], "april.csv", modified=CLOCK - timedelta(seconds=30))

    with pytest.raises(InboxNotReady, match="april.csv changed 30 s ago"):
        land_calls(dirs)

    assert nothing_landed(dirs)
    assert sorted(p.name for p in dirs[0].iterdir()) == ["april.csv", "march.csv"]


@pytest.mark.parametrize(
    "name", ["calls.csv.filepart", "calls.csv.part", "calls.csv.partial", "calls.csv.tmp", "calls.tmp", ".calls.csv"]
)
def test_names_of_files_being_copied_are_never_read(dirs, name):
    call_log(dirs[0], "march.csv")
    write(dirs[0] / name, [HEADER, "2026-03-30,+13195550199,4"])  # a half-written row

    result = land_calls(dirs, settle=InboxSettle(settle_seconds=0))

    assert (result.files_landed, result.quarantined) == (["march.csv"], [])
    assert (dirs[0] / name).exists()


def test_the_settle_rule_is_set_globally_and_per_inbox():
    defaults = InboxSettle(settle_seconds=600, require_done_marker=True)
    assert CallTracking().settle(defaults) == defaults
    assert CallTracking(settle_seconds=0).settle(defaults) == InboxSettle(settle_seconds=0, require_done_marker=True)
    assert CallTracking(require_done_marker=False).settle(defaults).require_done_marker is False
    shipped = load_config()
    assert shipped.sources.call_tracking.settle(shipped.inboxes) == InboxSettle(settle_seconds=300)


def test_the_nightly_task_leaves_a_file_being_copied_and_records_why(tmp_path, monkeypatch):
    from core.paths import data_paths
    from nightly import tasks

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "data"))
    paths = data_paths()
    inbox = paths.inbox / "call_tracking"
    inbox.mkdir(parents=True)
    # Modified after any clock the run can have: still being written, whenever this runs.
    modified = datetime.now(UTC) + timedelta(days=1)
    path = call_log(inbox, modified=modified)
    logical_date = datetime(2026, 4, 3, 9, 30, tzinfo=UTC)
    day = date(2026, 4, 2)

    assert tasks.extract_inbox("call_tracking", logical_date, "scheduled__1") == {"files": 0, "rows": 0, "waiting": 1}
    assert partition_files("call_tracking", "calls", day, paths.landing) == []
    [log_file] = partition_files("pipeline", "extractions", day, paths.landing)
    [entry] = storage.read_table(log_file).to_pylist()
    # Not a success: source_freshness shows the call log stale, with why.
    assert entry["status"] == "failed" and "calls.csv changed" in entry["error"]

    write(done_marker(path), [], modified=modified)  # the upload completes
    assert tasks.extract_inbox("call_tracking", logical_date, "scheduled__1") == {"files": 1, "rows": 3}


# --- files of a type that is not read ------------------------------------------------------------


@pytest.mark.parametrize("name", ["plan.xls", "plan.ods", "plan.numbers", "notes.txt", "plan"])
def test_a_file_of_a_type_that_is_not_read_is_quarantined_and_fails_the_run(dirs, name):
    inbox, quarantine, landing = dirs
    write(inbox / "good.csv", [PLAN_HEADER, "P-1,ooh,Prairie Outdoor,northside-clinic,2026-03-02,9800,615000"])
    (inbox / name).write_bytes(b"\xd0\xcf\x11\xe0 saved the old way")

    with pytest.raises(MediaPlanError) as raised:
        MEDIA_PLAN.land(inbox, quarantine, ctx(), landing)

    folder = quarantine / "traditional_media" / f"date={DAY}"
    assert (folder / name).is_file() and not (inbox / name).exists()
    reason = (folder / f"{name}.reason.txt").read_text()
    assert reason.startswith(f"{name}: ") and "save it as .xlsx (Excel Workbook) or .csv (CSV UTF-8)" in reason
    assert name in str(raised.value) and "save it as .xlsx" in str(raised.value)
    # The valid file still lands.
    [landed] = partition_files("traditional_media", "placements", DAY, landing)
    assert storage.read_table(landed).column("placement_id").to_pylist() == ["P-1"]


def test_a_quarantined_files_marker_goes_with_it(dirs):
    path = write(dirs[0] / "calls.csv", [HEADER, "2026-03-01,+13195550101,3,5"])
    done_marker(path).touch()

    with pytest.raises(CallLogError):
        land_calls(dirs)

    folder = dirs[1] / "call_tracking" / f"date={DAY}"
    assert sorted(p.name for p in folder.iterdir()) == ["calls.csv", "calls.csv.done", "calls.csv.reason.txt"]
    assert list(dirs[0].iterdir()) == []


# --- nothing valid: nothing lands, the source is stale -------------------------------------------


def test_an_inbox_whose_only_file_is_bad_lands_nothing_and_fails(dirs):
    write(dirs[0] / "calls.csv", [HEADER, "2026-03-01,+13195550101,3,5"])

    with pytest.raises(CallLogError) as raised:
        land_calls(dirs)

    assert nothing_landed(dirs)
    assert str(raised.value).startswith(
        "1 call-log file(s) quarantined; nothing was landed: call_tracking keeps its last snapshot (stale)"
    )


def test_a_night_without_a_valid_file_leaves_the_snapshot_history_alone(dirs):
    """The gate compares an inbox snapshot with the previous one: a night that landed nothing has
    nothing to compare (stale, not smaller), and the freshness check sees it missing."""
    from expectations import history

    for back in range(6, 0, -1):
        call_log(dirs[0], "march.csv")
        land_calls(dirs, day=DAY - timedelta(days=back))
    write(dirs[0] / "march.csv", [HEADER, "2026-03-01,+13195550101,3,5"])  # tonight the export is bad

    with pytest.raises(CallLogError):
        land_calls(dirs)

    snapshots = [("call_tracking", "calls", "call_log")]
    assert history.snapshot_volume_frame(snapshots, DAY, dirs[2]).empty
    assert history.freshness_frame(snapshots, DAY, dirs[2])["landed"].tolist() == [False]


# --- no call after the day the file was taken -----------------------------------------------------


def test_a_rerun_of_a_past_day_takes_the_export_as_it_is_now(dirs):
    # The export holds the calls since the day the rerun covers, up to the day it was taken.
    write(dirs[0] / "calls.csv", [HEADER, "2026-04-01,+13195550101,3,1", "2026-04-03,+13195550101,2,1"])

    land_calls(dirs, day=date(2026, 4, 1))

    assert not (dirs[1] / "call_tracking").exists()
    assert len(partition_files("call_tracking", "calls", date(2026, 4, 1), dirs[2])) == 1


def test_a_call_dated_after_the_run_day_is_refused_at_the_inbox(dirs):
    write(dirs[0] / "calls.csv", [HEADER, "2026-04-01,+13195550101,3,1", "2031-04-01,+13195550102,2,1"])

    with pytest.raises(CallLogError) as raised:
        land_calls(dirs)

    reason = (dirs[1] / "call_tracking" / f"date={DAY}" / "calls.csv.reason.txt").read_text()
    assert reason.startswith(
        "calls.csv row 2 (line 3), column date: date 2031-04-01 is after 2026-04-03, the day this file was taken; "
        "calls are counted after they happen"
    )
    assert "check the year" in reason and "calls.csv" in str(raised.value)
    assert nothing_landed(dirs)


def test_a_later_call_in_a_workbook_names_the_cell(dirs):
    book = openpyxl.Workbook()
    book.active.title = "Call log"
    book.active.append(HEADER.split(","))
    book.active.append([datetime(2026, 4, 1), "+13195550101", 3, 1])
    book.active.append([datetime(2026, 4, 4), "+13195550101", 3, 1])
    book.save(dirs[0] / "calls.xlsx")

    with pytest.raises(CallLogError, match=r"sheet 'Call log' row 3, cell A3 \(date\): date 2026-04-04 is after"):
        land_calls(dirs, settle=None)


def test_the_run_day_applies_when_validating_a_file_for_a_day(tmp_path):
    path = write(tmp_path / "calls.csv", [HEADER, "2026-04-03,+13195550101,3,1"])
    assert len(CALL_LOG.validate_file(path)) == 1
    with pytest.raises(CallLogError, match="date 2026-04-03 is after 2026-04-02"):
        CALL_LOG.validate_file(path, DAY)


# --- a large CSV, read in batches ----------------------------------------------------------------


def test_batches_keep_the_files_line_numbers_and_find_clashes_across_them(dirs, monkeypatch):
    lines = [
        "Call log export,,,",  # a title line above the header
        HEADER,
        "2026-03-01,+13195550101,3,1",
        "",  # a blank line: rows and lines still count it
        "03/02/2026,(319) 555-0101,4,2",  # typed by hand: checked cell by cell
        "2026-03-03,+13195550101,5,9",  # more qualified calls than calls
        "2026-03-04,+13195550101,2",  # the qualified_calls cell left out: empty
        "2026-02-30,+13195550101,1,0",  # not a day
        "2026-03-01,+1 319 555 0101,1,0",  # the first row's number and day again
        "2026-03-05,+13195550101,1,0,extra",
    ]
    write(dirs[0] / "calls.csv", lines)
    messages = {}
    for batch_rows in (2, 3, inbox_module.BATCH_ROWS):
        monkeypatch.setattr(inbox_module, "BATCH_ROWS", batch_rows)
        with pytest.raises(CallLogError) as raised:
            CALL_LOG.validate_file(dirs[0] / "calls.csv")
        messages[batch_rows] = str(raised.value)
        assert [(p.row, p.line, p.column) for p in raised.value.problems] == [
            (4, 6, "qualified_calls"),
            (5, 7, "qualified_calls"),
            (6, 8, "date"),
            (7, 9, "tracking_number"),
            (8, 10, None),
        ]
    assert len(set(messages.values())) == 1
    message = messages[2]
    assert "row 5 (line 7), column qualified_calls: qualified_calls is empty" in message
    assert "row 6 (line 8), column date: '2026-02-30' is not a date: February 2026 has no day 30" in message
    assert (
        "row 7 (line 9), column tracking_number: tracking_number '+13195550101' with date 2026-03-01 "
        "is already used on row 1; a tracking number has one row per day." in message
    )


def test_a_valid_file_lands_the_same_whatever_the_batch_size(dirs, monkeypatch):
    lines = [HEADER] + [
        f"2026-03-{day:02d},{number},{day},{day // 2}"
        for day in range(1, 29)
        for number in ("+13195550101", "(319) 555-0102", "+442079460958")
    ]
    write(dirs[0] / "calls.csv", lines)
    landed = []
    for batch_rows in (5, inbox_module.BATCH_ROWS):
        monkeypatch.setattr(inbox_module, "BATCH_ROWS", batch_rows)
        land_calls(dirs, settle=None)
        [file] = partition_files("call_tracking", "calls", DAY, dirs[2])
        landed.append(storage.read_table(file).drop_columns(["_extracted_at", "_run_id"]).to_pylist())
    assert landed[0] == landed[1]
    assert [row["source_row"] for row in landed[0]] == list(range(1, 85))
    assert landed[0][1]["tracking_number"] == "+13195550102"


@pytest.mark.parametrize(
    ("column", "cell", "parse"),
    [
        ("date", "2026-03-05", parse_date),
        ("date", "2026-3-5", parse_date),
        ("date", " 2026-03-05", parse_date),
        ("date", "2026-02-29", parse_date),
        ("date", "2024-02-29", parse_date),
        ("date", "0000-01-01", parse_date),
        ("tracking_number", "+13195550101", parse_phone),
        ("tracking_number", "+10195550101", parse_phone),
        ("tracking_number", "+13191550101", parse_phone),
        ("tracking_number", "+442079460958", parse_phone),
        ("tracking_number", "+0442079460958", parse_phone),
        ("tracking_number", "+1319555010", parse_phone),
        ("calls", "007", parse_count),
        ("calls", "12,000", parse_count),
        ("calls", "-3", parse_count),
        ("calls", "99999999999999999999", parse_count),
        ("calls", "９", parse_count),  # a full-width digit
    ],
)
def test_cells_read_column_wise_give_what_the_cell_parser_gives(tmp_path, column, cell, parse):
    row = {"date": "2026-03-05", "tracking_number": "+13195550101", "calls": "20000", "qualified_calls": "1"}
    row[column] = cell
    path = tmp_path / "calls.csv"
    path.write_text(f'{HEADER}\n"{row["date"]}",{row["tracking_number"]},"{row["calls"]}",{row["qualified_calls"]}\n')
    try:
        expected = parse(cell, column)
    except CellError as exc:
        with pytest.raises(CallLogError) as raised:
            CALL_LOG.validate_file(path)
        assert str(exc) in str(raised.value)
    else:
        [landed] = CALL_LOG.validate_file(path)
        assert landed[column] == expected


def test_rows_found_wrong_column_wise_are_listed_up_to_a_limit_then_counted(tmp_path, monkeypatch):
    # A past day rerun with tonight's export: every row is later than the day.
    monkeypatch.setattr(inbox_module, "MAX_ROWS_REPORTED", 2)
    path = write(tmp_path / "calls.csv", [HEADER] + [f"2026-04-{day:02d},+13195550101,3,1" for day in range(3, 8)])

    with pytest.raises(CallLogError) as raised:
        CALL_LOG.validate_file(path, DAY)

    assert [(p.row, p.column) for p in raised.value.problems] == [(1, "date"), (2, "date"), (None, None)]
    assert str(raised.value.problems[-1]) == (
        "calls.csv: 3 more rows have a date after 2026-04-02 (the first are listed above)."
    )
