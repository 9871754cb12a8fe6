"""What every tabular inbox shares, exercised through the media-plan inbox: CSV and XLSX files, the
header search, cell parsing, and where problems are reported."""

import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from core import storage
from core.landing import RunContext, partition_files
from extractors.cells import CellError, parse_count, parse_date, parse_money, parse_phone, parse_ratio
from sources.traditional_media import MEDIA_PLAN, MediaPlanError

DAY = date(2026, 4, 2)
# Columns A-I: spend is column G, as in a typical plan.
HEADER = [
    "placement_id",
    "channel",
    "vendor",
    "campaign",
    "start_date",
    "end_date",
    "spend",
    "impressions",
    "responses",
]
OOH = ["P-1", "ooh", "Prairie Outdoor", "northside-clinic", "2026-03-02", "2026-03-29", "9800.00", "615000", "88"]
OOH_2 = ["P-2", "ooh", "Summit Billboards", "birth-center", "2026-03-09", "2026-04-05", "4100", "320000", ""]


@pytest.fixture
def dirs(tmp_path):
    inbox, quarantine, landing = tmp_path / "inbox", tmp_path / "quarantine", tmp_path / "landing"
    inbox.mkdir()
    return inbox, quarantine, landing


def run(dirs):
    inbox, quarantine, landing = dirs
    return MEDIA_PLAN.land(
        inbox, quarantine, RunContext(DAY, "manual__1", datetime(2026, 4, 2, 5, tzinfo=UTC)), landing
    )


def landed(dirs) -> dict[str, dict]:
    [file] = partition_files("traditional_media", "placements", DAY, dirs[2])
    return {row["placement_id"]: row for row in storage.read_table(file).to_pylist()}


def quarantined(dirs, name) -> str:
    """The reason of a quarantined file, after checking that the run failed and the file was moved."""
    with pytest.raises(MediaPlanError) as raised:
        run(dirs)
    folder = dirs[1] / "traditional_media" / f"date={DAY}"
    assert (folder / name).is_file() and not (dirs[0] / name).exists()
    reason = (folder / f"{name}.reason.txt").read_text()
    assert reason.startswith(name) and name in str(raised.value)
    return reason


def write_csv(inbox: Path, name: str, lines: list[str]) -> Path:
    path = inbox / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xlsx(inbox: Path, name: str, rows: list[list], sheet: str = "Media plan", above: list[list] = ()) -> Path:
    """A workbook with `above` (title rows, blank rows) and then the header and `rows` from row 1."""
    book = openpyxl.Workbook()
    book.active.title = sheet
    for row in [*above, HEADER, *rows]:
        book.active.append(row)
    path = inbox / name
    book.save(path)
    return path


def edit_xlsx(path: Path, change) -> None:
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


