"""Tabular inboxes: folders where people drop spreadsheets (the media plan, the call-tracking export)
that the pipeline checks cell by cell and lands as one snapshot.

Every run reads each `.csv` and `.xlsx` file of the inbox (spreadsheet lock files `~$…` and dot
files are skipped; any other file is logged and ignored, with a hint to save old `.xls` workbooks as
`.xlsx`) and lands the rows of all valid files together as one partition, so a rerun of a day
replaces that day's snapshot. A file with any problem is moved to
`<quarantine>/<source>/date=<partition day>/` with `<file>.reason.txt` beside it saying what to fix;
the run lands the valid files and then raises, so the task alerts.

Reading a file:
- CSV must be UTF-8 ("CSV UTF-8" in Excel). In a workbook the sheet read is the one named like the
  source (e.g. "Media plan"; case, spaces and underscores do not matter) or else the only sheet.
  Formulas are read as the result Excel saved in the file.
- The header is the first of the first 10 rows that holds every required column name; title rows,
  banners and blank rows above it are ignored. Names must match exactly: an unknown, duplicate or
  missing name is an error, so a typo cannot drop a column silently. A column without a name is
  allowed only when it is empty. Blank rows are skipped; a merged cell among the data is an error
  (its value would be in its first cell only).
- Amounts are US dollars: "1200.5", "$1,200.50", "$ 1200" or a number cell, at most to the cent.
  Counts are whole numbers ("12,000" or a number cell). Dates: 2026-03-31, month/day/year
  (3/31/2026 or 03/31/2026: the organisation is in the US, so 03/04/2026 is March 4), "Mar 31, 2026",
  "March 31, 2026", "31 Mar 2026" or a date cell, always with a 4-digit year and no time of day.
  Phone numbers: a 10-digit US number written any usual way ("(319) 555-0101", "319.555.0101",
  "1-319-555-0101") or an international number starting with +; they are stored as E.164
  (+13195550101).

Where a problem is: in a CSV file "row N (line L)", N counting data rows after the header and L the
line of the file; in a workbook "sheet 'Media plan' row R, cell G7 (spend)" with the sheet's own row
numbers. A landed record's `source_row` is that N or R."""

from __future__ import annotations

import csv
import difflib
import logging
import math
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline import storage
from pipeline.landing import RunContext, write_partition

log = logging.getLogger(__name__)

FIX_HINT = "Fix the file and drop it in the inbox again."
# Enough to fix a file in one pass without burying the alert under a thousand copies of one mistake.
MAX_PROBLEMS_LISTED = 25
# Title rows and banners above the header are ignored; a header further down is not looked for.
HEADER_SEARCH_ROWS = 10
READ_SUFFIXES = (".csv", ".xlsx")
# Spreadsheet formats people save by habit that are not read: they get a hint instead of silence.
SAVE_AS_XLSX_SUFFIXES = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")

# The landing schemas store amounts as decimal(14, 2) and counts as int64.
_MAX_AMOUNT = Decimal(10) ** 12
_MAX_COUNT = 2**63 - 1
_CENT = Decimal("0.01")
# A number cell holds a binary float: 1200.1 is stored as 1200.09999999999990905052982270717620849609375.
_FLOAT_SLACK = Decimal("0.000001")

_PLAIN_NUMBER = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d+)$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d+)$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d+)$")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().\-]+$")
_E164_DIGITS = re.compile(r"^[1-9]\d{7,14}$")

DATE_HINT = "write it as YYYY-MM-DD (2026-03-31) or month/day/year (3/31/2026)"
PHONE_HINT = "write a 10-digit US number like (319) 555-0101, or an international number starting with +"


