"""Traditional media: the media plan that marketing ops drop as CSV files in an inbox folder.

The inbox *is* the current media plan. Every run validates each `*.csv` file in it and lands the
rows of all valid files together as one snapshot partition, so a rerun of a day replaces that day's
snapshot. A file with any problem is moved to the quarantine folder with a `.reason.txt` beside it
that says what to fix; the run lands the valid files and then fails, so the task alerts.

File format (header row with these names; `end_date` and the measure columns may be left out of
the header when no row needs them; anything else in the header is an error, so a typo cannot drop
data silently):

    placement_id, channel, vendor, campaign, start_date, end_date, spend, impressions, grps,
    universe, circulation, readers_per_copy, pieces_mailed, responses

Problems are located as "row N (line L)": N is the 1-based data row (the header is not counted, so
it is the spreadsheet row minus one), L the line of the file."""

from __future__ import annotations

import csv
import difflib
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from extractors.schemas import TRADITIONAL_MEDIA_PLACEMENTS
from pipeline.landing import RunContext, write_partition

log = logging.getLogger(__name__)

SOURCE = "traditional_media"
ENTITY = "placements"
PART = "media_plan"

CHANNEL_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "tv": ("grps", "universe"),
    "radio": ("grps", "universe"),
    "print": ("circulation", "readers_per_copy"),
    "ooh": ("impressions",),
    "direct_mail": ("pieces_mailed",),
}

REQUIRED_COLUMNS = ("placement_id", "channel", "vendor", "campaign", "start_date", "spend")
OPTIONAL_COLUMNS = (
    "end_date",
    "impressions",
    "grps",
    "universe",
    "circulation",
    "readers_per_copy",
    "pieces_mailed",
    "responses",
)
FILE_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
COUNT_COLUMNS = ("impressions", "universe", "circulation", "pieces_mailed", "responses")
RATIO_COLUMNS = ("grps", "readers_per_copy")

FIX_HINT = "Fix the file and drop it in the inbox again."
# Enough to fix a file in one pass without burying the alert under a thousand copies of one mistake.
MAX_PROBLEMS_LISTED = 25

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_MONEY = re.compile(r"^\d+(\.\d{1,2})?$")
_NUMBER_WITH_SEPARATORS = re.compile(r"^[$€£]?-?[\d,]+(\.\d+)?$")
# The landing schema stores spend as decimal(14, 2) and counts as int64.
_MAX_SPEND = Decimal(10) ** 12
_MAX_COUNT = 2**63 - 1


