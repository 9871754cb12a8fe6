"""Tabular inboxes: folders where people drop spreadsheets (the media plan, the call-tracking export)
that the pipeline checks cell by cell and lands as one snapshot.

Every run reads each `.csv` and `.xlsx` file of the inbox and lands the rows of all valid files
together as one partition, so a rerun of a day replaces that day's snapshot.
- A file is taken once complete (`core.settings.InboxSettle`): at once when `<file>.done` was
  written after it, else once it has not changed for `settle_seconds` (unless the inbox requires
  markers). Names of files being written (`.filepart`, `.part`, `.partial`, `.crdownload`, `.tmp`),
  spreadsheet lock files `~$…` and dot files are never read. A file not complete yet stays in the
  inbox and holds back the whole snapshot (a snapshot without it would be a smaller one).
- A file with any problem, or of a type that is not read (`.xls`, `.ods`, `.numbers`, `.txt`…), is
  moved to `<quarantine>/<source>/date=<partition day>/` with `<file>.reason.txt` beside it saying
  what to fix; the valid files land and then the run raises, so the task alerts.
- When no file can land (none, one still being written, all quarantined) nothing lands: the source
  keeps its last snapshot and is stale, instead of landing an empty snapshot the warehouse would
  read as an emptied plan. With nothing bad, `InboxNotReady` says why.
- Rules the landing gate checks on the snapshot are checked here first, on each row, so a bad file
  is named with its row: e.g. no call after the day the file was taken (`Inbox.not_after_run_day`).

CSV files are read in batches of BATCH_ROWS records, so memory stays flat whatever the file's
length; the cells of a batch written the plain way (ISO dates, E.164 numbers, digits) are read
column-wise (`Inbox.check_plain_rows`), every other row cell by cell, with the same results and
messages. A workbook is read whole (Excel sheets stop at 1,048,576 rows).

Reading a file:
- CSV must be UTF-8 ("CSV UTF-8" in Excel). In a workbook the sheet read is the one named like the
  source (e.g. "Media plan"; case, spaces and underscores do not matter) or else the only sheet.
  Formulas are read as the result Excel saved in the file.
- The header is the first of the first 10 rows that holds every required column name; title rows,
  banners and blank rows above it are ignored. Names must match exactly: an unknown, duplicate or
  missing name is an error, so a typo cannot drop a column silently. A column without a name is
  allowed only when it is empty. Blank rows are skipped; a merged cell among the data is an error
  (its value would be in its first cell only).
- Cells are read by the rules of `extractors.cells` (amounts, counts, ratios, dates, phone numbers).

Where a problem is: in a CSV file "row N (line L)", N counting data rows after the header and L the
line of the file; in a workbook "sheet 'Media plan' row R, cell G7 (spend)" with the sheet's own row
numbers. A landed record's `source_row` is that N or R."""

from __future__ import annotations

import csv
import difflib
import itertools
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core import storage
from core.landing import RunContext, write_partition
from core.settings import InboxSettle
from extractors.cells import CellError, cell_text, shown_cell

log = logging.getLogger(__name__)

FIX_HINT = "Fix the file and drop it in the inbox again."
# Enough to fix a file in one pass without burying the alert under a thousand copies of one mistake.
MAX_PROBLEMS_LISTED = 25
# Title rows and banners above the header are ignored; a header further down is not looked for.
HEADER_SEARCH_ROWS = 10
READ_SUFFIXES = (".csv", ".xlsx")
# Spreadsheet formats people save by habit that are not read: they get a hint instead of silence.
SAVE_AS_XLSX_SUFFIXES = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")


