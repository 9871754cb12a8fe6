import csv
import io
import logging
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from core import storage
from core.landing import RunContext, partition_files
from core.paths import DataPaths
from extractors.inbox import InboxNotReady
from sources.traditional_media import MEDIA_PLAN, TRADITIONAL_MEDIA_PLACEMENTS, MediaPlanError

DATA = Path(__file__).resolve().parent.parent / "data" / "traditional_media"
Q1 = "media_plan_q1.csv"  # five placements, one per channel
Q2 = "media_plan_q2.csv"  # two placements
DAY = date(2026, 2, 10)


@pytest.fixture
def dirs(tmp_path):
    inbox, quarantine, landing = tmp_path / "inbox", tmp_path / "quarantine", tmp_path / "landing"
    inbox.mkdir()
    return inbox, quarantine, landing


def ctx(run_id="manual__1"):
    return RunContext(DAY, run_id, datetime(2026, 2, 10, 4, 30, tzinfo=UTC))


def run(dirs, run_id="manual__1"):
    inbox, quarantine, landing = dirs
    return MEDIA_PLAN.land(inbox, quarantine, ctx(run_id), landing_root=landing)


def landed(dirs):
    files = partition_files("traditional_media", "placements", DAY, dirs[2])
    assert [f.name for f in files] == ["media_plan.parquet"]
    return storage.read_table(files[0])


def copy(name, inbox):
    shutil.copy(DATA / name, inbox / name)