class MediaPlanError(ValueError):
    """A media-plan file (or several) could not be landed; the message says where and what to fix."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Problem:
    file: str
    text: str
    row: int | None = None  # 1-based data row
    line: int | None = None  # line of the file (1 = header)
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row} (line {self.line})"
        elif self.line is not None:
            where += f" line {self.line}" + (" (header)" if self.line == 1 else "")
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.text}"


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
    """What reading one file found: its rows if it is valid, its problems, and the placement ids
    it claims (even when invalid, so a duplicate across files does not depend on unrelated typos)."""

    path: Path
    rows: list[dict[str, Any]]
    problems: list[Problem]
    placement_rows: dict[str, int] = field(default_factory=dict)
    lines: dict[int, int] = field(default_factory=dict)  # data row -> line of the file


def validate_file(path: Path) -> list[dict[str, Any]]:
    """The rows of a media-plan file as landing records, or MediaPlanError listing every problem."""
    checked = _check_file(Path(path))
    if checked.problems:
        raise MediaPlanError(_describe(checked.path.name, checked.problems), checked.problems)
    return checked.rows


def land_inbox(inbox: Path, quarantine_root: Path, ctx: RunContext, landing_root: Path | None = None) -> InboxResult:
    """Land a snapshot of the valid files in the inbox; quarantine the others, then fail if there were any."""
    inbox = Path(inbox)
    files = _inbox_files(inbox)
    if not files:
        log.warning("media-plan inbox %s holds no .csv file: landing an empty media plan", inbox)

    landable: list[_Checked] = []
    rejected: list[_Checked] = []
    claimed: dict[str, tuple[str, int]] = {}  # placement id -> (file, row) of the first claim
    for path in files:
        checked = _check_file(path)
        for placement_id, row in checked.placement_rows.items():
            if placement_id in claimed:
                other_file, other_row = claimed[placement_id]
                checked.problems.append(
                    Problem(
                        path.name,
                        f"placement_id {placement_id!r} is already used in {other_file} row {other_row}; "
                        "placement ids must be unique across the files of the inbox.",
                        row=row,
                        line=checked.lines[row],
                        column="placement_id",
                    )
                )
        for placement_id, row in checked.placement_rows.items():
            claimed.setdefault(placement_id, (path.name, row))
        (rejected if checked.problems else landable).append(checked)

    rows = [row for checked in landable for row in checked.rows]
    partition = write_partition(SOURCE, ENTITY, PART, rows, TRADITIONAL_MEDIA_PLACEMENTS, ctx, landing_root)
    result = InboxResult(partition, [c.path.name for c in landable], len(rows))
    log.info("landed %d placement(s) from %d media-plan file(s) to %s", len(rows), len(landable), partition)

    quarantine_dir = Path(quarantine_root) / SOURCE / f"date={ctx.partition_date.isoformat()}"
    for checked in rejected:
        reason = _describe(checked.path.name, checked.problems)
        moved_to = _quarantine(checked.path, reason, quarantine_dir)
        log.error("quarantined %s to %s: %s", checked.path.name, moved_to, reason)
        result.quarantined.append(QuarantinedFile(checked.path.name, reason, moved_to))

    if result.quarantined:
        raise MediaPlanError(_quarantine_report(result, inbox), [p for c in rejected for p in c.problems])
    return result


def _inbox_files(inbox: Path) -> list[Path]:
    if not inbox.is_dir():
        return []
    files = []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        # Editor and spreadsheet lock files, and our own temporaries, are not part of the plan.
        if path.name.startswith((".", "~$")) or not path.is_file():
            continue
        if path.suffix.lower() == ".csv":
            files.append(path)
        else:
            log.warning("ignoring %s in the media-plan inbox: only .csv files are read", path.name)
    return files


def _check_file(path: Path) -> _Checked:
    name = path.name
    checked = _Checked(path, [], [])
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(cell.strip() for cell in header):
                checked.problems.append(Problem(name, "the file is empty; it needs a header row and data rows."))
                return checked
            columns = [cell.strip() for cell in header]
            checked.problems.extend(_header_problems(name, columns))
            if checked.problems:
                return checked
            data_row = 0
            for cells in reader:
                data_row += 1
                checked.lines[data_row] = reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue  # blank lines, e.g. trailing empty rows of a spreadsheet export
                record, problems = _check_row(name, data_row, reader.line_num, columns, cells)
                placement_id = _cell(columns, cells, "placement_id")
                if placement_id:
                    if placement_id in checked.placement_rows:
                        first = checked.placement_rows[placement_id]
                        problems.append(
                            Problem(
                                name,
                                f"placement_id {placement_id!r} is already used on row {first}; "
                                "placement ids must be unique.",
                                data_row,
                                reader.line_num,
                                "placement_id",
                            )
                        )
                    else:
                        checked.placement_rows[placement_id] = data_row
                checked.problems.extend(problems)
                if record is not None and not problems:
                    checked.rows.append(record)
    except UnicodeDecodeError:
        checked.problems.append(Problem(name, "the file is not UTF-8 text; save it as 'CSV UTF-8'."))
    except csv.Error as exc:
        checked.problems.append(Problem(name, f"the file is not valid CSV ({exc})."))
    if not checked.problems and not checked.rows:
        checked.problems.append(Problem(name, "the file has a header but no data rows; add the placements."))
    if checked.problems:
        checked.rows = []
    return checked


def _header_problems(name: str, columns: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column:
            problems.append(Problem(name, f"column {position} has no name; remove it or name it.", line=1))
        elif column in seen:
            problems.append(Problem(name, f"column {column!r} appears twice; keep one.", line=1))
        elif column not in FILE_COLUMNS:
            guess = difflib.get_close_matches(column, FILE_COLUMNS, n=1)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
            problems.append(
                Problem(
                    name,
                    f"unknown column {column!r}{hint}; allowed columns are {', '.join(FILE_COLUMNS)}.",
                    line=1,
                )
            )
        seen.add(column)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(Problem(name, f"required column {column!r} is missing from the header.", line=1))
    return problems


def _cell(columns: list[str], cells: list[str], column: str) -> str:
    try:
        return cells[columns.index(column)].strip()
    except (ValueError, IndexError):
        return ""


def _check_row(
    name: str, row: int, line: int, columns: list[str], cells: list[str]
) -> tuple[dict[str, Any] | None, list[Problem]]:
    problems: list[Problem] = []

    def problem(column: str | None, text: str) -> None:
        problems.append(Problem(name, text, row, line, column))

    if len(cells) > len(columns):
        problem(
            None,
            f"the row has {len(cells)} cells but the header has {len(columns)} columns; "
            "look for an unquoted comma (e.g. a number written as 12,000).",
        )
        return None, problems
    # A row may stop short of the header (trailing empty cells left out): missing cells are empty.
    raw = {column: cells[i].strip() if i < len(cells) else "" for i, column in enumerate(columns)}
    record: dict[str, Any] = dict.fromkeys(TRADITIONAL_MEDIA_PLACEMENTS.names)
    record["source_file"] = name
    record["source_row"] = row

    for column in ("placement_id", "vendor", "campaign"):
        if raw[column]:
            record[column] = raw[column]
        else:
            problem(column, f"{column} is empty; every placement needs one.")

    channel = raw["channel"].lower()
    if channel in CHANNEL_REQUIREMENTS:
        record["channel"] = channel
    else:
        shown = f"{raw['channel']!r} is not a known channel" if raw["channel"] else "channel is empty"
        problem("channel", f"{shown}; use one of {', '.join(CHANNEL_REQUIREMENTS)}.")

    for column in ("start_date", "end_date"):
        value = raw.get(column, "")
        if not value:
            if column == "start_date":
                problem(column, "start_date is empty; write the first day as YYYY-MM-DD.")
            continue
        parsed = _parse_date(value)
        if parsed is None:
            problem(column, f"{value!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-03-31).")
        record[column] = parsed
    if record["start_date"] is not None and not raw.get("end_date"):
        record["end_date"] = record["start_date"]  # a single-day placement
    if record["start_date"] and record["end_date"] and record["end_date"] < record["start_date"]:
        problem(
            "end_date",
            f"end_date {record['end_date']} is before start_date {record['start_date']}; "
            "end_date must be on or after start_date (leave it empty for a single day).",
        )

    spend, error = _parse_spend(raw["spend"])
    if error:
        problem("spend", error)
    record["spend"] = spend

    for column in COUNT_COLUMNS + RATIO_COLUMNS:
        value = raw.get(column, "")
        if not value:
            continue
        parsed, error = _parse_count(value, column) if column in COUNT_COLUMNS else _parse_ratio(value, column)
        if error:
            problem(column, error)
        record[column] = parsed
    if record["universe"] == 0:
        problem("universe", "universe is 0; it is the number of people in the market and must be > 0.")

    for column in CHANNEL_REQUIREMENTS.get(channel, ()):
        if column not in columns:
            problem(column, f"{channel} placements need {column}, but the header has no {column} column.")
        elif not raw[column]:
            needs = " and ".join(CHANNEL_REQUIREMENTS[channel])
            problem(column, f"{column} is empty; {channel} placements need {needs}.")

    return record, problems


def _parse_date(value: str) -> date | None:
    if not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _negative_or_malformed(value: str, column: str, expected: str) -> str:
    if value.startswith("-") and _DECIMAL.match(value[1:]):
        return f"{value!r} is negative; {column} must be >= 0."
    if _NUMBER_WITH_SEPARATORS.match(value):
        return f"{value!r} is not a plain number; write {expected} without currency signs or thousands separators."
    return f"{value!r} is not a number; {column} must be {expected}."


def _parse_spend(value: str) -> tuple[Decimal | None, str | None]:
    if not value:
        return None, "spend is empty; write the cost in dollars (0 for a free placement)."
    if _MONEY.match(value):
        amount = Decimal(value)
        if amount >= _MAX_SPEND:
            return None, f"{value!r} is too large for spend."
        return amount.quantize(Decimal("0.01")), None
    if _DECIMAL.match(value):
        return None, f"{value!r} has more than 2 decimals; spend is dollars and cents."
    return None, _negative_or_malformed(value, "spend", "a plain decimal number like 12500.00")


def _parse_count(value: str, column: str) -> tuple[int | None, str | None]:
    if _WHOLE.match(value):
        count = int(value)
        if count > _MAX_COUNT:
            return None, f"{value!r} is too large for {column}."
        return count, None
    if _DECIMAL.match(value):
        return None, f"{value!r} is not a whole number; {column} is a count."
    return None, _negative_or_malformed(value, column, "a whole number like 45000")


def _parse_ratio(value: str, column: str) -> tuple[float | None, str | None]:
    if _DECIMAL.match(value):
        return float(value), None
    return None, _negative_or_malformed(value, column, "a decimal number like 2.5")


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


def _quarantine_report(result: InboxResult, inbox: Path) -> str:
    lines = [
        f"{len(result.quarantined)} media-plan file(s) quarantined; "
        f"{result.rows_landed} placement(s) from {len(result.files_landed)} valid file(s) were landed."
    ]
    for item in result.quarantined:
        lines.append(f"* {item.name} -> moved to {item.moved_to} (reason in {item.moved_to.name}.reason.txt):")
        lines.extend(f"    {line}" for line in item.reason.splitlines())
    lines.append(f"Fix each file and drop it in {inbox} again; the next run lands it.")
    return "\n".join(lines)