class InboxFileError(ValueError):
    """An inbox file (or several) could not be landed; the message says where and what to fix."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.result: InboxResult | None = None  # what the night landed all the same (the valid files)


@dataclass(frozen=True)
class Problem:
    """One thing to fix in a file, and where it is."""

    file: str
    text: str
    row: int | None = None  # CSV: data row (1-based, header not counted); workbook: the sheet's row
    line: int | None = None  # CSV: line of the file
    column: str | None = None
    sheet: str | None = None  # workbook: the sheet read
    cell: str | None = None  # workbook: cell reference, e.g. "G7"
    header: bool = False

    def __str__(self) -> str:
        where = self.file
        if self.sheet is not None:
            where += f" sheet {self.sheet!r}"
        if self.row is not None:
            where += f" row {self.row}"
            if self.line is not None:
                where += f" (line {self.line})"
            elif self.header:
                where += " (header)"
        elif self.line is not None:
            where += f" line {self.line}" + (" (header)" if self.header else "")
        if self.cell is not None:
            where += f", cell {self.cell}" + (f" ({self.column})" if self.column else "")
        elif self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.text}"


@dataclass(frozen=True)
class _Unreadable:
    """A workbook cell whose value cannot be known: a formula without a saved result, an error, or a
    merged cell."""

    text: str | None  # what to tell; None for the cells a merged cell covers (reported at its first cell)


@dataclass
class Row:
    """One data row: its cells by column name, where it is, and the problems found in it."""

    file: str
    number: int  # as problems name it (see Problem.row)
    line: int | None
    sheet: str | None
    values: dict[str, Any]  # column -> cell: text for CSV; text, number, datetime or None for a workbook
    cells: dict[str, str] = field(default_factory=dict)  # column -> cell reference (workbooks)
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True  # False when the cells cannot be matched to the columns

    def locate(self, column: str | None, text: str, cell: str | None = None) -> Problem:
        cell = cell or (self.cells.get(column) if column else None)
        return Problem(self.file, text, self.number, self.line, column, self.sheet, cell)

    def problem(self, column: str | None, text: str, cell: str | None = None) -> None:
        self.problems.append(self.locate(column, text, cell))

    def has(self, column: str) -> bool:
        return not _is_empty(self.values.get(column))

    def value(self, column: str, parse: Callable[[Any, str], Any], missing: str | None = None) -> Any:
        """The parsed cell, or None when it is empty (a problem if `missing` says so) or wrong (a problem)."""
        raw = self.values.get(column)
        if isinstance(raw, _Unreadable):
            return None  # already reported when the row was read
        if _is_empty(raw):
            if missing is not None:
                self.problem(column, missing)
            return None
        try:
            return parse(raw, column)
        except CellError as exc:
            self.problem(column, str(exc))
            return None


@dataclass
class Table:
    """A file read against the expected columns: the data rows, or the problems that stop reading it."""

    columns: list[str]
    rows: list[Row]
    problems: list[Problem]
    sheet: str | None = None  # workbooks: the sheet read


@dataclass
class _Grid:
    """The cells of a file as read: (number, values) per row, where the number is the line of a CSV
    file or the row of a sheet."""

    file: str
    sheet: str | None
    rows: list[tuple[int, list[Any]]]
    merged: list[Any] = field(default_factory=list)  # openpyxl merged cell ranges

    def column_label(self, index: int) -> str:
        return _column_letter(index) if self.sheet is not None else str(index + 1)

    def cell(self, index: int, number: int) -> str | None:
        return f"{_column_letter(index)}{number}" if self.sheet is not None else None


def read_xlsx_table(path: Path, sheet: str, required: tuple[str, ...], optional: tuple[str, ...]) -> Table:
    """Read a workbook whose header must hold the `required` columns and may hold the `optional` ones.
    A workbook is read whole (openpyxl needs it for merged cells and saved formula results); Excel
    sheets stop at 1,048,576 rows."""
    grid, problems = _read_xlsx(path, sheet)
    if problems:
        return Table([], [], problems)
    return _table(grid, required, optional)


def header_holds(path: Path, columns: tuple[str, ...]) -> bool:
    """Whether one of the first HEADER_SEARCH_ROWS rows of a CSV file, or of a workbook's sheet,
    names every one of `columns`: how an inbox of several reports tells them apart (`Inbox.takes`).
    A file that cannot be read holds nothing."""
    wanted = set(columns)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = [cells for _, cells in itertools.islice(_csv_records(handle), HEADER_SEARCH_ROWS)]
        elif suffix == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                rows = [
                    list(values)
                    for sheet in book.worksheets
                    for values in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
                ]
            finally:
                book.close()
        else:
            return False
    except Exception:  # unreadable: the report that takes the rest quarantines it with the reason
        return False
    return any(wanted <= {_header_name(value) for value in values} for values in rows)


def _csv_records(handle) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) per record; the line is where the record ends, as csv counts it."""
    reader = csv.reader(handle)
    for cells in reader:
        yield reader.line_num, cells


def _csv_problem(path: Path, exc: Exception) -> Problem:
    if isinstance(exc, UnicodeDecodeError):
        return Problem(path.name, "the file is not UTF-8 text; save it as 'CSV UTF-8'.")
    return Problem(path.name, f"the file is not valid CSV ({exc}).")


def _read_xlsx(path: Path, wanted: str) -> tuple[_Grid, list[Problem]]:
    from openpyxl import load_workbook

    grid = _Grid(path.name, None, [])
    try:
        # Two reads of the file: the results Excel saved, and the formulas, to tell a formula that was
        # never calculated (tools that write workbooks without Excel) from an empty cell.
        results = load_workbook(path, data_only=True)
        formulas = load_workbook(path, data_only=False)
    except Exception as exc:  # a damaged or mislabelled file fails anywhere in the zip and XML readers
        text = (
            f"the file cannot be read as an Excel workbook ({type(exc).__name__}: {exc}); "
            "open it in Excel and save it as .xlsx (Excel Workbook)."
        )
        return grid, [Problem(path.name, text)]

    key = _sheet_key(wanted)
    matches = [ws for ws in results.worksheets if _sheet_key(ws.title) == key]
    if len(matches) == 1 or (not matches and len(results.worksheets) == 1):
        sheet = (matches or results.worksheets)[0]
    else:
        titles = ", ".join(repr(title) for title in results.sheetnames)
        text = (
            f"{len(matches)} sheets are named like {wanted!r} ({', '.join(repr(ws.title) for ws in matches)}); keep one."
            if matches
            else f"no sheet named {wanted!r}; the workbook has sheets: {titles}; rename the sheet or keep only one."
        )
        return grid, [Problem(path.name, text)]

    unsaved = {cell.coordinate for row in formulas[sheet.title].iter_rows() for cell in row if cell.data_type == "f"}
    grid.sheet = sheet.title
    grid.merged = list(sheet.merged_cells.ranges)
    for cells in sheet.iter_rows():
        values: list[Any] = []
        for cell in cells:
            value = cell.value
            if cell.data_type == "e":
                value = _Unreadable(f"cell {cell.coordinate} holds the error {value}; correct the formula and save.")
            elif value is None and cell.coordinate in unsaved:
                value = _Unreadable(
                    f"cell {cell.coordinate} holds a formula with no saved result; "
                    "open the file in Excel (or LibreOffice) and save it."
                )
            values.append(value)
        grid.rows.append((cells[0].row, values))
    return grid, []