class InboxFileError(ValueError):
    """An inbox file (or several) could not be landed; the message says where and what to fix."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class CellError(ValueError):
    """A cell that cannot be read; the message says why and what to write instead."""


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


def read_table(path: Path, sheet: str, required: Iterable[str], optional: Iterable[str] = ()) -> Table:
    """Read a CSV or XLSX file whose header must hold the `required` columns and may hold the `optional` ones."""
    grid, problems = _read_xlsx(path, sheet) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    if problems:
        return Table([], [], problems)
    return _table(grid, tuple(required), tuple(optional))


def _read_csv(path: Path) -> tuple[_Grid, list[Problem]]:
    grid = _Grid(path.name, None, [])
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            grid.rows = [(reader.line_num, cells) for cells in reader]
    except UnicodeDecodeError:
        return grid, [Problem(path.name, "the file is not UTF-8 text; save it as 'CSV UTF-8'.")]
    except csv.Error as exc:
        return grid, [Problem(path.name, f"the file is not valid CSV ({exc}).")]
    return grid, []


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
    return Table(header.columns, _data_rows(grid, header), [])


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
    grid: _Grid, header: _Header, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[Problem]:
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
    data = list(enumerate(grid.rows[header.index + 1 :], start=1))
    for index, name in enumerate(header.columns):
        if name:
            continue
        first = next(
            ((n, number) for n, (number, values) in data if index < len(values) and not _is_empty(values[index])),
            None,
        )
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
    rows: list[Row] = []
    for data_row, (number, values) in enumerate(grid.rows[header.index + 1 :], start=1):
        if _is_blank(values):
            continue  # e.g. trailing empty rows of a spreadsheet export
        if grid.sheet is None:
            row = Row(grid.file, data_row, number, None, {})
        else:
            row = Row(grid.file, number, None, grid.sheet, {})
        rows.append(row)
        if len(values) > len(header.columns):
            row.problem(
                None,
                f"the row has {len(values)} cells but the header has {len(header.columns)} columns; "
                "look for an unquoted comma (e.g. a number written as 12,000).",
            )
            row.readable = False
            continue
        for index, name in enumerate(header.columns):
            if not name:
                continue
            # A CSV row may stop short of the header (trailing empty cells left out): those cells are empty.
            value = values[index] if index < len(values) else None
            row.values[name] = value
            if grid.sheet is not None:
                row.cells[name] = grid.cell(index, number)
            if isinstance(value, _Unreadable) and value.text is not None:
                row.problem(name, value.text)
    return rows


def _header_name(value: Any) -> str:
    return "" if isinstance(value, _Unreadable) else _text(value)


def _sheet_key(title: str) -> str:
    return " ".join(title.replace("_", " ").split()).casefold()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank(values: list[Any]) -> bool:
    return all(_is_empty(value) for value in values)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _shown(value: Any) -> str:
    """A cell as a message quotes it: text in quotes, numbers and dates as the spreadsheet shows them."""
    return repr(value.strip()) if isinstance(value, str) else _text(value)


# Cell parsers: (cell, column name) -> value, or CellError saying what to write instead. A cell is
# text from a CSV file, or text, a number or a datetime from a workbook. Empty cells never reach them.


def parse_text(value: Any, column: str) -> str:
    return _text(value)


def parse_money(value: Any, column: str) -> Decimal:
    """US dollars to the cent, >= 0."""
    expected = "an amount in US dollars like 12500.00 or $12,500.00"
    if isinstance(value, str):
        amount = _number_from_text(value, column, expected, dollars=True)
        if amount != amount.quantize(_CENT):
            raise CellError(f"{_shown(value)} has fractions of a cent; {column} is dollars and cents.")
    else:
        exact = _number_from_cell(value, column, expected)
        amount = exact.quantize(_CENT, ROUND_HALF_UP)
        if abs(exact - amount) > _FLOAT_SLACK:
            raise CellError(f"{_shown(value)} has fractions of a cent; round {column} to dollars and cents.")
    if amount >= _MAX_AMOUNT:
        raise CellError(f"{_shown(value)} is too large for {column}.")
    return amount.quantize(_CENT)


def parse_count(value: Any, column: str) -> int:
    """A whole number >= 0."""
    expected = "a whole number like 45000 or 45,000"
    if isinstance(value, str):
        number, slack = _number_from_text(value, column, expected), Decimal(0)
    else:
        number, slack = _number_from_cell(value, column, expected), _FLOAT_SLACK
    whole = number.to_integral_value(ROUND_HALF_UP)
    if abs(number - whole) > slack:
        raise CellError(f"{_shown(value)} is not a whole number; {column} is a count.")
    if whole > _MAX_COUNT:
        raise CellError(f"{_shown(value)} is too large for {column}.")
    return int(whole)


def parse_ratio(value: Any, column: str) -> float:
    """A decimal number >= 0."""
    expected = "a decimal number like 2.5"
    if isinstance(value, str):
        return float(_number_from_text(value, column, expected))
    return float(_number_from_cell(value, column, expected))


def _number_from_text(text: str, column: str, expected: str, dollars: bool = False) -> Decimal:
    shown, body = _shown(text), text.strip()
    if dollars and any(unicodedata.category(ch) == "Sc" and ch != "$" for ch in body):
        raise CellError(f"{shown} is not in US dollars; amounts must be in US dollars (e.g. 1200.50 or $1,200.50).")
    negative = False
    if body.startswith("(") and body.endswith(")"):  # accounting notation
        negative, body = True, body[1:-1].strip()
    if body.startswith("-"):
        negative, body = True, body[1:].lstrip()
    if dollars and body.startswith("$"):
        body = body[1:].lstrip()
        if body.startswith("-"):
            negative, body = True, body[1:].lstrip()
    if "," in body and _PLAIN_NUMBER.match(body.replace(",", "")) and not _GROUPED_NUMBER.match(body):
        raise CellError(
            f"{shown} has commas in the wrong places; group thousands by three (1,200.50) or leave the commas out."
        )
    if not (_PLAIN_NUMBER.match(body) or _GROUPED_NUMBER.match(body)):
        raise CellError(f"{shown} is not a number; {column} must be {expected}.")
    number = Decimal(body.replace(",", ""))
    if negative and number:
        raise CellError(f"{shown} is negative; {column} must be >= 0.")
    return number


def _number_from_cell(value: Any, column: str, expected: str) -> Decimal:
    """The exact value of a number cell (a float keeps its binary value; callers decide how close is close)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CellError(f"{_shown(value)} is not a number; {column} must be {expected}.")
    if value < 0:
        raise CellError(f"{_shown(value)} is negative; {column} must be >= 0.")
    return Decimal(value)


