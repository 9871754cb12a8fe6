"""How an inbox cell is read (`extractors.inbox`): text from a CSV file, or text, a number or a date
from a workbook, parsed into what the landing schemas store, or a `CellError` saying what to write.

Amounts are US dollars: "1200.5", "$1,200.50", "$ 1200" or a number cell, at most to the cent.
Counts are whole numbers ("12,000" or a number cell). Dates: 2026-03-31, month/day/year
(3/31/2026 or 03/31/2026: the organisation is in the US, so 03/04/2026 is March 4), "Mar 31, 2026",
"March 31, 2026", "31 Mar 2026" or a date cell, always with a 4-digit year and no time of day.
Phone numbers: a 10-digit US number written any usual way ("(319) 555-0101", "319.555.0101",
"1-319-555-0101") or an international number starting with +; they are stored as E.164
(+13195550101)."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

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
# A landed phone number (what parse_phone writes), as the landing suites check it.
E164 = r"^\+[1-9][0-9]{7,14}$"
_E164_DIGITS = re.compile(r"^[1-9]\d{7,14}$")

DATE_HINT = "write it as YYYY-MM-DD (2026-03-31) or month/day/year (3/31/2026)"
PHONE_HINT = "write a 10-digit US number like (319) 555-0101, or an international number starting with +"


class CellError(ValueError):
    """A cell that cannot be read; the message says why and what to write instead."""


def cell_text(value: Any) -> str:
    """A cell as text, the way the spreadsheet shows it."""
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


def shown_cell(value: Any) -> str:
    """A cell as a message quotes it: text in quotes, numbers and dates as the spreadsheet shows them."""
    return repr(value.strip()) if isinstance(value, str) else cell_text(value)


# Cell parsers: (cell, column name) -> value, or CellError saying what to write instead. A cell is
# text from a CSV file, or text, a number or a datetime from a workbook. Empty cells never reach them.


def parse_text(value: Any, column: str) -> str:
    return cell_text(value)


def parse_money(value: Any, column: str) -> Decimal:
    """US dollars to the cent, >= 0."""
    expected = "an amount in US dollars like 12500.00 or $12,500.00"
    if isinstance(value, str):
        amount = _number_from_text(value, column, expected, dollars=True)
        if amount != amount.quantize(_CENT):
            raise CellError(f"{shown_cell(value)} has fractions of a cent; {column} is dollars and cents.")
    else:
        exact = _number_from_cell(value, column, expected)
        amount = exact.quantize(_CENT, ROUND_HALF_UP)
        if abs(exact - amount) > _FLOAT_SLACK:
            raise CellError(f"{shown_cell(value)} has fractions of a cent; round {column} to dollars and cents.")
    if amount >= _MAX_AMOUNT:
        raise CellError(f"{shown_cell(value)} is too large for {column}.")
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
        raise CellError(f"{shown_cell(value)} is not a whole number; {column} is a count.")
    if whole > _MAX_COUNT:
        raise CellError(f"{shown_cell(value)} is too large for {column}.")
    return int(whole)


def parse_ratio(value: Any, column: str) -> float:
    """A decimal number >= 0."""
    expected = "a decimal number like 2.5"
    if isinstance(value, str):
        return float(_number_from_text(value, column, expected))
    return float(_number_from_cell(value, column, expected))


def _number_from_text(text: str, column: str, expected: str, dollars: bool = False) -> Decimal:
    shown, body = shown_cell(text), text.strip()
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
        raise CellError(f"{shown_cell(value)} is not a number; {column} must be {expected}.")
    if value < 0:
        raise CellError(f"{shown_cell(value)} is negative; {column} must be >= 0.")
    return Decimal(value)


def parse_date(value: Any, column: str) -> date:
    """A calendar day; month/day/year when written with slashes (the organisation is in the US)."""
    if isinstance(value, datetime):
        if value.time() != time():
            raise CellError(f"{shown_cell(value)} has a time of day; {column} must be a date only.")
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise CellError(f"{shown_cell(value)} is not a date; format the cell as a date, or {DATE_HINT}.")
    shown, text = shown_cell(value), value.strip()
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
        raise CellError(f"{shown_cell(value)} is not a phone number; {PHONE_HINT}.")
    shown, text = shown_cell(value), str(value).strip()
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


# Plain spellings read column-wise for a batch of CSV rows. Each gives exactly what its parser gives for
# the cells it accepts, and null for any other cell, which then goes through the parser (and its message).
_PLAIN_ISO_DATE = r"^[1-9]\d{3}-\d{2}-\d{2}$"  # years before 1000 go through parse_date
_PLAIN_E164 = r"^\+(1[2-9]\d{2}[2-9]\d{6}|[2-9]\d{7,14})$"
_PLAIN_COUNT = r"^\d{1,18}$"  # below 2**63


def plain_dates(cells: pa.Array) -> pa.Array:
    """YYYY-MM-DD cells of real calendar days as date32 (parse_date's result); null otherwise."""
    plain = pc.if_else(pc.match_substring_regex(cells, _PLAIN_ISO_DATE), cells, pa.scalar(None, pa.string()))
    stamps = pc.strptime(plain, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2026-02-30 over to March 2: a day that does not print back as written is not one.
    real = pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), plain)
    return pc.if_else(real, pc.cast(stamps, pa.date32()), pa.scalar(None, pa.date32()))


def plain_phones(cells: pa.Array) -> pa.Array:
    """Numbers already in E.164 that parse_phone keeps as they are; null otherwise."""
    return pc.if_else(pc.match_substring_regex(cells, _PLAIN_E164), cells, pa.scalar(None, pa.string()))


def plain_counts(cells: pa.Array) -> pa.Array:
    """Whole numbers written as digits only, as int64; null otherwise."""
    plain = pc.if_else(pc.match_substring_regex(cells, _PLAIN_COUNT), cells, pa.scalar(None, pa.string()))
    return pc.cast(plain, pa.int64())


TIMESTAMP_HINT = "write it as ISO 8601 with its time zone, e.g. 2026-03-31T14:05:00Z or 2026-03-31T09:05:00-05:00"


def parse_timestamp(value: Any, column: str) -> datetime:
    """An instant, as UTC: ISO 8601 text with its offset or Z (a time without a zone is refused: it
    could be any zone's), or a date-time cell, read as UTC (workbook cells have no zone; platforms
    export in UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not isinstance(value, str):
        raise CellError(f"{shown_cell(value)} is not a date and time; {TIMESTAMP_HINT}.")
    shown, text = shown_cell(value), value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(f"{shown} is not a date and time; {TIMESTAMP_HINT}.") from None
    if parsed.tzinfo is None:
        raise CellError(f"{shown} has no time zone, so the instant is unknown; {TIMESTAMP_HINT}.")
    return parsed.astimezone(UTC)