def save_formula_results(path: Path, results: dict[str, str]) -> None:
    """Store the results Excel saves next to each formula (openpyxl writes formulas without them)."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    sheet = contents["xl/worksheets/sheet1.xml"].decode()
    for ref, value in results.items():
        sheet, count = re.subn(rf'(<c r="{ref}"[^>]*>)<f>(.*?)</f><v\s*/>', rf"\1<f>\2</f><v>{value}</v>", sheet)
        assert count == 1, ref
    contents["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


# --- XLSX files ------------------------------------------------------------------------------------


def test_a_workbook_lands_with_typed_cells_and_sheet_row_numbers(dirs):
    write_xlsx(
        dirs[0],
        "plan.xlsx",
        [
            [
                "P-1",
                "OOH",
                "Prairie Outdoor",
                "northside-clinic",
                datetime(2026, 3, 2),
                datetime(2026, 3, 29),
                9800,
                615000.0,
                88,
            ],
            ["P-2", "ooh", "Summit Billboards", "birth-center", "3/9/2026", "Apr 5, 2026", 1200.1, "320,000", None],
            [None] * 9,  # blank rows at the end of a sheet are skipped
        ],
    )

    result = run(dirs)

    assert (result.files_landed, result.rows_landed, result.quarantined) == (["plan.xlsx"], 2, [])
    rows = landed(dirs)
    p1, p2 = rows["P-1"], rows["P-2"]
    assert (p1["channel"], p1["start_date"], p1["end_date"]) == ("ooh", date(2026, 3, 2), date(2026, 3, 29))
    assert (p1["spend"], p1["impressions"], p1["responses"]) == (Decimal("9800.00"), 615000, 88)
    # A float cell 1200.1 is 1200.09999999999990905... in binary: it lands as the cent value it shows.
    assert (p2["spend"], p2["impressions"], p2["responses"]) == (Decimal("1200.10"), 320000, None)
    assert (p2["start_date"], p2["end_date"]) == (date(2026, 3, 9), date(2026, 4, 5))
    # source_row is the sheet's row number (the header is row 1).
    assert [(r["source_file"], r["source_row"]) for r in rows.values()] == [("plan.xlsx", 2), ("plan.xlsx", 3)]
    assert (dirs[0] / "plan.xlsx").is_file()


def test_title_rows_and_a_merged_banner_above_the_header_are_ignored(dirs):
    path = write_xlsx(
        dirs[0],
        "plan.xlsx",
        [OOH, OOH_2],
        above=[["Cedar Valley Health — Media plan Q4"], ["prepared by marketing ops"], []],
    )
    edit_xlsx(path, lambda book: book.active.merge_cells("A1:I1"))

    run(dirs)

    rows = landed(dirs)
    assert sorted(rows) == ["P-1", "P-2"]
    assert rows["P-1"]["source_row"] == 5  # banner, note, blank row, header on row 4


def test_a_csv_file_may_have_a_title_line_above_the_header(dirs):
    write_csv(dirs[0], "plan.csv", ["Cedar Valley Health media plan,,", "", ",".join(HEADER), ",".join(OOH)])
    run(dirs)
    assert landed(dirs)["P-1"]["source_row"] == 1  # CSV rows count from the header


def test_formula_results_saved_in_the_workbook_are_read(dirs):
    path = write_xlsx(dirs[0], "plan.xlsx", [OOH[:6] + ["=4900*2", "=H3*0+615000", 88]])
    save_formula_results(path, {"G2": "9800", "H2": "615000"})

    run(dirs)

    assert (landed(dirs)["P-1"]["spend"], landed(dirs)["P-1"]["impressions"]) == (Decimal("9800.00"), 615000)


def test_a_formula_without_a_saved_result_is_quarantined_with_the_cell(dirs):
    write_xlsx(dirs[0], "plan.xlsx", [OOH, OOH_2[:6] + ["=4100*1", *OOH_2[7:]]])

    reason = quarantined(dirs, "plan.xlsx")

    assert (
        "plan.xlsx sheet 'Media plan' row 3, cell G3 (spend): cell G3 holds a formula with no saved result; "
        "open the file in Excel (or LibreOffice) and save it." in reason
    )
    # Reported once: not also as an empty spend.
    assert "spend is empty" not in reason


def test_an_error_value_in_a_cell_is_quarantined(dirs):
    write_xlsx(dirs[0], "plan.xlsx", [OOH[:7] + ["#DIV/0!", 88]])
    reason = quarantined(dirs, "plan.xlsx")
    assert "row 2, cell H2 (impressions): cell H2 holds the error #DIV/0!" in reason


def test_a_header_split_over_two_merged_rows_is_quarantined(dirs):
    def split_header(book):
        sheet = book.active
        sheet.insert_rows(1)
        sheet["A1"], sheet["E1"] = "placement", "flight"
        sheet["A2"], sheet["E2"], sheet["F2"] = "id", "start", "end"
        sheet.merge_cells("E1:F1")

    write_xlsx(dirs[0], "plan.xlsx", [OOH])
    edit_xlsx(dirs[0] / "plan.xlsx", split_header)

    reason = quarantined(dirs, "plan.xlsx")

    assert reason.startswith(
        "plan.xlsx: 6 problems:\n  - plan.xlsx sheet 'Media plan' row 2 (header): "
        "the header seems split over rows with merged cells (E1:F1)"
    )
    assert "write the column names in one row" in reason


def test_merged_cells_among_the_data_are_quarantined(dirs):
    path = write_xlsx(dirs[0], "plan.xlsx", [OOH, OOH_2])
    edit_xlsx(path, lambda book: book.active.merge_cells("C2:C3"))

    reason = quarantined(dirs, "plan.xlsx")

    assert reason.startswith(
        "plan.xlsx sheet 'Media plan' row 2, cell C2 (vendor): cells C2:C3 are merged, so only C2 holds the value; "
        "unmerge them and write the value in every cell. Fix the file"
    )
    # Reported once, at its first cell: the cell it covers is not also reported as empty.
    assert "vendor is empty" not in reason


@pytest.mark.parametrize("title", ["media_plan", "MEDIA PLAN", "Media  Plan"])
def test_the_sheet_named_like_the_source_is_read_among_others(dirs, title):
    path = write_xlsx(dirs[0], "plan.xlsx", [OOH], sheet=title)
    edit_xlsx(path, lambda book: (book.create_sheet("Notes", 0), book.create_sheet("Budget")))
    run(dirs)
    assert sorted(landed(dirs)) == ["P-1"]


def test_the_only_sheet_is_read_whatever_its_name(dirs):
    write_xlsx(dirs[0], "plan.xlsx", [OOH], sheet="Sheet1")
    run(dirs)
    assert sorted(landed(dirs)) == ["P-1"]


def test_a_workbook_without_the_sheet_is_quarantined_with_its_sheet_names(dirs):
    path = write_xlsx(dirs[0], "plan.xlsx", [OOH], sheet="Plan")
    edit_xlsx(path, lambda book: book.create_sheet("Summary", 0))

    reason = quarantined(dirs, "plan.xlsx")

    assert (
        "plan.xlsx: no sheet named 'Media plan'; the workbook has sheets: 'Summary', 'Plan'; "
        "rename the sheet or keep only one." in reason
    )


def test_two_sheets_named_like_the_source_are_quarantined(dirs):
    path = write_xlsx(dirs[0], "plan.xlsx", [OOH], sheet="Media plan")
    edit_xlsx(path, lambda book: book.create_sheet("media_plan"))
    reason = quarantined(dirs, "plan.xlsx")
    assert "2 sheets are named like 'Media plan' ('Media plan', 'media_plan'); keep one." in reason


def test_a_file_that_is_not_a_workbook_is_quarantined(dirs):
    (dirs[0] / "plan.xlsx").write_bytes(b"placement_id,channel\n")
    reason = quarantined(dirs, "plan.xlsx")
    assert "cannot be read as an Excel workbook" in reason and "save it as .xlsx" in reason


def test_workbook_problems_name_the_sheet_row_and_cell(dirs):
    rows = [[f"P-{n}", *OOH_2[1:]] for n in range(1, 6)]
    rows.append(["P-6", *OOH_2[1:6], "12.345", *OOH_2[7:]])
    write_xlsx(dirs[0], "plan.xlsx", rows)

    reason = quarantined(dirs, "plan.xlsx")

    assert reason.startswith(
        "plan.xlsx sheet 'Media plan' row 7, cell G7 (spend): '12.345' has fractions of a cent; "
        "spend is dollars and cents. Fix the file"
    )


def test_amounts_and_counts_in_number_cells(dirs):
    write_xlsx(
        dirs[0],
        "plan.xlsx",
        [
            ["P-1", *OOH[1:6], 1200.505, 615000, 88],
            ["P-2", *OOH_2[1:6], -5, 45000.5, None],
        ],
    )

    reason = quarantined(dirs, "plan.xlsx")

    assert "row 2, cell G2 (spend): 1200.505 has fractions of a cent" in reason
    assert "row 3, cell G3 (spend): -5 is negative; spend must be >= 0." in reason
    assert "row 3, cell H3 (impressions): 45000.5 is not a whole number" in reason


def test_a_date_cell_with_a_time_of_day_is_quarantined(dirs):
    write_xlsx(dirs[0], "plan.xlsx", [[*OOH[:4], datetime(2026, 3, 2, 14, 30), *OOH[5:]]])
    reason = quarantined(dirs, "plan.xlsx")
    assert "row 2, cell E2 (start_date): 2026-03-02T14:30:00 has a time of day" in reason


def test_a_column_without_a_name_is_allowed_only_when_empty(dirs):
    write_csv(dirs[0], "spacer.csv", [",".join([*HEADER, ""]), ",".join([*OOH, ""])])
    run(dirs)
    assert sorted(landed(dirs)) == ["P-1"]

    write_csv(dirs[0], "notes.csv", [",".join([*HEADER, ""]), ",".join([*OOH_2, "call back"])])
    reason = quarantined(dirs, "notes.csv")
    assert "line 1 (header): column 10 has no name in the header but holds values (first in row 1 (line 2))" in reason


def test_unknown_and_duplicate_columns_in_a_workbook_header_name_the_cell(dirs):
    path = write_xlsx(dirs[0], "plan.xlsx", [OOH])
    edit_xlsx(path, lambda book: (book.active.cell(1, 8, "impresions"), book.active.cell(1, 9, "spend")))

    reason = quarantined(dirs, "plan.xlsx")

    assert (
        "sheet 'Media plan' row 1 (header), cell H1: unknown column 'impresions' (did you mean 'impressions'?)"
        in reason
    )
    assert "row 1 (header), cell I1: column 'spend' appears twice; keep one." in reason


# --- CSV files and the inbox -----------------------------------------------------------------------


def test_csv_cells_with_currency_grouping_and_us_dates_land(dirs):
    write_csv(
        dirs[0],
        "plan.csv",
        [
            ",".join(HEADER),
            'P-1,ooh,Prairie Outdoor,northside-clinic,03/02/2026,"March 29, 2026","$1,200.50","615,000",88',
            "P-2,ooh,Summit Billboards,birth-center,9 Mar 2026,2026-04-05T00:00:00,$ 1200,320000,",
            'P-3,ooh,Summit Billboards,birth-center,2026-03-09,,"1,200.50",320000,',
        ],
    )

    run(dirs)

    rows = landed(dirs)
    assert (rows["P-1"]["spend"], rows["P-1"]["impressions"]) == (Decimal("1200.50"), 615000)
    assert (rows["P-1"]["start_date"], rows["P-1"]["end_date"]) == (date(2026, 3, 2), date(2026, 3, 29))
    assert (rows["P-2"]["spend"], rows["P-2"]["start_date"]) == (Decimal("1200.00"), date(2026, 3, 9))
    assert rows["P-2"]["end_date"] == date(2026, 4, 5)
    assert rows["P-3"]["spend"] == Decimal("1200.50")


def test_a_file_that_is_not_utf8_is_quarantined(dirs):
    (dirs[0] / "plan.csv").write_bytes((",".join(HEADER) + "\n" + ",".join(OOH) + ",Caf\xe9\n").encode("latin-1"))
    reason = quarantined(dirs, "plan.csv")
    assert "the file is not UTF-8 text; save it as 'CSV UTF-8'." in reason


def test_blank_trailing_rows_of_a_csv_export_are_skipped(dirs):
    write_csv(dirs[0], "plan.csv", [",".join(HEADER), ",".join(OOH), ",,,,,,,,", "", ",,,,,,,,"])
    assert run(dirs).rows_landed == 1


def test_a_long_list_of_problems_is_cut_after_25(dirs):
    lines = [",".join(HEADER)] + [
        f"P-{n},ooh,Prairie Outdoor,northside-clinic,2026-03-02,,-1,615000," for n in range(30)
    ]
    write_csv(dirs[0], "plan.csv", lines)

    reason = quarantined(dirs, "plan.csv")

    assert reason.startswith("plan.csv: 30 problems:")
    assert reason.count("is negative") == 25
    assert "... and 5 more problem(s)" in reason


def test_a_placement_id_in_a_csv_and_a_workbook_quarantines_the_later_file(dirs):
    write_csv(dirs[0], "a_plan.csv", [",".join(HEADER), ",".join(OOH)])
    write_xlsx(dirs[0], "b_plan.xlsx", [OOH_2, ["P-1", *OOH_2[1:]]])

    reason = quarantined(dirs, "b_plan.xlsx")

    assert (
        "b_plan.xlsx sheet 'Media plan' row 3, cell A3 (placement_id): placement_id 'P-1' is already used in a_plan.csv row 1"
        in reason
    )
    assert sorted(landed(dirs)) == ["P-1"]


def test_lock_files_and_hidden_files_are_skipped_and_an_old_workbook_is_quarantined_with_a_hint(dirs):
    write_csv(dirs[0], "plan.csv", [",".join(HEADER), ",".join(OOH)])
    (dirs[0] / "~$plan.xlsx").write_bytes(b"lock")
    (dirs[0] / ".plan.csv.swp").write_bytes(b"swap")
    (dirs[0] / "old_plan.xls").write_bytes(b"BIFF8")

    reason = quarantined(dirs, "old_plan.xls")

    assert "old_plan.xls: .xls files are not read; save it as .xlsx (Excel Workbook) or .csv" in reason
    assert sorted(landed(dirs)) == ["P-1"]
    assert sorted(p.name for p in dirs[0].iterdir()) == [".plan.csv.swp", "plan.csv", "~$plan.xlsx"]


# --- cell parsers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("$1,200.50", "1200.50"),
        ("1,200.50", "1200.50"),
        ("$ 1200", "1200.00"),
        ("1,234,567.8", "1234567.80"),
        ("0", "0.00"),
        ("12.340", "12.34"),
        (1200, "1200.00"),
        (1200.1, "1200.10"),
        (0.1 + 0.2, "0.30"),  # 0.30000000000000004: a formula's float noise, not a fraction of a cent
    ],
)
def test_amounts_parse_to_cents(cell, amount):
    assert parse_money(cell, "spend") == Decimal(amount)


@pytest.mark.parametrize(
    ("cell", "error"),
    [
        ("1,20.5", "'1,20.5' has commas in the wrong places"),
        ("12,00", "'12,00' has commas in the wrong places"),
        ("€1,200", "amounts must be in US dollars"),
        ("£5", "amounts must be in US dollars"),
        ("-$5", "'-$5' is negative; spend must be >= 0."),
        ("($5.00)", "'($5.00)' is negative; spend must be >= 0."),
        ("$-5", "is negative"),
        ("12.345", "has fractions of a cent"),
        (1200.505, "1200.505 has fractions of a cent"),
        ("twelve", "'twelve' is not a number; spend must be an amount in US dollars"),
        ("1200 USD", "is not a number"),
        (True, "TRUE is not a number"),
        ("1000000000000", "too large"),
    ],
)
def test_bad_amounts_say_what_is_wrong(cell, error):
    with pytest.raises(CellError, match=re.escape(error)):
        parse_money(cell, "spend")


@pytest.mark.parametrize(
    ("cell", "count"), [("12,000", 12000), ("45000", 45000), (45000.0, 45000), ("45000.0", 45000), (7, 7)]
)
def test_counts_parse_to_whole_numbers(cell, count):
    assert parse_count(cell, "impressions") == count


@pytest.mark.parametrize(
    ("cell", "error"),
    [
        (45000.5, "45000.5 is not a whole number"),
        ("615000.5", "'615000.5' is not a whole number"),
        ("12,00", "commas in the wrong places"),
        ("-3", "'-3' is negative; impressions must be >= 0."),
        ("$12", "is not a number"),
        (datetime(2026, 3, 1), "is not a number"),
    ],
)
def test_bad_counts_say_what_is_wrong(cell, error):
    with pytest.raises(CellError, match=re.escape(error)):
        parse_count(cell, "impressions")


def test_ratios_accept_text_and_number_cells():
    assert (parse_ratio("142.5", "grps"), parse_ratio(2.4, "readers_per_copy"), parse_ratio("1,450.5", "grps")) == (
        142.5,
        2.4,
        1450.5,
    )
    with pytest.raises(CellError, match="is negative"):
        parse_ratio("-2", "grps")


@pytest.mark.parametrize(
    "cell",
    [
        "2026-03-31",
        "3/31/2026",
        "03/31/2026",
        "Mar 31, 2026",
        "Mar. 31 2026",
        "31 Mar 2026",
        "March 31, 2026",
        "31 March 2026",
        "2026-03-31T00:00:00",
        " 2026-03-31 00:00:00 ",
        datetime(2026, 3, 31),
        date(2026, 3, 31),
    ],
)
def test_dates_in_the_usual_formats(cell):
    assert parse_date(cell, "start_date") == date(2026, 3, 31)


def test_slashed_dates_are_month_first():
    assert parse_date("03/04/2026", "start_date") == date(2026, 3, 4)


@pytest.mark.parametrize(
    ("cell", "error"),
    [
        (
            "31/03/2026",
            "'31/03/2026' is not a date: month 31 does not exist; dates are month/day/year (did you mean 3/31/2026?)",
        ),
        ("3/31/26", "'3/31/26' has a 2-digit year; write the year with 4 digits"),
        ("Mar 31, 26", "has a 2-digit year"),
        ("2026-02-30", "'2026-02-30' is not a date: February 2026 has no day 30"),
        ("2/29/2026", "February 2026 has no day 29"),
        ("2026-13-01", "month 13 does not exist"),
        ("31.03.2026", "is not a date; write it as YYYY-MM-DD"),
        ("Marz 31, 2026", "'Marz' is not a month"),
        ("2026-03-31T14:30:00", "has a time of day"),
        (datetime(2026, 3, 31, 9, 15), "has a time of day"),
        (46112, "46112 is not a date; format the cell as a date"),
    ],
)
def test_bad_dates_say_what_is_wrong(cell, error):
    with pytest.raises(CellError, match=re.escape(error)):
        parse_date(cell, "start_date")


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("(319) 555-0101", "+13195550101"),
        ("319-555-0101", "+13195550101"),
        ("319.555.0101", "+13195550101"),
        ("1-319-555-0101", "+13195550101"),
        ("+1 319 555 0101", "+13195550101"),
        (3195550101, "+13195550101"),
        (3195550101.0, "+13195550101"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_become_e164(cell, number):
    assert parse_phone(cell, "tracking_number") == number


@pytest.mark.parametrize(
    ("cell", "error"),
    [
        ("555-0101", "it has 7 digits, not 10"),
        ("319-555-01011", "it has 11 digits"),
        ("(019) 555-0101", "area code 019 cannot start with 0 or 1"),
        ("319-155-0101", "the exchange 155"),
        ("+1 319 555 010", "it has 9 digits"),
        ("1-800-FLOWERS", "no letters or extensions"),
        ("319-555-0101 x12", "no letters or extensions"),
        ("+0 123 4567", "is not an international number"),
    ],
)
def test_bad_phone_numbers_say_what_is_wrong(cell, error):
    with pytest.raises(CellError, match=re.escape(error)):
        parse_phone(cell, "tracking_number")
