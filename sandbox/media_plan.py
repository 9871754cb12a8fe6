"""The demo's media plan: Cedar Valley Health's traditional placements as marketing ops would drop
them in the inbox, seeded and deterministic (same `as_of` and seed, same bytes).

The plan covers about four months before `as_of` and one after. Responses accrue only for the part
of a flight that has run by `as_of`: a future placement has none yet, as in a real plan."""

from __future__ import annotations

import csv
import io
import os
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

CAMPAIGNS_CSV = Path(__file__).resolve().parent.parent / "dbt" / "seeds" / "campaigns.csv"
FILE_NAME = "cedar_valley_media_plan.csv"
HISTORY_DAYS = 120
PLANNED_DAYS = 30
UNIVERSE = 1_450_000  # people 2+ in the Cedar Valley TV and radio market

VENDORS = {
    "tv": ["KCVH-TV 8", "WCVN News 12"],
    "radio": ["KVLY 98.7 FM", "Cedar Valley Public Radio"],
    "print": ["Cedar Valley Gazette", "Northside Neighbors Weekly", "Valley Parent Magazine"],
    "ooh": ["Prairie Outdoor", "Summit Billboards"],
    "direct_mail": ["Valley Mailworks"],
}

# Which channels each campaign buys, and how many placements per channel over the plan.
CAMPAIGN_CHANNELS = {
    "flu-shot-2026": {"tv": 2, "radio": 3, "ooh": 2, "direct_mail": 2},
    "heart-and-vascular": {"tv": 3, "radio": 2, "print": 4},
    "northside-clinic": {"radio": 2, "print": 3, "ooh": 3, "direct_mail": 2},
    "birth-center": {"tv": 1, "radio": 2, "print": 4, "ooh": 1},
    "community-health": {"radio": 2, "print": 3, "direct_mail": 2},
}
# Any campaign added to the seed later still appears in the plan.
DEFAULT_CHANNELS = {"radio": 1, "print": 2, "direct_mail": 1}

# The file format marketing ops use, spelled out here because the sandbox plays the outside world.
COLUMNS = [
    "placement_id",
    "channel",
    "vendor",
    "campaign",
    "start_date",
    "end_date",
    "spend",
    "impressions",
    "grps",
    "universe",
    "circulation",
    "readers_per_copy",
    "pieces_mailed",
    "responses",
]
ID_PREFIX = {"tv": "TV", "radio": "RAD", "print": "PRT", "ooh": "OOH", "direct_mail": "DM"}


@dataclass
class _Placement:
    channel: str
    vendor: str
    campaign: str
    start: date
    end: date | None
    spend: Decimal
    measures: dict[str, int | float]
    responses: int | None


def campaign_ids() -> list[str]:
    with CAMPAIGNS_CSV.open(encoding="utf-8", newline="") as handle:
        return [row["campaign_id"] for row in csv.DictReader(handle)]


def write_media_plan(inbox: Path, as_of: date, seed: int = 7) -> Path:
    """Write the demo media plan into `inbox` (atomically) and return its path."""
    rng = random.Random(seed)
    first_day = as_of - timedelta(days=HISTORY_DAYS)
    placements = [
        _placement(rng, channel, campaign, first_day, as_of)
        for campaign in campaign_ids()
        for channel, count in CAMPAIGN_CHANNELS.get(campaign, DEFAULT_CHANNELS).items()
        for _ in range(count)
    ]
    placements.sort(key=lambda p: (p.start, p.channel, p.campaign, p.vendor))

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    numbers = dict.fromkeys(ID_PREFIX, 0)
    for placement in placements:
        numbers[placement.channel] += 1
        writer.writerow(
            {
                "placement_id": f"CVH-{ID_PREFIX[placement.channel]}-{numbers[placement.channel]:03d}",
                "channel": placement.channel,
                "vendor": placement.vendor,
                "campaign": placement.campaign,
                "start_date": placement.start.isoformat(),
                "end_date": placement.end.isoformat() if placement.end else "",
                "spend": f"{placement.spend:.2f}",
                **{column: _format(value) for column, value in placement.measures.items()},
                "responses": "" if placement.responses is None else placement.responses,
            }
        )

    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / FILE_NAME
    # Dot-prefixed so that a run reading the inbox meanwhile never sees a half-written plan.
    tmp = inbox / f".{FILE_NAME}.{os.getpid()}.tmp"
    try:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _format(value: int | float) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _placement(rng: random.Random, channel: str, campaign: str, first_day: date, as_of: date) -> _Placement:
    vendor = rng.choice(VENDORS[channel])
    flight_days = {"tv": rng.randint(7, 21), "radio": rng.randint(7, 28), "ooh": 28}.get(channel, 1)
    latest_start = as_of + timedelta(days=PLANNED_DAYS) - timedelta(days=flight_days - 1)
    start = first_day + timedelta(days=rng.randint(0, (latest_start - first_day).days))
    end = start + timedelta(days=flight_days - 1)

    if channel in ("tv", "radio"):
        grps = round(rng.uniform(80, 200) if channel == "tv" else rng.uniform(60, 150), 1)
        spend = rng.randrange(12_000, 40_001, 250) if channel == "tv" else rng.randrange(3_000, 12_001, 100)
        measures: dict[str, int | float] = {"grps": grps, "universe": UNIVERSE}
        # Calls to the spot's tracking number and vanity-URL visits per gross impression.
        rate = rng.uniform(0.0001, 0.0003) if channel == "tv" else rng.uniform(0.00005, 0.00015)
        full_responses = grps * UNIVERSE / 100 * rate
    elif channel == "print":
        circulation = rng.randrange(40_000, 90_001, 500)
        readers = round(rng.uniform(2.0, 2.6), 1)
        spend = rng.randrange(1_500, 6_001, 50)
        measures = {"circulation": circulation, "readers_per_copy": readers}
        full_responses = circulation * readers * rng.uniform(0.0005, 0.0015)
    elif channel == "ooh":
        impressions = rng.randrange(300_000, 900_001, 1_000)
        spend = rng.randrange(4_000, 15_001, 100)
        measures = {"impressions": impressions}
        full_responses = impressions * rng.uniform(0.00005, 0.0002)
    else:
        pieces = rng.randrange(10_000, 30_001, 500)
        # Printing and postage per piece.
        spend = round(pieces * rng.uniform(0.55, 0.85))
        measures = {"pieces_mailed": pieces}
        full_responses = pieces * rng.uniform(0.01, 0.05)

    # Broadcast and boards draw responses while they run; a paper sits on the table for a while.
    response_days = {"print": 14, "direct_mail": 28}.get(channel, flight_days)
    return _Placement(
        channel=channel,
        vendor=vendor,
        campaign=campaign,
        start=start,
        end=end if flight_days > 1 else None,
        spend=Decimal(spend),
        measures=measures,
        responses=_responses_so_far(full_responses, start, response_days, as_of),
    )


def _responses_so_far(full: float, start: date, response_days: int, as_of: date) -> int | None:
    if start > as_of:
        return None
    elapsed = min((as_of - start).days + 1, response_days)
    return round(full * elapsed / response_days)