def parse_date(value: Any, column: str) -> date:
    """A calendar day; month/day/year when written with slashes (the organisation is in the US)."""
    if isinstance(value, datetime):
        if value.time() != time():
            raise CellError(f"{_shown(value)} has a time of day; {column} must be a date only.")
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise CellError(f"{_shown(value)} is not a date; format the cell as a date, or {DATE_HINT}.")
    shown, text = _shown(value), value.strip()
    if match := _ISO_DATE.match(text):
        year, month, day, *clock = match.groups()
        if any(part and int(part) for part in clock):
            raise CellError(f"{shown} has a time of day; {column} must be a date only.")
        return _calendar_day(shown, year, int(month), int(day))
    if match := _US_DATE.match(text):
        month, day, year = int(match[1]), int(match[2]), match[3]
        if month > 12:
            swapped = f" (did you mean {day}/{month}/{year}?)" if day <= 12 and len(year) == 4 else ""
            raise CellError(f"{shown} is not a date: month {month} does not exist; dates are month/day/year{swapped}.")
        return _calendar_day(shown, year, month, day)
    for pattern, month_group, day_group in ((_MONTH_DAY_YEAR, 1, 2), (_DAY_MONTH_YEAR, 2, 1)):
        if match := pattern.match(text):
            word = match[month_group].lower()
            months = [
                number for number, name in enumerate(_MONTHS, start=1) if len(word) >= 3 and name.startswith(word)
            ]
            if len(months) != 1:
                raise CellError(f"{shown} is not a date: {match[month_group]!r} is not a month; {DATE_HINT}.")
            return _calendar_day(shown, match[3], months[0], int(match[day_group]))
    raise CellError(f"{shown} is not a date; {DATE_HINT}.")


def _calendar_day(shown: str, year: str, month: int, day: int) -> date:
    if len(year) != 4:
        raise CellError(f"{shown} has a {len(year)}-digit year; write the year with 4 digits (e.g. 3/31/2026).")
    if not 1 <= month <= 12:
        raise CellError(f"{shown} is not a date: month {month} does not exist; {DATE_HINT}.")
    try:
        return date(int(year), month, day)
    except ValueError:
        raise CellError(
            f"{shown} is not a date: {_MONTHS[month - 1].title()} {year} has no day {day}; {DATE_HINT}."
        ) from None


