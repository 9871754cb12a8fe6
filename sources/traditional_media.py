"""Traditional media: the media plan that marketing ops drop as CSV or XLSX files in an inbox folder.

The inbox *is* the current media plan. Every run validates each file in it and lands the rows of all
valid files together as one snapshot partition (`traditional_media/placements/date=<day>/
media_plan.parquet`), so a rerun of a day replaces that day's snapshot. A file with any problem is
quarantined with a reason that says what to fix; the run lands the valid files and then fails, so the
task alerts. What all inboxes share (file formats, header rules, quarantine) is described in
`extractors.inbox`, the cell rules in `extractors.cells`.

File format: a header row with these names (`end_date` and the measure columns may be left out of
the header when no row needs them; anything else in the header is an error, so a typo cannot drop
data silently); in a workbook, a sheet named "Media plan" or the only sheet:

    placement_id, channel, vendor, campaign, start_date, end_date, spend, impressions, grps,
    universe, circulation, readers_per_copy, pieces_mailed, responses, tracking_number, vanity_url

- `channel` is one of tv, radio, print, ooh, direct_mail, and each channel needs its exposure
  columns (CHANNEL_REQUIREMENTS); an empty `end_date` means a single-day placement.
- `responses` are the responses the vendor or ops count themselves (reply cards, QR scans). Calls
  come from call tracking (`sources.call_tracking`) through the placement's `tracking_number`
  (stored as E.164, unique across the plan); vanity-URL visits come from web analytics.
- `vanity_url` is kept as written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from core.contract import MONEY
from core.settings import Identifier, InboxSourceSettings
from core.severity import critical
from extractors.cells import E164, CellError, parse_count, parse_date, parse_money, parse_phone, parse_ratio, parse_text
from extractors.inbox import Inbox, InboxFileError, Row, UniqueKey
from extractors.spec import InboxSource

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
    "tracking_number",
    "vanity_url",
)
COUNT_COLUMNS = ("impressions", "universe", "circulation", "pieces_mailed", "responses")
RATIO_COLUMNS = ("grps", "readers_per_copy")


class TraditionalMedia(InboxSourceSettings):
    # Folder under the data directory's inbox/ where marketing ops drop media-plan files (CSV or XLSX).
    inbox: Identifier = "traditional_media"


TRADITIONAL_MEDIA_PLACEMENTS = pa.schema(
    [
        pa.field("placement_id", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),  # tv, radio, print, ooh, direct_mail
        pa.field("vendor", pa.string(), nullable=False),
        pa.field("campaign", pa.string(), nullable=False),
        pa.field("start_date", pa.date32(), nullable=False),
        pa.field("end_date", pa.date32(), nullable=False),  # = start_date for a single-day placement
        pa.field("spend", MONEY, nullable=False),
        pa.field("impressions", pa.int64()),  # audited impressions (out-of-home)
        pa.field("grps", pa.float64()),  # tv / radio gross rating points
        pa.field("universe", pa.int64()),  # tv / radio: people in the market
        pa.field("circulation", pa.int64()),  # print
        pa.field("readers_per_copy", pa.float64()),  # print
        pa.field("pieces_mailed", pa.int64()),  # direct mail
        # Responses the vendor or ops count themselves (reply cards, QR scans). Calls come from call
        # tracking and vanity-URL visits from web analytics, so they are not counted here.
        pa.field("responses", pa.int64()),
        pa.field("tracking_number", pa.string()),  # the placement's call-tracking number (E.164)
        pa.field("vanity_url", pa.string()),  # the placement's vanity URL (redirects with UTM tags)
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)


class MediaPlanError(InboxFileError):
    """A media-plan file (or several) could not be landed; the message says where and what to fix."""


def _parse_channel(value: Any, column: str) -> str:
    channel = parse_text(value, column).lower()
    if channel not in CHANNEL_REQUIREMENTS:
        raise CellError(
            f"{parse_text(value, column)!r} is not a known channel; use one of {', '.join(CHANNEL_REQUIREMENTS)}."
        )
    return channel


def _check_placement(row: Row, record: dict[str, Any]) -> None:
    for column in ("placement_id", "vendor", "campaign"):
        record[column] = row.value(column, parse_text, missing=f"{column} is empty; every placement needs one.")
    channel = row.value(
        "channel", _parse_channel, missing=f"channel is empty; use one of {', '.join(CHANNEL_REQUIREMENTS)}."
    )
    record["channel"] = channel

    start = row.value("start_date", parse_date, missing="start_date is empty; write the first day, e.g. 2026-03-31.")
    end = row.value("end_date", parse_date)
    if start is not None and not row.has("end_date"):
        end = start  # a single-day placement
    if start is not None and end is not None and end < start:
        row.problem(
            "end_date",
            f"end_date {end} is before start_date {start}; "
            "end_date must be on or after start_date (leave it empty for a single day).",
        )
    record["start_date"], record["end_date"] = start, end

    record["spend"] = row.value(
        "spend", parse_money, missing="spend is empty; write the cost in dollars (0 for a free placement)."
    )
    for column in COUNT_COLUMNS:
        record[column] = row.value(column, parse_count)
    for column in RATIO_COLUMNS:
        record[column] = row.value(column, parse_ratio)
    if record["universe"] == 0:
        row.problem("universe", "universe is 0; it is the number of people in the market and must be > 0.")

    for column in CHANNEL_REQUIREMENTS.get(channel, ()):
        if column not in row.values:
            row.problem(column, f"{channel} placements need {column}, but the header has no {column} column.")
        elif not row.has(column):
            needs = " and ".join(CHANNEL_REQUIREMENTS[channel])
            row.problem(column, f"{column} is empty; {channel} placements need {needs}.")

    record["tracking_number"] = row.value("tracking_number", parse_phone)
    record["vanity_url"] = row.value("vanity_url", parse_text)


MEDIA_PLAN = Inbox(
    source=SOURCE,
    entity=ENTITY,
    part=PART,
    schema=TRADITIONAL_MEDIA_PLACEMENTS,
    kind="media-plan",
    sheet="Media plan",
    noun="placement",
    required=REQUIRED_COLUMNS,
    optional=OPTIONAL_COLUMNS,
    check_row=_check_placement,
    error=MediaPlanError,
    unique=(
        UniqueKey(("placement_id",), "placement ids must be unique"),
        # Calls to a number are credited to one placement.
        UniqueKey(("tracking_number",), "each placement needs its own tracking number"),
    ),
)


# The landing suite (GX is imported when the gate builds it).
def placements_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        critical(gxe.ExpectColumnValuesToNotBeNull(column="placement_id")),
        critical(gxe.ExpectColumnValuesToBeUnique(column="placement_id")),
        critical(gxe.ExpectColumnValuesToBeInSet(column="channel", value_set=list(CHANNEL_REQUIREMENTS))),
        critical(gxe.ExpectColumnValuesToBeBetween(column="spend", min_value=0)),
        critical(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_date", column_B="start_date", or_equal=True)
        ),
        # Calls to a tracking number are credited to one placement (placements without one have none).
        critical(gxe.ExpectColumnValuesToBeUnique(column="tracking_number")),
        critical(gxe.ExpectColumnValuesToMatchRegex(column="tracking_number", regex=E164)),
    ]


SPEC = InboxSource(settings_model=TraditionalMedia, inbox=MEDIA_PLAN, checks=placements_checks)
