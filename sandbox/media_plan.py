"""The demo's media plan: Cedar Valley Health's traditional placements as marketing ops would drop
them in the inbox, seeded and deterministic (same `as_of` and seed, same bytes).

Placements live on a fixed calendar, so the plan of any day and the conversions model
(`sandbox.conversions`) see the same placements: each campaign buys each of its channels once per
block of `PLAN_DAYS / count` days from `PLAN_EPOCH`, at a seeded place in the block. The file
written for `as_of` lists the placements whose whole flight lies within the `HISTORY_DAYS` before
it and the `PLANNED_DAYS` after it. Flu-shot drives buy only in their flu season, like their posts
and ads.

Each placement has its own call-tracking number (E.164, +1 319 555 xxxx, never reused) and the
campaign's vanity URL for its channel (e.g. `cvhflu.org/tv`), which redirects to the website with
`utm_source=<vanity host>&utm_medium=<channel>&utm_campaign=<campaign id>`. Calls to the number
are in the call log (`sandbox.call_tracking`) and vanity-URL visits in web analytics, so the plan's
`responses` column counts only what the vendor counts itself: QR scans (TV on screen, print,
billboards), text-keyword replies (radio) and reply cards (direct mail). They accrue only for the
part of a flight that has run by `as_of`: a future placement has none yet, as in a real plan."""

from __future__ import annotations

import csv
import io
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from sandbox.world import Campaign, campaign_active, load_campaigns

FILE_NAME = "cedar_valley_media_plan.csv"
DEFAULT_SEED = 7
HISTORY_DAYS = 120
PLANNED_DAYS = 30
# A plan spans this many days; each campaign buys a channel `count` times in that span.
PLAN_DAYS = HISTORY_DAYS + PLANNED_DAYS
# The first day the organisation bought traditional media in the sandbox's story.
PLAN_EPOCH = date(2024, 1, 1)
UNIVERSE = 1_450_000  # people 2+ in the Cedar Valley TV and radio market

CHANNELS = ("tv", "radio", "print", "ooh", "direct_mail")
VENDORS = {
    "tv": ["KCVH-TV 8", "WCVN News 12"],
    "radio": ["KVLY 98.7 FM", "Cedar Valley Public Radio"],
    "print": ["Cedar Valley Gazette", "Northside Neighbors Weekly", "Valley Parent Magazine"],
    "ooh": ["Prairie Outdoor", "Summit Billboards"],
    "direct_mail": ["Valley Mailworks"],
}

# Which channels each campaign buys, and how many placements per channel over a plan's span.
CAMPAIGN_CHANNELS = {
    "flu-shot-2026": {"tv": 2, "radio": 3, "ooh": 2, "direct_mail": 2},
    "heart-and-vascular": {"tv": 3, "radio": 2, "print": 4},
    "northside-clinic": {"radio": 2, "print": 3, "ooh": 3, "direct_mail": 2},
    "birth-center": {"tv": 1, "radio": 2, "print": 4, "ooh": 1},
    "community-health": {"radio": 2, "print": 3, "direct_mail": 2},
}
# Any campaign added to the seed later still appears in the plan.
DEFAULT_CHANNELS = {"radio": 1, "print": 2, "direct_mail": 1}

# One memorable host per campaign; its path names the medium.
VANITY_HOSTS = {
    "flu-shot-2026": "cvhflu.org",
    "heart-and-vascular": "cvheart.org",
    "northside-clinic": "cvhnorthside.org",
    "birth-center": "cvhbirth.org",
    "community-health": "cvhcommunity.org",
}
VANITY_PATHS = {"tv": "tv", "radio": "radio", "print": "print", "ooh": "billboard", "direct_mail": "mail"}
TRACKING_NUMBER_PREFIX = "+1319555"  # four digits follow

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
    "tracking_number",
    "vanity_url",
]
ID_PREFIX = {"tv": "TV", "radio": "RAD", "print": "PRT", "ooh": "OOH", "direct_mail": "DM"}