def parse_phone(value: Any, column: str) -> str:
    """A phone number as E.164: US numbers (10 digits, optionally after a 1) get +1."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CellError(f"{_shown(value)} is not a phone number; {PHONE_HINT}.")
    shown, text = _shown(value), str(value).strip()
    if not _PHONE_CHARACTERS.match(text):
        raise CellError(
            f"{shown} is not a phone number: only digits, spaces, dashes, dots, parentheses and a leading + "
            f"are allowed (no letters or extensions); {PHONE_HINT}."
        )
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if not _E164_DIGITS.match(digits):
            raise CellError(
                f"{shown} is not an international number: after + come the country code and 8 to 15 digits "
                "in all, the first not 0; "
                f"{PHONE_HINT}."
            )
        if digits.startswith("1"):
            _check_north_american(shown, digits[1:])
        return f"+{digits}"
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    _check_north_american(shown, digits)
    return f"+1{digits}"


def _check_north_american(shown: str, digits: str) -> None:
    if len(digits) != 10:
        raise CellError(f"{shown} is not a US phone number: it has {len(digits)} digits, not 10; {PHONE_HINT}.")
    if digits[0] in "01":
        raise CellError(f"{shown} is not a US phone number: area code {digits[:3]} cannot start with 0 or 1.")
    if digits[3] in "01":
        raise CellError(
            f"{shown} is not a US phone number: the exchange {digits[3:6]} (after the area code) "
            "cannot start with 0 or 1."
        )


@dataclass(frozen=True)
class UniqueKey:
    """Columns whose values may appear once in a file and once across the files of the inbox."""

    columns: tuple[str, ...]
    rule: str  # said after a duplicate, e.g. "placement ids must be unique"

    def value(self, record: dict[str, Any]) -> tuple[Any, ...] | None:
        values = tuple(record[column] for column in self.columns)
        return None if any(v is None for v in values) else values

    def describe(self, value: tuple[Any, ...]) -> str:
        return " with ".join(f"{column} {_shown(v)}" for column, v in zip(self.columns, value, strict=True))


@dataclass(frozen=True)
class QuarantinedFile:
    name: str
    reason: str
    moved_to: Path


@dataclass
class InboxResult:
    partition: Path
    files_landed: list[str] = field(default_factory=list)
    rows_landed: int = 0
    quarantined: list[QuarantinedFile] = field(default_factory=list)


@dataclass
class _Checked:
    """What reading one file found: its records if it is valid, its problems, and the key values it
    claims (even when invalid, so a duplicate across files does not depend on unrelated typos)."""

    path: Path
    rows: list[dict[str, Any]]
    problems: list[Problem]
    claims: list[dict[tuple[Any, ...], Row]]


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
    optional: tuple[str, ...]
    # Fills a record (the schema's fields, source_file and source_row already set) from a row,
    # reporting problems on the row.
    check_row: Callable[[Row, dict[str, Any]], None]
    error: type[InboxFileError]
    unique: tuple[UniqueKey, ...] = ()

    def validate_file(self, path: Path) -> list[dict[str, Any]]:
        """The rows of one file as landing records, or the inbox's error listing every problem."""
        checked = self._check_file(Path(path))
        if checked.problems:
            raise self.error(_describe(checked.path.name, checked.problems), checked.problems)
        return checked.rows

    def land(
        self, inbox: Path, quarantine_root: Path, ctx: RunContext, landing_root: Path | None = None
    ) -> InboxResult:
        """Land a snapshot of the valid files in the inbox; quarantine the others, then fail if there were any."""
        inbox = Path(inbox)
        files = self._files(inbox)
        if not files:
            log.warning("%s inbox %s holds no .csv or .xlsx file: landing an empty snapshot", self.kind, inbox)

        landable: list[_Checked] = []
        rejected: list[_Checked] = []
        claimed: list[dict[tuple[Any, ...], tuple[str, int]]] = [{} for _ in self.unique]  # -> (file, row)
        for path in files:
            checked = self._check_file(path)
            for key, mine, earlier in zip(self.unique, checked.claims, claimed, strict=True):
                for value, row in mine.items():
                    if value in earlier:
                        other_file, other_row = earlier[value]
                        text = (
                            f"{key.describe(value)} is already used in {other_file} row {other_row}; "
                            f"{key.rule} across the files of the inbox."
                        )
                        checked.problems.append(row.locate(key.columns[0], text))
                for value, row in mine.items():
                    earlier.setdefault(value, (path.name, row.number))
            (rejected if checked.problems else landable).append(checked)

        rows = [row for checked in landable for row in checked.rows]
        partition = write_partition(self.source, self.entity, self.part, rows, self.schema, ctx, landing_root)
        result = InboxResult(partition, [c.path.name for c in landable], len(rows))
        log.info(
            "landed %d %s(s) from %d %s file(s) to %s",
            len(rows),
            self.noun,
            len(landable),
            self.kind,
            storage.uri(partition),
        )

        quarantine_dir = Path(quarantine_root) / self.source / f"date={ctx.partition_date.isoformat()}"
        for checked in rejected:
            reason = _describe(checked.path.name, checked.problems)
            moved_to = _quarantine(checked.path, reason, quarantine_dir)
            log.error("quarantined %s to %s: %s", checked.path.name, moved_to, reason)
            result.quarantined.append(QuarantinedFile(checked.path.name, reason, moved_to))

        if result.quarantined:
            raise self.error(self._report(result, inbox), [p for c in rejected for p in c.problems])
        return result

    def _files(self, inbox: Path) -> list[Path]:
        if not inbox.is_dir():
            return []
        files = []
        for path in sorted(inbox.iterdir(), key=lambda p: p.name):
            # Spreadsheet lock files and hidden or temporary files are not part of the inbox.
            if path.name.startswith((".", "~$")) or not path.is_file():
                continue
            suffix = path.suffix.lower()
            if suffix in READ_SUFFIXES:
                files.append(path)
            elif suffix in SAVE_AS_XLSX_SUFFIXES:
                log.warning(
                    "ignoring %s in the %s inbox: %s files are not read; open it in Excel and save it as "
                    ".xlsx (Excel Workbook) or CSV UTF-8",
                    path.name,
                    self.kind,
                    suffix,
                )
            else:
                log.warning("ignoring %s in the %s inbox: only .csv and .xlsx files are read", path.name, self.kind)
        return files

    def _check_file(self, path: Path) -> _Checked:
        table = read_table(path, self.sheet, self.required, self.optional)
        checked = _Checked(path, [], list(table.problems), [{} for _ in self.unique])
        for row in table.rows:
            record = None
            if row.readable:
                record = dict.fromkeys(self.schema.names)
                record["source_file"] = path.name
                record["source_row"] = row.number
                self.check_row(row, record)
                for key, claims in zip(self.unique, checked.claims, strict=True):
                    value = key.value(record)
                    if value is None:
                        continue
                    if value in claims:
                        row.problem(
                            key.columns[0],
                            f"{key.describe(value)} is already used on row {claims[value].number}; {key.rule}.",
                        )
                    else:
                        claims[value] = row
            checked.problems.extend(row.problems)
            if record is not None and not row.problems:
                checked.rows.append(record)
        if not checked.problems and not checked.rows:
            checked.problems.append(
                Problem(path.name, f"the file has a header but no data rows; add the {self.noun}s.")
            )
        if checked.problems:
            checked.rows = []
        return checked

    def _report(self, result: InboxResult, inbox: Path) -> str:
        lines = [
            f"{len(result.quarantined)} {self.kind} file(s) quarantined; "
            f"{result.rows_landed} {self.noun}(s) from {len(result.files_landed)} valid file(s) were landed."
        ]
        for item in result.quarantined:
            lines.append(f"* {item.name} -> moved to {item.moved_to} (reason in {item.moved_to.name}.reason.txt):")
            lines.extend(f"    {line}" for line in item.reason.splitlines())
        lines.append(f"Fix each file and drop it in {inbox} again; the next run lands it.")
        return "\n".join(lines)


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
    return target
