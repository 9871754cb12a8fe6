"""Marketing history: the weeks before the pipeline started, dropped once as a CSV or XLSX file in an
inbox folder.

Why: a marketing-mix model needs about two years of weekly history, and the nightly runs only hold
the nights since the pipeline started. On day one a team has the weeks before that in a spreadsheet
(spend from invoices, posts and impressions from the platforms' and vendors' reports, key events
from web analytics); dropped in `data/inbox/marketing_history/`, it gives the model its history.
Like the call log, every run validates each file of the inbox and lands the rows of all valid files
together as one snapshot partition (`marketing_history/weekly/date=<day>/marketing_history.parquet`),
so the inbox holds the whole history the warehouse should see and a rerun of a day replaces that
day's snapshot. Bad files are quarantined with a reason, the valid ones land, and then the run
fails so the task alerts (rules shared with the other inboxes: `extractors.inbox`).

Privacy: the file holds weekly totals per channel only; no person, patient, user, session or
client id, and nothing from which one could be read. It carries no person-level data.

File format: a header row with exactly these names; in a workbook, a sheet named "Weekly history"
or the only sheet. One row per ISO week x channel:

    week_start, channel, media_spend, total_investment, posts, impressions,
    appointment_requests, class_registrations, conversion_value

- `week_start`: the Monday that starts the ISO week (any date spelling of `extractors.cells`); any
  other day is an error naming that week's Monday, and a week after the day the file is taken is
  a typo (check the year).
- `channel`: a channel of `dbt/seeds/channels.csv` (CHANNELS), or `(none)`: the web key events no
  channel's UTM tags claimed (search, direct, untagged visits).
- `media_spend`: US dollars paid to the platforms and vendors (ads, airtime, space, postage).
  `total_investment`: the whole cost of the channel that week, media plus staff time, tools and
  production; never less than `media_spend`. Both >= 0; a `(none)` row has no cost (0 or empty).
- `posts`: campaign posts published (organic social); `impressions`: gross impressions (ads,
  traditional media). Whole numbers >= 0, or empty where the channel does not count them.
- `appointment_requests`, `class_registrations`: the web key events attributed to the channel by
  UTM tags (on `(none)`, the rest), whole numbers >= 0; `conversion_value`: their value in US
  dollars. Summed over a week's rows they are the week's total key events.
- One row per week_start and channel across all files of the inbox."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from core.contract import MONEY
from core.settings import Identifier, InboxSourceSettings
from core.severity import critical
from extractors.cells import CellError, parse_count, parse_date, parse_money, parse_text
from extractors.inbox import Inbox, InboxFileError, Row, UniqueKey
from extractors.spec import InboxSource

SOURCE = "marketing_history"
ENTITY = "weekly"
PART = "marketing_history"

# The channels of dbt/seeds/channels.csv (tests/unit/test_marketing_history.py keeps them equal).
CHANNELS = (
    "facebook",
    "instagram",
    "x",
    "youtube",
    "linkedin",
    "tv",
    "radio",
    "print",
    "ooh",
    "direct_mail",
    "meta_ads",
    "employee_advocacy",
)
# Web key events that no channel's tags claimed.
NO_CHANNEL = "(none)"

REQUIRED_COLUMNS = (
    "week_start",
    "channel",
    "media_spend",
    "total_investment",
    "posts",
    "impressions",
    "appointment_requests",
    "class_registrations",
    "conversion_value",
)
MONEY_COLUMNS = ("media_spend", "total_investment")
COUNT_COLUMNS = ("posts", "impressions")
KEY_EVENT_COLUMNS = ("appointment_requests", "class_registrations")
_ZERO = Decimal("0.00")


class MarketingHistory(InboxSourceSettings):
    # Folder under the data directory's inbox/ where the weekly history before the pipeline started
    # is dropped (CSV or XLSX).
    inbox: Identifier = "marketing_history"


# Marketing history: one row per ISO week x channel before the pipeline started, dropped in an
# inbox and landed as one snapshot like the call log.
MARKETING_HISTORY_WEEKLY = pa.schema(
    [
        pa.field("week_start", pa.date32(), nullable=False),  # the Monday of the ISO week
        pa.field("channel", pa.string(), nullable=False),  # a channels seed key, or (none)
        pa.field("media_spend", MONEY, nullable=False),
        pa.field("total_investment", MONEY, nullable=False),  # media + staff time + tools + production
        pa.field("posts", pa.int64()),  # campaign posts published (organic social)
        pa.field("impressions", pa.int64()),  # gross impressions (ads, traditional media)
        pa.field("appointment_requests", pa.int64(), nullable=False),
        pa.field("class_registrations", pa.int64(), nullable=False),
        pa.field("conversion_value", MONEY, nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)


class MarketingHistoryError(InboxFileError):
    """A marketing-history file (or several) could not be landed; the message says where and what to fix."""


def _parse_channel(value: Any, column: str) -> str:
    channel = parse_text(value, column).lower()
    if channel not in CHANNELS and channel != NO_CHANNEL:
        raise CellError(
            f"{parse_text(value, column)!r} is not a known channel; use one of {', '.join(CHANNELS)}, "
            f"or {NO_CHANNEL} for key events no channel's tags claimed."
        )
    return channel


def _check_week(row: Row, record: dict[str, Any]) -> None:
    week_start = row.value(
        "week_start", parse_date, missing="week_start is empty; write the Monday of the week, e.g. 2025-03-03."
    )
    if week_start is not None and week_start.weekday() != 0:
        monday = week_start - timedelta(days=week_start.weekday())
        row.problem(
            "week_start",
            f"week_start {week_start.isoformat()} is a {week_start:%A}; weeks start on Monday: "
            f"use {monday.isoformat()}, the Monday of that week.",
        )
    record["week_start"] = week_start
    channel = row.value(
        "channel",
        _parse_channel,
        missing=f"channel is empty; use one of {', '.join(CHANNELS)}, or {NO_CHANNEL}.",
    )
    record["channel"] = channel

    if channel == NO_CHANNEL:
        for column in MONEY_COLUMNS:
            amount = row.value(column, parse_money)
            if amount:
                row.problem(
                    column,
                    f"{column} is {amount} on a {NO_CHANNEL} row; key events no channel claimed have no cost: "
                    "write 0 or leave it empty, and put the cost on its channel's row.",
                )
            record[column] = _ZERO if amount is None else amount
    else:
        for column in MONEY_COLUMNS:
            record[column] = row.value(
                column, parse_money, missing=f"{column} is empty; write the dollars (0 for a week without any)."
            )
    media, total = record["media_spend"], record["total_investment"]
    if media is not None and total is not None and total < media:
        row.problem(
            "total_investment",
            f"total_investment {total} is less than media_spend {media}; the total investment is media spend "
            "plus staff time, tools and production, so never less.",
        )

    for column in COUNT_COLUMNS:
        record[column] = row.value(column, parse_count)
    for column in KEY_EVENT_COLUMNS:
        record[column] = row.value(column, parse_count, missing=f"{column} is empty; write 0 for a week without any.")
    record["conversion_value"] = row.value(
        "conversion_value",
        parse_money,
        missing="conversion_value is empty; write the dollars the key events are worth (0 without key events).",
    )


WEEKLY_HISTORY = Inbox(
    source=SOURCE,
    entity=ENTITY,
    part=PART,
    schema=MARKETING_HISTORY_WEEKLY,
    kind="marketing-history",
    sheet="Weekly history",
    noun="channel week",
    required=REQUIRED_COLUMNS,
    check_row=_check_week,
    error=MarketingHistoryError,
    unique=(UniqueKey(("week_start", "channel"), "a channel has one row per week"),),
    not_after_run_day=("week_start",),
    not_after_reason="the history holds weeks that have started, so a later week is a typo",
)


# The landing suite (GX is imported when the gate builds it).
def weekly_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        critical(gxe.ExpectColumnValuesToNotBeNull(column="week_start")),
        critical(gxe.ExpectColumnValuesToBeInSet(column="channel", value_set=[*CHANNELS, NO_CHANNEL])),
        critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["week_start", "channel"])),
        *(
            critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))
            for column in (*MONEY_COLUMNS, *COUNT_COLUMNS, *KEY_EVENT_COLUMNS, "conversion_value")
        ),
        critical(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="total_investment", column_B="media_spend", or_equal=True
            )
        ),
    ]


SPEC = InboxSource(settings_model=MarketingHistory, inbox=WEEKLY_HISTORY, checks=weekly_checks)