def _table(grid: _Grid, required: tuple[str, ...], optional: tuple[str, ...]) -> Table:
    found = _find_header(grid, required, optional)
    if isinstance(found, Problem):
        return Table([], [], [found])
    header = found
    problems = _header_problems(grid, header, required, optional)
    if problems:
        return Table(header.columns, [], problems)
    _mark_merged_data_cells(grid, header.number)
    return Table(header.columns, _data_rows(grid, header), [], grid.sheet)


@dataclass(frozen=True)
class _Header:
    index: int  # in grid.rows
    number: int  # line (CSV) or sheet row
    columns: list[str]  # "" for a column without a name
    complete: bool  # holds every required name

    def problem(self, grid: _Grid, text: str, index: int | None = None) -> Problem:
        if grid.sheet is None:
            return Problem(grid.file, text, line=self.number, header=True)
        cell = grid.cell(index, self.number) if index is not None else None
        return Problem(grid.file, text, row=self.number, sheet=grid.sheet, cell=cell, header=True)


def _find_header(grid: _Grid, required: tuple[str, ...], optional: tuple[str, ...]) -> _Header | Problem:
    """The first row that holds every required name or, failing that, the one that looks most like a
    header (so that its problems can be reported)."""
    candidates = [[_header_name(value) for value in values] for _, values in grid.rows[:HEADER_SEARCH_ROWS]]
    for index, names in enumerate(candidates):
        if set(required) <= set(names):
            return _Header(index, grid.rows[index][0], names, True)
    known = set(required + optional)
    scored = [(len(known & set(names)), -index) for index, names in enumerate(candidates) if any(names)]
    if scored:
        index = -max(scored)[1]
        return _Header(index, grid.rows[index][0], candidates[index], False)
    if any(not _is_blank(values) for _, values in grid.rows):
        where = f"the first {HEADER_SEARCH_ROWS} rows are blank"
    else:
        where = "the sheet is empty" if grid.sheet is not None else "the file is empty"
    text = f"{where}; it needs a header row (within the first {HEADER_SEARCH_ROWS} rows) and data rows."
    return Problem(grid.file, text, sheet=grid.sheet)


def _header_problems(
    grid: _Grid,
    header: _Header,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    unnamed_values: dict[int, tuple[int, int]] | None = None,
) -> list[Problem]:
    """What is wrong with the header. `unnamed_values` maps each column without a name to the first
    data row holding a value in it, (data row, line or sheet row); None: look for them in the grid."""
    known = required + optional
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, (name, raw) in enumerate(zip(header.columns, grid.rows[header.index][1], strict=True)):
        if isinstance(raw, _Unreadable):
            problems.append(header.problem(grid, raw.text or "", index))
        elif not name:
            continue
        elif name in seen:
            problems.append(header.problem(grid, f"column {name!r} appears twice; keep one.", index))
        elif name not in known:
            guess = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
            text = f"unknown column {name!r}{hint}; allowed columns are {', '.join(known)}."
            problems.append(header.problem(grid, text, index))
        seen.add(name)
    problems.extend(
        header.problem(grid, f"required column {c!r} is missing from the header.") for c in required if c not in seen
    )

    # A column without a name is tolerated while it is empty (a spacer column, a stray trailing comma).
    if unnamed_values is None:
        unnamed_values = {}
        for data_row, (number, values) in enumerate(grid.rows[header.index + 1 :], start=1):
            _note_unnamed_values(header, data_row, number, values, unnamed_values)
    for index, name in enumerate(header.columns):
        if name:
            continue
        first = unnamed_values.get(index)
        if first is not None:
            data_row, number = first
            where = f"cell {grid.cell(index, number)}" if grid.sheet is not None else f"row {data_row} (line {number})"
            text = (
                f"column {grid.column_label(index)} has no name in the header but holds values (first in {where}); "
                "name the column or clear it."
            )
            problems.append(header.problem(grid, text, index))

    # Merged cells across the header row, or (when no row holds all the names) next to it.
    number = header.number
    split = [r for r in grid.merged if r.min_row <= number <= r.max_row and r.min_row < r.max_row]
    if not header.complete:
        split += [r for r in grid.merged if r not in split and r.min_row <= number + 1 and r.max_row >= number - 1]
    if split:
        text = (
            f"the header seems split over rows with merged cells ({', '.join(r.coord for r in split)}); "
            "write the column names in one row, one name per cell, and unmerge those cells."
        )
        problems.insert(0, header.problem(grid, text))
    return problems


def _note_unnamed_values(
    header: _Header, data_row: int, number: int, values: list[Any], found: dict[int, tuple[int, int]]
) -> None:
    for index, name in enumerate(header.columns):
        if not name and index not in found and index < len(values) and not _is_empty(values[index]):
            found[index] = (data_row, number)


def _mark_merged_data_cells(grid: _Grid, header_number: int) -> None:
    """A merged cell among the data holds its value in its first cell only: the first cell reports the
    merge and the cells it covers are left out of the checks. Merged empty cells are only formatting."""
    values_of = dict(grid.rows)
    for merged in grid.merged:
        if merged.min_row <= header_number or _is_empty(values_of[merged.min_row][merged.min_col - 1]):
            continue
        for number, column in merged.cells:
            values_of[number][column - 1] = _Unreadable(None)
        start = merged.start_cell.coordinate
        values_of[merged.min_row][merged.min_col - 1] = _Unreadable(
            f"cells {merged.coord} are merged, so only {start} holds the value; "
            "unmerge them and write the value in every cell."
        )


