"""The CSV extracts: one file per mart extract behind the report, with the mart's columns.

UTF-8 with a byte-order mark, so Excel opens non-English text correctly. Text that a spreadsheet
would evaluate (starting with = + - @) is prefixed with an apostrophe: a CSV cell has no type that
says "this is text" (OWASP, CSV injection)."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from reports.formatting import escape_formula
from reports.queries import Extract


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return escape_formula(value)
    return str(value)


def write_csv(extract: Extract, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(extract.columns)
        writer.writerows([_cell(value) for value in row] for row in extract.rows)
    return path