@dataclass(frozen=True)
class Placement:
    """One placement of the plan: its flight, cost, exposure measures and response hooks."""

    placement_id: str
    channel: str
    vendor: str
    campaign: str
    start: date
    end: date  # = start for a single-day placement (print, direct mail)
    spend: Decimal
    measures: Mapping[str, int | float]  # the plan's measure columns for this channel
    tracking_number: str
    vanity_url: str
    vendor_response_rate: float  # vendor-counted responses per gross impression

    @property
    def flight_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def vanity_host(self) -> str:
        return self.vanity_url.split("/", 1)[0]

    @property
    def gross_impressions(self) -> float:
        """Exposure over the whole flight: GRPs x universe / 100 (TV, radio), circulation x readers
        per copy (print), audited impressions (out-of-home), pieces mailed (direct mail)."""
        m = self.measures
        if self.channel in ("tv", "radio"):
            return m["grps"] * m["universe"] / 100
        if self.channel == "print":
            return m["circulation"] * m["readers_per_copy"]
        if self.channel == "ooh":
            return float(m["impressions"])
        return float(m["pieces_mailed"])

    def exposure_on(self, day: date) -> float:
        """Gross impressions on `day`, spread evenly over the flight (0 outside it)."""
        if not self.start <= day <= self.end:
            return 0.0
        return self.gross_impressions / self.flight_days

    def vendor_responses(self, as_of: date) -> int | None:
        """Vendor-counted responses by `as_of`, None before the placement starts. Broadcast and
        boards draw them while they run; a paper or a mailer sits on the table for a while."""
        if self.start > as_of:
            return None
        response_days = {"print": 14, "direct_mail": 28}.get(self.channel, self.flight_days)
        elapsed = min((as_of - self.start).days + 1, response_days)
        return round(self.gross_impressions * self.vendor_response_rate * elapsed / response_days)


def campaign_ids() -> list[str]:
    return [campaign.id for campaign in _seed_campaigns()]