def _data_rows(grid: _Grid, header: _Header) -> list[Row]:
    rows = []
    for data_row, (number, values) in enumerate(grid.rows[header.index + 1 :], start=1):
        row = _data_row(grid, header.columns, data_row, number, values)
        if row is not None:
            rows.append(row)
    return rows


def _data_row(grid: _Grid, columns: list[str], data_row: int, number: int, values: list[Any]) -> Row | None:
    """One data row of the grid (None when it is blank), with the problems seen while reading it."""
    if _is_blank(values):
        return None  # e.g. trailing empty rows of a spreadsheet export
    if grid.sheet is None:
        row = Row(grid.file, data_row, number, None, {})
    else:
        row = Row(grid.file, number, None, grid.sheet, {})
    if len(values) > len(columns):
        row.problem(
            None,
            f"the row has {len(values)} cells but the header has {len(columns)} columns; "
            "look for an unquoted comma (e.g. a number written as 12,000).",
        )
        row.readable = False
        return row
    for index, name in enumerate(columns):
        if not name:
            continue
        # A CSV row may stop short of the header (trailing empty cells left out): those cells are empty.
        value = values[index] if index < len(values) else None
        row.values[name] = value
        if grid.sheet is not None:
            row.cells[name] = grid.cell(index, number)
        if isinstance(value, _Unreadable) and value.text is not None:
            row.problem(name, value.text)
    return row


def _header_name(value: Any) -> str:
    return "" if isinstance(value, _Unreadable) else cell_text(value)


def _sheet_key(title: str) -> str:
    return " ".join(title.replace("_", " ").split()).casefold()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank(values: list[Any]) -> bool:
    return all(_is_empty(value) for value in values)


@dataclass(frozen=True)
class UniqueKey:
    """Columns whose values may appear once in a file and once across the files of the inbox."""

    columns: tuple[str, ...]
    rule: str  # said after a duplicate, e.g. "placement ids must be unique"

    def describe(self, value: tuple[Any, ...]) -> str:
        return " with ".join(f"{column} {shown_cell(v)}" for column, v in zip(self.columns, value, strict=True))


@dataclass(frozen=True)
class QuarantinedFile:
    name: str
    reason: str
    moved_to: Path


@dataclass
class InboxResult:
    partition: Path | None  # None: nothing landed tonight, the source keeps its last snapshot
    files_landed: list[str] = field(default_factory=list)
    rows_landed: int = 0
    quarantined: list[QuarantinedFile] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # why each file not taken yet waits
    landed: dict[str, int] = field(default_factory=dict)  # rows landed per entity (one for most inboxes)


class InboxNotReady(RuntimeError):
    """No file of the inbox could be landed tonight and none was bad: the inbox is empty or a file
    is still being written. Not an error of the data: the source keeps its last snapshot (it shows
    as stale) and the next run lands the inbox."""

    def __init__(self, message: str, result: InboxResult) -> None:
        super().__init__(message)
        self.result = result


# Names copy tools and editors give a file while writing it (WinSCP .filepart, browsers and curl
# .part, many tools .tmp): never read, whatever the settle rule.
TEMPORARY_SUFFIXES = (".filepart", ".part", ".partial", ".crdownload", ".tmp")
# `<file>.done`, written once `<file>` is complete, makes the inbox take the file at once.
DONE_SUFFIX = ".done"


def done_marker(path: Path) -> Path:
    return path.with_name(path.name + DONE_SUFFIX)


def waiting_reason(path: Path, settle: InboxSettle, now: datetime) -> str | None:
    """Why `path` is not taken yet (None: it is complete). A file is complete when its `.done`
    marker is there and not older than the file (an old marker does not vouch for a file written
    again after it), or else, unless the inbox requires markers, once it has not changed for
    `settle_seconds`: its mtime (and so its size) has been still that long."""
    modified = path.stat().st_mtime
    marker = done_marker(path)
    if marker.is_file() and marker.stat().st_mtime >= modified:
        return None
    if settle.require_done_marker:
        return (
            f"{path.name} waits for its marker {marker.name}: this inbox takes a file once the marker "
            "is written after it"
        )
    age = now.timestamp() - modified
    if settle.settle_seconds and age < settle.settle_seconds:
        changed = datetime.fromtimestamp(modified, UTC).isoformat(timespec="seconds")
        return (
            f"{path.name} changed {max(age, 0):.0f} s ago (at {changed}), it may still be being copied: it is taken once "
            f"unchanged for {settle.settle_seconds} s, or at once when {marker.name} is written after it"
        )
    return None


@dataclass
class _Checked:
    """What reading one file found: its rows if it is valid, its problems, and the key values it
    claims (even when invalid, so a duplicate across files does not depend on unrelated typos)."""

    path: Path
    rows: pa.Table | None  # None when the file has problems
    problems: list[Problem]
    claims: list[pa.Table]  # per unique key: the key columns, source_row and _line of each first use
    locate: Callable[[int, int | None, str, str], Problem]
    changed: bool = False  # the file changed while it was read


@dataclass
class InboxCheck:
    """What `Inbox.check` found in the inbox: the valid files, the bad ones with their problems,
    and why each file not taken yet waits. Nothing is written until `Inbox.finish`."""

    inbox: Path
    landable: list[_Checked]
    rejected: list[tuple[Path, list[Problem]]]
    waiting: list[str]

    def rows(self, schema: pa.Schema) -> pa.Table | None:
        """The rows of the valid files together (the landed columns), or None when none is valid."""
        if not self.landable:
            return None
        return pa.concat_tables([checked.rows.select(schema.names) for checked in self.landable])