def edited(name, row=None, column=None, value=None, drop_column=None, add_column=None):
    """The text of a test file with one cell changed, or one column removed or added."""
    rows = list(csv.reader(io.StringIO((DATA / name).read_text())))
    header = rows[0]
    if row is not None:
        rows[row][header.index(column)] = value
    if drop_column is not None:
        index = header.index(drop_column)
        rows = [r[:index] + r[index + 1 :] for r in rows]
    if add_column is not None:
        rows = [rows[0] + [add_column]] + [r + ["x"] for r in rows[1:]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_valid_files_land_with_the_contract_types(dirs):
    copy(Q1, dirs[0])
    copy(Q2, dirs[0])

    result = run(dirs)

    assert result.files_landed == [Q1, Q2]
    assert result.rows_landed == 7
    assert result.quarantined == []
    table = landed(dirs)
    assert table.num_rows == 7
    assert [table.schema.field(name) for name in TRADITIONAL_MEDIA_PLACEMENTS.names] == list(
        TRADITIONAL_MEDIA_PLACEMENTS
    )
    rows = {r["placement_id"]: r for r in table.to_pylist()}
    tv = rows["Q1-TV-01"]
    assert tv["spend"] == Decimal("24500.00")
    assert (tv["start_date"], tv["end_date"]) == (date(2026, 1, 5), date(2026, 1, 18))
    assert (tv["grps"], tv["universe"], tv["responses"]) == (142.5, 1_450_000, 310)
    assert tv["circulation"] is None
    assert (tv["source_file"], tv["source_row"]) == (Q1, 1)
    assert tv["_run_id"] == "manual__1"
    # A single-day insertion: an empty end_date means the start date.
    assert rows["Q1-PRT-01"]["end_date"] == date(2026, 1, 15)
    assert rows["Q1-PRT-01"]["spend"] == Decimal("3250.50")
    assert rows["Q1-RAD-01"]["responses"] is None
    assert (rows["Q2-PRT-01"]["source_file"], rows["Q2-PRT-01"]["source_row"]) == (Q2, 2)
    # The inbox is the media plan: valid files stay in it.
    assert sorted(p.name for p in dirs[0].iterdir()) == [Q1, Q2]


def test_tracking_numbers_land_as_e164_and_vanity_urls_as_written(dirs):
    copy(Q1, dirs[0])
    copy(Q2, dirs[0])  # a plan without the tracking columns

    run(dirs)

    rows = {r["placement_id"]: r for r in landed(dirs).to_pylist()}
    assert {placement: r["tracking_number"] for placement, r in rows.items()} == {
        "Q1-TV-01": "+13195550101",  # (319) 555-0101
        "Q1-RAD-01": "+13195550102",  # 319.555.0102
        "Q1-PRT-01": "+13195550103",  # +1 319 555 0103
        "Q1-OOH-01": "+13195550104",  # 3195550104
        "Q1-DM-01": None,
        "Q2-TV-01": None,
        "Q2-PRT-01": None,
    }
    assert (rows["Q1-TV-01"]["vanity_url"], rows["Q1-PRT-01"]["vanity_url"]) == (
        "cvhflu.org/tv",
        "cvhbirth.org/Gazette",
    )
    assert rows["Q1-RAD-01"]["vanity_url"] is None


def test_a_tracking_number_in_two_files_quarantines_the_later_file(dirs):
    inbox, quarantine, _ = dirs
    copy(Q1, inbox)
    lines = (DATA / Q2).read_text().splitlines()
    (inbox / Q2).write_text(f"{lines[0]},tracking_number\n{lines[1]},(319) 555-0104\n{lines[2]},\n")

    with pytest.raises(MediaPlanError):
        run(dirs)

    reason = (quarantine / "traditional_media" / f"date={DAY}" / f"{Q2}.reason.txt").read_text()
    assert (
        f"{Q2} row 1 (line 2), column tracking_number: tracking_number '+13195550104' is already used in {Q1} row 4"
        in reason
    )
    assert "each placement needs its own tracking number" in reason


def test_the_landing_suite_passes_the_landed_plan(dirs, tmp_path):
    # Great Expectations takes seconds to import: only the test that uses it pays for it.
    from expectations.runner import Validator, validate_landing_partition
    from sources.traditional_media import SPEC

    copy(Q1, dirs[0])
    copy(Q2, dirs[0])
    run(dirs)
    validator = Validator(DataPaths(tmp_path))
    assert validator.paths.landing == storage.location(dirs[2])

    summary = validate_landing_partition(validator, "traditional_media", "placements", DAY, SPEC.suites["placements"])

    # Placements without a tracking number (NULL) are neither duplicates nor malformed numbers.
    assert (summary.rows, summary.failures) == (7, [])


def test_validate_file_returns_typed_rows():
    rows = MEDIA_PLAN.validate_file(DATA / Q1)
    assert [r["channel"] for r in rows] == ["tv", "radio", "print", "ooh", "direct_mail"]
    dm = rows[-1]
    assert dm["spend"] == Decimal("14210.75")
    assert dm["pieces_mailed"] == 21000
    assert dm["start_date"] == dm["end_date"] == date(2026, 2, 2)
    assert set(dm) == set(TRADITIONAL_MEDIA_PLACEMENTS.names)


# (the bad text of media_plan_q1.csv, fragments the reason must contain)
MALFORMED = {
    "missing column": (
        lambda: edited(Q1, drop_column="spend"),
        ["line 1 (header)", "required column 'spend' is missing"],
    ),
    "unknown column": (
        lambda: edited(Q1, add_column="spnd"),
        ["line 1 (header)", "unknown column 'spnd'", "did you mean 'spend'"],
    ),
    "negative spend": (
        lambda: edited(Q1, row=3, column="spend", value="-1200"),
        ["row 3 (line 4), column spend: '-1200' is negative; spend must be >= 0."],
    ),
    "spend in euros": (
        lambda: edited(Q1, row=3, column="spend", value="€3,250"),
        ["row 3 (line 4), column spend", "amounts must be in US dollars"],
    ),
    "day/month/year date": (
        lambda: edited(Q1, row=2, column="start_date", value="13/01/2026"),
        ["row 2 (line 3), column start_date", "month 13 does not exist; dates are month/day/year"],
    ),
    "duplicate tracking number": (
        lambda: edited(Q1, row=2, column="tracking_number", value="319-555-0101"),
        ["row 2 (line 3), column tracking_number", "'+13195550101' is already used on row 1"],
    ),
    "tracking number that is not a phone number": (
        lambda: edited(Q1, row=4, column="tracking_number", value="555-0104"),
        ["row 4 (line 5), column tracking_number", "it has 7 digits, not 10"],
    ),
    "impossible date": (
        lambda: edited(Q1, row=2, column="end_date", value="2026-02-30"),
        ["row 2 (line 3), column end_date", "not a date"],
    ),
    "end before start": (
        lambda: edited(Q1, row=1, column="end_date", value="2026-01-01"),
        ["row 1 (line 2), column end_date", "before start_date"],
    ),
    "duplicate placement id": (
        lambda: edited(Q1, row=4, column="placement_id", value="Q1-TV-01"),
        ["row 4 (line 5), column placement_id", "already used on row 1"],
    ),
    "tv without grps": (
        lambda: edited(Q1, row=1, column="grps", value=""),
        ["row 1 (line 2), column grps", "tv placements need grps and universe"],
    ),
    "direct mail without pieces": (
        lambda: edited(Q1, row=5, column="pieces_mailed", value=""),
        ["row 5 (line 6), column pieces_mailed"],
    ),
    "fractional count": (
        lambda: edited(Q1, row=4, column="impressions", value="615000.5"),
        ["row 4 (line 5), column impressions", "not a whole number"],
    ),
    "unknown channel": (
        lambda: edited(Q1, row=5, column="channel", value="billboard"),
        ["row 5 (line 6), column channel", "'billboard' is not a known channel"],
    ),
    "empty campaign": (
        lambda: edited(Q1, row=2, column="campaign", value=""),
        ["row 2 (line 3), column campaign"],
    ),
    "empty file": (lambda: "", ["the file is empty"]),
    "header only": (lambda: (DATA / Q1).read_text().splitlines(keepends=True)[0], ["no data rows"]),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_file_is_quarantined_and_the_other_files_still_land(dirs, case):
    inbox, quarantine, _ = dirs
    bad_text, fragments = MALFORMED[case][0](), MALFORMED[case][1]
    (inbox / Q1).write_text(bad_text)
    copy(Q2, inbox)

    with pytest.raises(MediaPlanError) as raised:
        run(dirs)

    moved = quarantine / "traditional_media" / f"date={DAY.isoformat()}" / Q1
    assert moved.read_text() == bad_text
    reason = (moved.parent / f"{Q1}.reason.txt").read_text()
    assert reason.startswith(Q1)
    for fragment in fragments:
        assert fragment in reason
    assert "drop it in the inbox again" in reason
    # The alert names the file, the reason and where the file went.
    assert Q1 in str(raised.value) and str(moved) in str(raised.value) and fragments[0] in str(raised.value)
    # Nothing of the bad file landed; the valid file did, and stays in the inbox.
    table = landed(dirs)
    assert set(table.column("source_file").to_pylist()) == {Q2}
    assert table.num_rows == 2
    assert sorted(p.name for p in inbox.iterdir()) == [Q2]


def test_validate_file_reports_every_problem_of_a_file(tmp_path):
    text = edited(Q1, row=3, column="spend", value="-1200")
    rows = list(csv.reader(io.StringIO(text)))
    rows[1][rows[0].index("start_date")] = "2026-13-01"
    path = tmp_path / Q1
    csv.writer(path.open("w"), lineterminator="\n").writerows(rows)

    with pytest.raises(MediaPlanError) as raised:
        MEDIA_PLAN.validate_file(path)

    message = str(raised.value)
    assert message.startswith(f"{Q1}: 2 problems:")
    assert f"{Q1} row 1 (line 2), column start_date" in message
    assert f"{Q1} row 3 (line 4), column spend" in message
    assert [(p.row, p.column) for p in raised.value.problems] == [(1, "start_date"), (3, "spend")]


def test_a_single_problem_reads_as_one_sentence_with_the_fix(tmp_path):
    path = tmp_path / Q1
    path.write_text(edited(Q1, row=3, column="spend", value="-1200"))
    with pytest.raises(MediaPlanError, match="^media_plan_q1.csv row 3 \\(line 4\\), column spend: "):
        MEDIA_PLAN.validate_file(path)
    with pytest.raises(MediaPlanError) as raised:
        MEDIA_PLAN.validate_file(path)
    assert str(raised.value).endswith("Fix the file and drop it in the inbox again.")


def test_a_row_with_an_unquoted_comma_is_reported_not_shifted(tmp_path):
    path = tmp_path / Q1
    lines = (DATA / Q1).read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("6400", "6,400")
    path.write_text("".join(lines))
    with pytest.raises(MediaPlanError, match="row 2 \\(line 3\\): the row has 17 cells"):
        MEDIA_PLAN.validate_file(path)


def test_measure_columns_no_row_needs_may_be_left_out(tmp_path):
    path = tmp_path / "print_only.csv"
    path.write_text(
        "placement_id,channel,vendor,campaign,start_date,spend,circulation,readers_per_copy\n"
        "P-1,print,Cedar Valley Gazette,birth-center,2026-03-01,1800,52000,2.3\n"
    )
    [row] = MEDIA_PLAN.validate_file(path)
    assert (row["end_date"], row["grps"], row["responses"]) == (date(2026, 3, 1), None, None)

    path.write_text(
        "placement_id,channel,vendor,campaign,start_date,spend\nT-1,tv,KCVH-TV 8,flu-shot-2026,2026-03-01,18000\n"
    )
    with pytest.raises(MediaPlanError, match="column grps: tv placements need grps, but the header"):
        MEDIA_PLAN.validate_file(path)


def test_a_placement_id_in_two_files_quarantines_the_later_file(dirs):
    inbox, quarantine, _ = dirs
    copy(Q1, inbox)
    (inbox / Q2).write_text(edited(Q2, row=2, column="placement_id", value="Q1-OOH-01"))

    with pytest.raises(MediaPlanError) as raised:
        run(dirs)

    reason = (quarantine / "traditional_media" / f"date={DAY}" / f"{Q2}.reason.txt").read_text()
    assert f"{Q2} row 2 (line 3), column placement_id" in reason
    assert f"already used in {Q1} row 4" in reason
    assert Q2 in str(raised.value)
    table = landed(dirs)
    assert set(table.column("source_file").to_pylist()) == {Q1}
    assert table.num_rows == 5


def test_a_rerun_after_the_fixed_file_is_dropped_back_lands_everything(dirs):
    inbox, quarantine, _ = dirs
    (inbox / Q1).write_text(edited(Q1, row=3, column="spend", value="-1200"))
    copy(Q2, inbox)
    with pytest.raises(MediaPlanError):
        run(dirs, "scheduled__1")
    assert landed(dirs).num_rows == 2

    copy(Q1, inbox)  # the corrected file, dropped back
    result = run(dirs, "scheduled__1_retry")

    assert result.quarantined == []
    assert result.rows_landed == 7
    table = landed(dirs)
    assert table.num_rows == 7
    assert set(table.column("_run_id").to_pylist()) == {"scheduled__1_retry"}


def test_a_rerun_of_the_same_day_replaces_the_snapshot(dirs):
    copy(Q1, dirs[0])
    copy(Q2, dirs[0])
    run(dirs, "first")
    first = landed(dirs).drop_columns(["_run_id"]).to_pylist()

    run(dirs, "second")

    table = landed(dirs)
    assert table.num_rows == 7
    assert table.drop_columns(["_run_id"]).to_pylist() == first
    assert set(table.column("_run_id").to_pylist()) == {"second"}


def test_an_empty_inbox_lands_nothing_and_warns(dirs, caplog):
    # An empty snapshot would be read as "the plan was emptied"; nothing landed leaves the source stale.
    with caplog.at_level(logging.WARNING), pytest.raises(InboxNotReady) as raised:
        run(dirs)
    assert (raised.value.result.rows_landed, raised.value.result.files_landed) == (0, [])
    assert partition_files("traditional_media", "placements", DAY, dirs[2]) == []
    assert "holds no .csv or .xlsx file" in str(raised.value)
    assert "keeps its last snapshot and shows as stale" in str(raised.value)
