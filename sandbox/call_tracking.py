"""The demo's call-tracking export: calls to each placement's tracking number, as the call-tracking
vendor's daily export would drop it in the inbox.

Calls come from the conversions model (`sandbox.conversions.ConversionsWorld.calls`), which depends
only on the media plan's seed, so the log and the plan written with the same `as_of` and seed agree:
the log has the numbers of that plan's placements, one row per number and day with at least one
call, from the plan's first day up to `as_of` (inclusive). Calls keep coming for a while after a
flight ends (carry-over), and none come before a placement starts."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from sandbox.conversions import ConversionsWorld
from sandbox.media_plan import DEFAULT_SEED, HISTORY_DAYS, plan_placements, write_inbox_file

FILE_NAME = "cedar_valley_call_log.csv"
COLUMNS = ["date", "tracking_number", "calls", "qualified_calls"]


def write_call_log(inbox: Path, as_of: date, seed: int = DEFAULT_SEED) -> Path:
    """Write the call log for the media plan of `as_of` (same seed) into `inbox`, atomically."""
    numbers = {p.tracking_number for p in plan_placements(as_of, seed)}
    world = ConversionsWorld(plan_seed=seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    day = as_of - timedelta(days=HISTORY_DAYS)
    while day <= as_of:
        for row in world.calls(day):
            if row.calls > 0 and row.tracking_number in numbers:
                writer.writerow([day.isoformat(), row.tracking_number, row.calls, row.qualified_calls])
        day += timedelta(days=1)
    return write_inbox_file(inbox, FILE_NAME, buffer.getvalue())