# Rows of a CSV file checked at once: enough for column-wise reading, few enough to keep memory flat.
BATCH_ROWS = 20_000
# Rows found wrong column-wise (e.g. every call of an export after the run day) are listed up to
# this many, then counted: the reason needs the first few, not a million.
MAX_ROWS_REPORTED = 1_000
_LINE = "_line"


@dataclass(frozen=True)
class Inbox:
    """One kind of file dropped in an inbox folder, how its rows are checked, and where they land."""

    source: str
    entity: str
    part: str
    schema: pa.Schema
    kind: str  # names the files in messages, e.g. "media-plan"
    sheet: str  # the sheet read in a workbook with several sheets
    noun: str  # what one data row is, e.g. "placement"
    required: tuple[str, ...]
    # Fills a record (the schema's fields, source_file and source_row already set) from a row,
    # reporting problems on the row.
    check_row: Callable[[Row, dict[str, Any]], None]
    error: type[InboxFileError]
    optional: tuple[str, ...] = ()  # columns the header may leave out
    unique: tuple[UniqueKey, ...] = ()
    # Date columns that cannot be after the day the run covers, and the reason said after one that is.
    not_after_run_day: tuple[str, ...] = ()
    not_after_reason: str = ""
    # A batch of CSV cells by column (text) -> the typed columns and the rows they settle: rows every
    # check_row rule accepts, written the plain way. Every other row goes through check_row. Only
    # for a header that names every column; None: every row goes through check_row.
    check_plain_rows: Callable[[dict[str, pa.Array]], tuple[dict[str, pa.Array], pa.Array]] | None = None
    # Which files of the folder are this inbox's, when one folder holds several reports of an export
    # (e.g. `header_holds`); None: every file. A file no report takes must be taken by one of them,
    # so that it is quarantined with its header's problems.
    takes: Callable[[Path], bool] | None = None

    @property
    def _work_schema(self) -> pa.Schema:
        # Rows with problems are kept (for the keys they claim) with NULLs where a cell was wrong.
        return pa.schema([field.with_nullable(True) for field in self.schema] + [pa.field(_LINE, pa.int64())])

    def validate_file(self, path: Path, run_day: date | None = None) -> list[dict[str, Any]]:
        """The rows of one file as landing records, or the inbox's error listing every problem.
        With `run_day`, dates after it are problems too (as in a run for that day)."""
        checked = self._check_file(Path(path), run_day)
        if checked.problems:
            raise self.error(_describe(checked.path.name, checked.problems), checked.problems)
        return checked.rows.select(self.schema.names).to_pylist()

    def land(
        self,
        inbox: Path,
        quarantine_root: Path,
        ctx: RunContext,
        landing_root: Path | None = None,
        settle: InboxSettle | None = None,
        now: datetime | None = None,
    ) -> InboxResult:
        """Land a snapshot of the valid files in the inbox; quarantine the others, then fail if there were any.

        Files not complete yet (`settle`, from the configuration; None takes every file at once) wait
        in the inbox. Nothing is landed when a file waits or no file is valid: the source keeps its
        last snapshot, rather than landing a smaller or empty one. `now` is the clock the settle
        time is measured on."""
        return self.finish(self.check(inbox, ctx, settle, now), quarantine_root, ctx, landing_root)

    def check(
        self, inbox: Path, ctx: RunContext, settle: InboxSettle | None = None, now: datetime | None = None
    ) -> InboxCheck:
        """Read and check every file of the inbox this inbox takes (`takes`), writing nothing: the
        first half of `land`. An export of several reports checks each, then finishes each."""
        inbox = Path(inbox)
        settle = settle or InboxSettle(settle_seconds=0)
        now = now or datetime.now(UTC)
        files, unsupported = self._files(inbox)
        found = InboxCheck(inbox, [], [(path, problems) for path, problems in unsupported], [])
        claimed: list[pa.Table | None] = [None for _ in self.unique]
        for path in files:
            reason = waiting_reason(path, settle, now)
            if reason is None:
                checked = self._check_file(path, ctx.latest_day)
                if checked.changed:
                    reason = (
                        f"{path.name} changed while it was read, it is still being written: it is taken once complete"
                    )
            if reason is not None:
                log.warning("%s inbox %s: %s", self.kind, inbox, reason)
                found.waiting.append(reason)
                continue
            for index, key in enumerate(self.unique):
                claimed[index] = self._claim_across_files(key, checked, claimed[index])
            if checked.problems:
                found.rejected.append((path, checked.problems))
            else:
                found.landable.append(checked)
        return found

    def finish(
        self,
        found: InboxCheck,
        quarantine_root: Path,
        ctx: RunContext,
        landing_root: Path | None = None,
        rows: pa.Table | None = None,
    ) -> InboxResult:
        """Land what `check` found valid (or `rows`, those rows as transformed before landing: a
        row dropped, a column replaced), quarantine what it found bad, then fail if anything was.
        Nothing lands while a file waits."""
        result = InboxResult(None, waiting=list(found.waiting))
        if rows is None:
            rows = found.rows(self.schema)
        if rows is not None and not result.waiting:
            result.partition = write_partition(
                self.source, self.entity, self.part, rows.cast(self.schema), self.schema, ctx, landing_root
            )
            result.files_landed = [checked.path.name for checked in found.landable]
            result.rows_landed = rows.num_rows
            result.landed = {self.entity: rows.num_rows}
            log.info(
                "landed %d %s(s) from %d %s file(s) to %s",
                result.rows_landed,
                self.noun,
                len(found.landable),
                self.kind,
                storage.uri(result.partition),
            )

        quarantine_dir = Path(quarantine_root) / self.source / f"date={ctx.partition_date.isoformat()}"
        for path, problems in found.rejected:
            reason = _describe(path.name, problems)
            moved_to = _quarantine(path, reason, quarantine_dir)
            log.error("quarantined %s to %s: %s", path.name, moved_to, reason)
            result.quarantined.append(QuarantinedFile(path.name, reason, moved_to))

        if result.quarantined:
            error = self.error(
                self._report(result, found.inbox), [p for _, problems in found.rejected for p in problems]
            )
            error.result = result
            raise error
        if result.partition is None:
            raise InboxNotReady(self._not_landed(result, found.inbox), result)
        return result

    def _files(self, inbox: Path) -> tuple[list[Path], list[tuple[Path, list[Problem]]]]:
        """The files to read, and the files of a type that is not read (with the problem to report)."""
        if not inbox.is_dir():
            return [], []
        files, unsupported = [], []
        for path in sorted(inbox.iterdir(), key=lambda p: p.name):
            name = path.name.lower()
            # Spreadsheet lock files, hidden files, files being copied and their markers are not
            # part of the inbox.
            if name.startswith((".", "~$")) or name.endswith(TEMPORARY_SUFFIXES + (DONE_SUFFIX,)) or not path.is_file():
                continue
            if self.takes is not None and not self.takes(path):
                continue  # another report of the same inbox
            suffix = path.suffix.lower()
            if suffix in READ_SUFFIXES:
                files.append(path)
                continue
            what = f"{suffix} files" if suffix else "files without an extension"
            text = f"{what} are not read; save it as .xlsx (Excel Workbook) or .csv (CSV UTF-8)"
            if suffix in SAVE_AS_XLSX_SUFFIXES:
                text += " (in Excel: File > Save As > Excel Workbook)"
            files_read = " and ".join(READ_SUFFIXES)
            unsupported.append((path, [Problem(path.name, f"{text}; the {self.kind} inbox reads {files_read} files.")]))
        return files, unsupported

    def _check_file(self, path: Path, run_day: date | None) -> _Checked:
        before = path.stat()
        checked = self._read_and_check(path, run_day)
        after = path.stat()
        checked.changed = (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)
        return checked

    def _read_and_check(self, path: Path, run_day: date | None) -> _Checked:
        if path.suffix.lower() == ".xlsx":
            table = read_xlsx_table(path, self.sheet, self.required, self.optional)
            if table.problems:
                return self._unread(path, table.problems)
            check = _FileCheck(self, path.name, table.columns, table.sheet)
            check.add_rows(table.rows)
            return check.finish(path, run_day)

        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return self._read_csv(path, handle, run_day)
        except (UnicodeDecodeError, csv.Error) as exc:
            return self._unread(path, [_csv_problem(path, exc)])

    def _read_csv(self, path: Path, handle, run_day: date | None) -> _Checked:
        records = _csv_records(handle)
        grid = _Grid(path.name, None, list(itertools.islice(records, HEADER_SEARCH_ROWS)))
        found = _find_header(grid, self.required, self.optional)
        if isinstance(found, Problem):
            if all(_is_blank(values) for _, values in grid.rows):
                # Past the rows searched for the header: only whether anything follows matters.
                grid.rows.extend(itertools.islice((r for r in records if not _is_blank(r[1])), 1))
                found = _find_header(grid, self.required, self.optional)
            return self._unread(path, [found])
        header = found
        problems = _header_problems(grid, header, self.required, self.optional, unnamed_values={})
        unnamed: dict[int, tuple[int, int]] = {}
        nameless = header.columns.count("")
        check = _FileCheck(self, path.name, header.columns, None)
        numbers: list[int] = []
        lines: list[int] = []
        cells: list[list[str]] = []
        rest = itertools.chain(grid.rows[header.index + 1 :], records)
        for data_row, (line, values) in enumerate(rest, start=1):
            if len(unnamed) < nameless:
                _note_unnamed_values(header, data_row, line, values, unnamed)
            if problems:
                continue  # the header is wrong: only columns without a name are still looked at
            numbers.append(data_row)
            lines.append(line)
            cells.append(values)
            if len(cells) == BATCH_ROWS:
                check.add_csv_batch(numbers, lines, cells)
                numbers, lines, cells = [], [], []
        problems = _header_problems(grid, header, self.required, self.optional, unnamed_values=unnamed)
        if problems:
            return self._unread(path, problems)
        check.add_csv_batch(numbers, lines, cells)
        return check.finish(path, run_day)

    def _unread(self, path: Path, problems: list[Problem]) -> _Checked:
        return _Checked(
            path, None, problems, [_no_claims(self.schema, key) for key in self.unique], _locator(path.name, [], None)
        )

    def _claim_across_files(self, key: UniqueKey, checked: _Checked, earlier: pa.Table | None) -> pa.Table:
        """Report the values of `key` that an earlier file of the inbox already used; return the
        values claimed so far (earlier files first)."""
        index = self.unique.index(key)
        mine = checked.claims[index]
        columns = list(key.columns)
        if earlier is None:
            fresh = mine
        else:
            used = mine.join(earlier, keys=columns, join_type="inner").sort_by("source_row")
            for row in used.to_pylist():
                text = (
                    f"{key.describe(tuple(row[c] for c in columns))} is already used in {row['_file']} "
                    f"row {row['_row']}; {key.rule} across the files of the inbox."
                )
                checked.problems.append(checked.locate(row["source_row"], row[_LINE], columns[0], text))
            fresh = mine.join(earlier, keys=columns, join_type="left anti")
        fresh = (
            fresh.select(columns)
            .append_column("_file", pa.repeat(pa.scalar(checked.path.name), fresh.num_rows))
            .append_column("_row", fresh.column("source_row"))
        )
        return fresh if earlier is None else pa.concat_tables([earlier, fresh])

    def _report(self, result: InboxResult, inbox: Path) -> str:
        if result.partition is not None:
            landed = f"{result.rows_landed} {self.noun}(s) from {len(result.files_landed)} valid file(s) were landed."
        else:
            landed = (
                f"nothing was landed: {self.source} keeps its last snapshot (stale) until the inbox holds valid "
                "files only."
                if not result.waiting
                else f"nothing was landed while a file waits: {'; '.join(result.waiting)}."
            )
        lines = [f"{len(result.quarantined)} {self.kind} file(s) quarantined; {landed}"]
        for item in result.quarantined:
            lines.append(f"* {item.name} -> moved to {item.moved_to} (reason in {item.moved_to.name}.reason.txt):")
            lines.extend(f"    {line}" for line in item.reason.splitlines())
        lines.append(f"Fix each file and drop it in {inbox} again; the next run lands it.")
        return "\n".join(lines)

    def _not_landed(self, result: InboxResult, inbox: Path) -> str:
        why = "; ".join(result.waiting) if result.waiting else f"it holds no {' or '.join(READ_SUFFIXES)} file"
        return (
            f"{self.kind} inbox {inbox}: nothing landed tonight ({why}). {self.source} keeps its last snapshot "
            "and shows as stale; the next run lands the inbox."
        )


