"""The fault matrix, inbox rows: a bad file dropped beside the clean night's media plan and call log.

For every row: the inbox task's outcome (succeeds, waits with the source left stale, or fails fast
with the file quarantined), the message (the file, the row or column, and what to do), the valid
files' rows landed exactly once, none of the bad file's rows landed, and a plain rerun after the
bad file is taken away that lands the clean night's rows."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from airflow.sdk.exceptions import AirflowFailException

from extractors.inbox import InboxFileError
from nightly import tasks
from tests.faults.fault_nights import LOGICAL_DATE, RUN_ID, Night, landed_digest, leftovers, write_config

pytestmark = pytest.mark.integration

MEDIA_HEADER = "placement_id,channel,vendor,campaign,start_date,end_date,spend,grps,universe"
MEDIA_ROW = "TV-FAULT-1,tv,KCRG,flu_shot_drive,2026-10-05,2026-10-11,{spend},12.5,250000"
CALL_HEADER = "date,tracking_number,calls,qualified_calls"
CALL_ROW = "{day},+13195550199,4,2"


def text(body: str) -> Callable[[Night], bytes]:
    # "future": a mistyped year, after the day the file is taken whenever the test runs.
    return lambda night: body.format(day=night.day, future=night.day.replace(year=night.day.year + 100)).encode()


def formula_workbook(night: Night) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Media plan"
    sheet.append(MEDIA_HEADER.split(","))
    # Written by openpyxl, the formula has no saved result: its value cannot be known.
    sheet.append(["TV-FAULT-1", "tv", "KCRG", "flu_shot_drive", "2026-10-05", "2026-10-11", "=1000*2", 12.5, 250000])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def huge_call_log(night: Night) -> bytes:
    lines = [CALL_HEADER]
    for n in range(200_000):
        day = night.day - timedelta(days=n % 365)
        lines.append(f"{day},+1319{7000000 + n // 365:07d},3,1")
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class InboxFault:
    inbox: str
    name: str
    content: Callable[[Night], bytes]
    # "quarantined": fails fast (InboxFileError), the file moved out with its reason;
    # "lands": succeeds and lands the file's `rows` too; "waits": not taken, left in the inbox.
    outcome: str
    message: tuple[str, ...]
    rows: int = 0


INBOX_FAULTS = {
    "wrong delimiter": InboxFault(
        "traditional_media",
        "plan_semicolons.csv",
        text(MEDIA_HEADER.replace(",", ";")),
        "quarantined",
        ("plan_semicolons.csv", "placement_id", "Fix each file"),
    ),
    "missing column": InboxFault(
        "traditional_media",
        "plan_no_spend.csv",
        text(MEDIA_HEADER.replace(",spend", "") + "\n" + MEDIA_ROW.replace(",{spend}", "") + "\n"),
        "quarantined",
        ("plan_no_spend.csv", "spend", "Fix each file"),
    ),
    # Refused rather than ignored: an unknown column is often a known one misspelt.
    "extra column": InboxFault(
        "traditional_media",
        "plan_extra.csv",
        text(MEDIA_HEADER + ",buyer_notes\n" + MEDIA_ROW.format(spend="1000.00") + ",call Tom\n"),
        "quarantined",
        ("plan_extra.csv", "unknown column 'buyer_notes'", "allowed columns", "Fix each file"),
    ),
    "currency strings": InboxFault(
        "traditional_media",
        "plan_dollars.csv",
        text(MEDIA_HEADER + "\n" + MEDIA_ROW.format(spend='"$1,200.50"') + "\n"),
        "lands",
        (),
        rows=1,
    ),
    "negative spend": InboxFault(
        "traditional_media",
        "plan_negative.csv",
        text(MEDIA_HEADER + "\n" + MEDIA_ROW.format(spend="-1000") + "\n"),
        "quarantined",
        ("plan_negative.csv", "row 1", "spend", "Fix each file"),
    ),
    "future dates": InboxFault(
        "call_tracking",
        "calls_future.csv",
        text(CALL_HEADER + "\n" + CALL_ROW.replace("{day}", "{future}") + "\n"),
        "quarantined",
        ("calls_future.csv", "row 1", "date", "Fix each file"),
    ),
    "duplicated rows": InboxFault(
        "traditional_media",
        "plan_twice.csv",
        text(MEDIA_HEADER + "\n" + MEDIA_ROW.format(spend="1000") + "\n" + MEDIA_ROW.format(spend="1000") + "\n"),
        "quarantined",
        ("plan_twice.csv", "row 2", "placement_id", "Fix each file"),
    ),
    "empty file": InboxFault(
        "traditional_media", "plan_empty.csv", text(""), "quarantined", ("plan_empty.csv", "Fix each file")
    ),
    "binary garbage": InboxFault(
        "traditional_media",
        "plan_garbage.csv",
        lambda night: bytes(range(256)) * 8,
        "quarantined",
        ("plan_garbage.csv", "Fix each file"),
    ),
    "non-UTF-8": InboxFault(
        "traditional_media",
        "plan_latin1.csv",
        lambda night: (MEDIA_HEADER + "\n" + MEDIA_ROW.format(spend="1000").replace("KCRG", "Télé KCRG") + "\n").encode(
            "latin-1"
        ),
        "quarantined",
        ("plan_latin1.csv", "UTF-8", "Fix each file"),
    ),
    "formula cells": InboxFault(
        "traditional_media",
        "plan_formula.xlsx",
        formula_workbook,
        "quarantined",
        ("plan_formula.xlsx", "G2", "Fix each file"),
    ),
    "a file being written": InboxFault(
        "call_tracking",
        "calls_copying.csv",
        text(CALL_HEADER + "\n" + "{day},+13195550199,4"),
        "waits",
        ("calls_copying.csv", "waits for its marker", "keeps its last snapshot", "next run lands"),
    ),
    "a huge file": InboxFault("call_tracking", "calls_huge.csv", huge_call_log, "lands", (), rows=200_000),
}

ENTITY = {"traditional_media": "placements", "call_tracking": "calls"}


def extract(inbox: str) -> dict[str, int]:
    return tasks.extract_inbox(inbox, LOGICAL_DATE, RUN_ID)


@pytest.mark.parametrize("name", list(INBOX_FAULTS))
def test_inbox_fault(name, night, clean_night, caplog):
    fault = INBOX_FAULTS[name]
    entity = ENTITY[fault.inbox]
    clean = landed_digest(clean_night[0].paths, fault.inbox, entity, night.day)
    inbox = night.paths.inbox / fault.inbox
    if fault.outcome == "waits":
        # Files count as complete once their `.done` marker is written after them.
        write_config(night.config_file.parent, inboxes={"require_done_marker": True})
        for good in inbox.iterdir():
            (inbox / f"{good.name}.done").touch()
    dropped = inbox / fault.name
    dropped.write_bytes(fault.content(night))

    with caplog.at_level(logging.WARNING):
        if fault.outcome == "quarantined":
            with pytest.raises(AirflowFailException) as caught:
                extract(fault.inbox)
            assert isinstance(caught.value.__cause__, InboxFileError)
            said = str(caught.value)
            assert not dropped.exists()
            reason = next((night.paths.quarantine / fault.inbox).glob(f"date=*/{fault.name}.reason.txt"))
            assert fault.name in reason.read_text()
        else:
            landed = extract(fault.inbox)
            said = "\n".join(r.getMessage() for r in caplog.records)
    for part in fault.message:
        assert part in said, said

    rows, _ = landed_digest(night.paths, fault.inbox, entity, night.day)
    if fault.outcome == "lands":
        assert landed["rows"] == rows == clean[0] + fault.rows, "the file's rows landed once, the others kept"
    elif fault.outcome == "waits":
        assert dropped.exists(), "a file still being written stays in the inbox"
        assert landed_digest(night.paths, fault.inbox, entity, night.day) == clean, "the last snapshot stays"
    else:
        assert landed_digest(night.paths, fault.inbox, entity, night.day) == clean, "none of the bad file's rows"
    assert leftovers(night.paths.root) == []

    # The bad file taken away (or, for the one being written, its copy finished): a plain rerun.
    dropped.unlink(missing_ok=True)
    if fault.outcome == "waits":
        write_config(night.config_file.parent)
    os.sync()
    extract(fault.inbox)
    assert landed_digest(night.paths, fault.inbox, entity, night.day) == clean