def placements_between(first: date, last: date, seed: int = DEFAULT_SEED) -> list[Placement]:
    """Every placement whose flight overlaps `first`..`last` (inclusive), by start date."""
    found = []
    for campaign_index, campaign in enumerate(campaign_ids()):
        for channel, count in CAMPAIGN_CHANNELS.get(campaign, DEFAULT_CHANNELS).items():
            block_days = PLAN_DAYS // count
            first_block = max(0, (first - PLAN_EPOCH).days // block_days)
            for block in range(first_block, (last - PLAN_EPOCH).days // block_days + 1):
                placement = _block_placement(seed, campaign_index, channel, block_days, block)
                if placement is not None and placement.start <= last and placement.end >= first:
                    found.append(placement)
    return sorted(found, key=lambda p: (p.start, p.channel, p.campaign, p.vendor, p.placement_id))


def plan_placements(as_of: date, seed: int = DEFAULT_SEED) -> list[Placement]:
    """The placements of the plan written for `as_of`, in file order."""
    first, last = as_of - timedelta(days=HISTORY_DAYS), as_of + timedelta(days=PLANNED_DAYS)
    return [p for p in placements_between(first, last, seed) if p.start >= first and p.end <= last]


def write_media_plan(inbox: Path, as_of: date, seed: int = DEFAULT_SEED) -> Path:
    """Write the demo media plan into `inbox` (atomically) and return its path."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for placement in plan_placements(as_of, seed):
        responses = placement.vendor_responses(as_of)
        writer.writerow(
            {
                "placement_id": placement.placement_id,
                "channel": placement.channel,
                "vendor": placement.vendor,
                "campaign": placement.campaign,
                "start_date": placement.start.isoformat(),
                "end_date": placement.end.isoformat() if placement.flight_days > 1 else "",
                "spend": f"{placement.spend:.2f}",
                **{column: _format(value) for column, value in placement.measures.items()},
                "responses": "" if responses is None else responses,
                "tracking_number": placement.tracking_number,
                "vanity_url": placement.vanity_url,
            }
        )
    return write_inbox_file(inbox, FILE_NAME, buffer.getvalue())


def write_inbox_file(inbox: Path, name: str, text: str) -> Path:
    """Write `text` to `inbox/name` atomically: a run reading the inbox meanwhile sees the old file
    or the new one, never half of it."""
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / name
    # Dot-prefixed so that the readers' globs never pick up the temporary file.
    tmp = inbox / f".{name}.{os.getpid()}.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def vanity_url(campaign: str, channel: str) -> str:
    host = VANITY_HOSTS.get(campaign) or f"cvh{campaign.replace('-', '')}.org"
    return f"{host}/{VANITY_PATHS[channel]}"


def _format(value: int | float) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


@lru_cache(maxsize=8192)
def _block_placement(seed: int, campaign_index: int, channel: str, block_days: int, block: int) -> Placement | None:
    """The placement a campaign buys on a channel in one block of the calendar, if any."""
    campaign = _seed_campaigns()[campaign_index]
    rng = random.Random(f"{seed}:media-plan:{campaign.id}:{channel}:{block}")
    vendor = rng.choice(VENDORS[channel])
    flight_days = {"tv": rng.randint(7, 21), "radio": rng.randint(7, 28), "ooh": 28}.get(channel, 1)
    block_start = PLAN_EPOCH + timedelta(days=block * block_days)
    start = block_start + timedelta(days=rng.randint(0, block_days - flight_days))
    end = start + timedelta(days=flight_days - 1)

    if channel in ("tv", "radio"):
        grps = round(rng.uniform(80, 200) if channel == "tv" else rng.uniform(60, 150), 1)
        spend = rng.randrange(12_000, 40_001, 250) if channel == "tv" else rng.randrange(3_000, 12_001, 100)
        measures: dict[str, int | float] = {"grps": grps, "universe": UNIVERSE}
        # On-screen QR scans (TV) and text-keyword replies (radio) per gross impression.
        response_rate = rng.uniform(2e-6, 6e-6) if channel == "tv" else rng.uniform(1e-6, 4e-6)
    elif channel == "print":
        circulation = rng.randrange(40_000, 90_001, 500)
        readers = round(rng.uniform(2.0, 2.6), 1)
        spend = rng.randrange(1_500, 6_001, 50)
        measures = {"circulation": circulation, "readers_per_copy": readers}
        response_rate = rng.uniform(0.0002, 0.0006)  # QR scans
    elif channel == "ooh":
        impressions = rng.randrange(300_000, 900_001, 1_000)
        spend = rng.randrange(4_000, 15_001, 100)
        measures = {"impressions": impressions}
        response_rate = rng.uniform(1e-5, 4e-5)  # QR scans
    else:
        pieces = rng.randrange(10_000, 30_001, 500)
        # Printing and postage per piece.
        spend = round(pieces * rng.uniform(0.55, 0.85))
        measures = {"pieces_mailed": pieces}
        response_rate = rng.uniform(0.004, 0.012)  # reply cards and QR scans

    if not (campaign_active(campaign, start) and campaign_active(campaign, end)):
        return None
    serial = _serial(campaign_index, channel, block, block_start)
    return Placement(
        placement_id=f"CVH-{ID_PREFIX[channel]}-{serial:04d}",
        channel=channel,
        vendor=vendor,
        campaign=campaign.id,
        start=start,
        end=end,
        spend=Decimal(spend),
        measures=measures,
        tracking_number=f"{TRACKING_NUMBER_PREFIX}{serial:04d}",
        vanity_url=vanity_url(campaign.id, channel),
        vendor_response_rate=response_rate,
    )


def _serial(campaign_index: int, channel: str, block: int, block_start: date) -> int:
    """A number unique to (campaign, channel, block): the placement id's and tracking number's digits."""
    slots = len(_seed_campaigns()) * len(CHANNELS)
    serial = 100 + block * slots + campaign_index * len(CHANNELS) + CHANNELS.index(channel)
    if serial > 9999:
        raise ValueError(
            f"the sandbox media plan has no tracking number left for placements from {block_start} on "
            f"(four digits after {TRACKING_NUMBER_PREFIX}): plan dates nearer {PLAN_EPOCH}"
        )
    return serial


@lru_cache(maxsize=1)
def _seed_campaigns() -> tuple[Campaign, ...]:
    return tuple(load_campaigns())