def _no_claims(schema: pa.Schema, key: UniqueKey) -> pa.Table:
    fields = [schema.field(c).with_nullable(True) for c in key.columns]
    return pa.schema([*fields, pa.field("source_row", pa.int64()), pa.field(_LINE, pa.int64())]).empty_table()


def _locator(file: str, columns: list[str], sheet: str | None) -> Callable[[int, int | None, str, str], Problem]:
    """Where a problem found on the typed rows is: (source_row, line, column, text) -> Problem."""

    def locate(number: int, line: int | None, column: str, text: str) -> Problem:
        if sheet is None:
            return Problem(file, text, number, line, column)
        if column not in columns:  # a landed column a vendor's header names otherwise
            return Problem(file, text, number, None, column, sheet)
        return Problem(file, text, number, None, column, sheet, f"{_column_letter(columns.index(column))}{number}")

    return locate


class _FileCheck:
    """The rows of one file as they are checked: typed batches (kept for rows with problems too,
    for the keys they claim) and the problems, in row order."""

    def __init__(self, inbox: Inbox, file: str, columns: list[str], sheet: str | None) -> None:
        self.inbox, self.file, self.columns, self.sheet = inbox, file, columns, sheet
        self.schema = inbox._work_schema
        self.batches: list[pa.Table] = []
        self.problems: list[Problem] = []
        self.grid = _Grid(file, sheet, [])

    def add_rows(self, rows: list[Row]) -> pa.Table | None:
        """Check rows one by one (check_row); return their typed records (the readable rows)."""
        records = []
        for row in rows:
            if row.readable:
                record = dict.fromkeys(self.inbox.schema.names)
                record["source_file"] = self.file
                record["source_row"] = row.number
                self.inbox.check_row(row, record)
                record[_LINE] = row.line
                records.append(record)
            self.problems.extend(row.problems)
        table = pa.Table.from_pylist(records, schema=self.schema) if records else None
        if table is not None:
            self.batches.append(table)
        return table

    def add_csv_batch(self, numbers: list[int], lines: list[int], cells: list[list[str]]) -> None:
        """Check a batch of CSV records (data row numbers, lines, cells): the rows written the plain
        way column-wise (Inbox.check_plain_rows), the others one by one."""
        if not cells:
            return
        plain, others = self._plain_rows(numbers, lines, cells)
        rows = []
        for k in others:
            row = _data_row(self.grid, self.columns, numbers[k], lines[k], cells[k])
            if row is not None:
                rows.append(row)
        checked = self.add_rows(rows)
        if plain is not None:
            # Back in the file's order: the rows settled column-wise and those checked one by one.
            if checked is not None:
                self.batches.remove(checked)
                plain = pa.concat_tables([plain, checked]).sort_by("source_row")
            self.batches.append(plain)

    def _plain_rows(
        self, numbers: list[int], lines: list[int], cells: list[list[str]]
    ) -> tuple[pa.Table | None, Iterable[int]]:
        """The typed rows of the batch that check_plain_rows settles, and the places of the others."""
        check = self.inbox.check_plain_rows
        if check is None or not all(self.columns):
            return None, range(len(cells))
        whole = np.flatnonzero(np.fromiter(map(len, cells), np.int64, len(cells)) == len(self.columns))
        if not len(whole):
            return None, range(len(cells))
        chosen = cells if len(whole) == len(cells) else [cells[k] for k in whole]
        columns = zip(*chosen, strict=True)
        typed, ok = check(
            {name: pa.array(column, pa.string()) for name, column in zip(self.columns, columns, strict=True)}
        )
        ok = pc.fill_null(ok, False)
        settled = whole[ok.to_numpy(zero_copy_only=False)]
        others = np.ones(len(cells), dtype=bool)
        others[settled] = False
        places = pa.array(settled)
        arrays = []
        for name in self.schema.names:
            if name in typed:
                arrays.append(typed[name].filter(ok))
            elif name == "source_file":
                arrays.append(pa.repeat(pa.scalar(self.file), len(settled)))
            elif name == "source_row":
                arrays.append(pa.array(numbers, pa.int64()).take(places))
            elif name == _LINE:
                arrays.append(pa.array(lines, pa.int64()).take(places))
            else:
                arrays.append(pa.nulls(len(settled), self.schema.field(name).type))
        return pa.Table.from_arrays(arrays, schema=self.schema), np.flatnonzero(others).tolist()

    def finish(self, path: Path, run_day: date | None) -> _Checked:
        table = pa.concat_tables(self.batches) if self.batches else self.schema.empty_table()
        locate = _locator(self.file, self.columns, self.sheet)
        found: list[Problem] = []
        if run_day is not None:
            for column in self.inbox.not_after_run_day:
                later = table.filter(pc.greater(table[column], pa.scalar(run_day, pa.date32())))
                for row in later.slice(0, MAX_ROWS_REPORTED).select([column, "source_row", _LINE]).to_pylist():
                    text = (
                        f"{column} {row[column].isoformat()} is after {run_day.isoformat()}, the day this file was taken; "
                        f"{self.inbox.not_after_reason}: correct the date (check the year)."
                    )
                    found.append(locate(row["source_row"], row[_LINE], column, text))
                found += self._more(later.num_rows, f"have a {column} after {run_day.isoformat()}")
        claims = []
        for key in self.inbox.unique:
            firsts, repeats = _first_uses(table, key)
            claims.append(firsts)
            for row in repeats.slice(0, MAX_ROWS_REPORTED).to_pylist():
                text = (
                    f"{key.describe(tuple(row[c] for c in key.columns))} is already used on row "
                    f"{row['_first_row']}; {key.rule}."
                )
                found.append(locate(row["source_row"], row[_LINE], key.columns[0], text))
            found += self._more(repeats.num_rows, f"repeat a {' and '.join(key.columns)} used earlier")
        # Each row's problems together, in the file's order (a row's own before its clashes); the
        # counts of rows not listed last.
        problems = sorted(self.problems + found, key=lambda problem: (problem.row is None, problem.row or 0))
        if not problems and table.num_rows == 0:
            problems.append(Problem(self.file, f"the file has a header but no data rows; add the {self.inbox.noun}s."))
        return _Checked(path, None if problems else table, problems, claims, locate)

    def _more(self, rows: int, what: str) -> list[Problem]:
        if rows <= MAX_ROWS_REPORTED:
            return []
        return [Problem(self.file, f"{rows - MAX_ROWS_REPORTED:,} more rows {what} (the first are listed above).")]


def _first_uses(table: pa.Table, key: UniqueKey) -> tuple[pa.Table, pa.Table]:
    """The rows that use a value of `key` first (key columns, source_row, _line) and the rows that
    use it again (with `_first_row`, the source_row of its first use), in the file's order. Rows
    with an empty key column claim nothing. Found by sorting, which needs far less memory than
    grouping a million keys."""
    columns = list(key.columns)
    keyed = table.select([*columns, "source_row", _LINE])
    for column in columns:
        if keyed[column].null_count:
            keyed = keyed.filter(pc.is_valid(keyed[column]))
    count = keyed.num_rows
    order = pc.sort_indices(keyed, sort_keys=[(c, "ascending") for c in [*columns, "source_row"]])
    again = np.zeros(count, dtype=bool)  # in sorted order: the same value as the row before
    if count > 1:
        again[1:] = True
        for column in columns:
            values = keyed[column].take(order)
            again[1:] &= pc.equal(values.slice(1), values.slice(0, count - 1)).to_numpy(zero_copy_only=False)
    if not again.any():  # every value used once, as in a valid file
        return keyed, keyed.slice(0, 0).append_column("_first_row", pa.array([], pa.int64()))
    positions = np.arange(count)
    run_start = np.maximum.accumulate(np.where(again, 0, positions))
    order = order.to_numpy()
    sorted_rows = keyed["source_row"].to_numpy()[order]
    repeated = order[again]
    repeats = keyed.take(pa.array(repeated)).append_column(
        "_first_row", pa.array(sorted_rows[run_start[again]], pa.int64())
    )
    is_repeat = np.zeros(count, dtype=bool)
    is_repeat[repeated] = True
    return keyed.filter(pa.array(~is_repeat)), repeats.sort_by("source_row")


def _describe(name: str, problems: list[Problem]) -> str:
    if len(problems) == 1:
        return f"{problems[0]} {FIX_HINT}"
    listed = [f"  - {p}" for p in problems[:MAX_PROBLEMS_LISTED]]
    if len(problems) > MAX_PROBLEMS_LISTED:
        listed.append(f"  - ... and {len(problems) - MAX_PROBLEMS_LISTED} more problem(s)")
    return "\n".join([f"{name}: {len(problems)} problems:", *listed, FIX_HINT])


def _quarantine(path: Path, reason: str, quarantine_dir: Path) -> Path:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / path.name
    reason_file = quarantine_dir / f"{path.name}.reason.txt"
    tmp = quarantine_dir / f".{reason_file.name}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(reason + "\n", encoding="utf-8")
    os.replace(tmp, reason_file)
    # A file quarantined earlier the same day is replaced: the newest drop is the one to fix.
    shutil.move(path, target)
    marker = done_marker(path)
    if marker.is_file():
        # The marker goes with its file: the fixed file dropped back needs its own.
        shutil.move(marker, done_marker(target))
    return target
