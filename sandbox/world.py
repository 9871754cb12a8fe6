"""What every platform's sandbox world shares: Cedar Valley Health, its campaigns, its clock, and the
skeleton of a platform's accounts and what they publish.

Cedar Valley Health is a regional health system on Central time. Every platform world (one per
platform module: `sandbox.facebook`, `sandbox.instagram`, ...) is seeded and deterministic: every
value is a pure function of (seed, account, day), computed on demand, so any date range from the
world's start onwards can be asked for and two worlds with the same seed agree exactly. The sandbox
servers answer from them, and tests use the same methods as ground truth.

What an account publishes grows along one saturating curve towards a final value per item
(`lifetime_fraction`: most of it within 2-3 days, the rest over about two weeks), so a later
snapshot is never lower than an earlier one. Campaign posts promote the organisation's campaigns
(the dbt seed, `load_campaigns`) while they run (`campaign_active`)."""

from __future__ import annotations

import csv
import json
import math
import random
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from core.paths import PROJECT_ROOT
from core.settings import Windows
from core.windows import DateWindow

TIMEZONE = "America/Chicago"
WORLD_START = date(2023, 11, 1)
CAMPAIGNS_CSV = PROJECT_ROOT / "dbt" / "seeds" / "campaigns.csv"
# The organisation's accounts on each platform, as data (`seeded_accounts`).
ACCOUNTS_JSON = Path(__file__).with_name("accounts.json")

# How much more or less happens on each weekday than on an average one, Monday first.
WEEKDAY_FACTOR = (1.05, 1.08, 1.05, 1.0, 0.95, 0.82, 0.85)


# An item reaches its final lifetime values after this long; before, `lifetime_fraction` applies.
MATURE_HOURS = 16 * 24
_FAST_HOURS = 14
_FAST_SHARE = 0.86
# Campaign pushes (`PlatformWorld.campaign_push`): a quiet week's factor and odds, a push's range,
# and the most of a week's posts that promote a campaign.
_QUIET_WEEK_PUSH = 0.25
_QUIET_WEEK_ODDS = 0.2
_PUSH_RANGE = (0.7, 1.5)
_MAX_CAMPAIGN_SHARE = 0.95


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    objective: str
    service_line: str


def load_campaigns() -> list[Campaign]:
    """The organisation's campaign list (the dbt seed), so that tagged posts use real campaign ids."""
    with CAMPAIGNS_CSV.open(encoding="utf-8", newline="") as handle:
        return [
            Campaign(row["campaign_id"], row["campaign_name"], row["objective"], row["service_line"])
            for row in csv.DictReader(handle)
        ]


def lifetime_fraction(age: timedelta) -> float:
    """Share of an item's final lifetime value reached at `age`: fast growth over the first day or
    two, a slow tail until MATURE_HOURS, monotone and exactly 1 from then on."""
    hours = age.total_seconds() / 3600
    if hours <= 0:
        return 0.0
    if hours >= MATURE_HOURS:
        return 1.0
    fast = 1 - math.exp(-hours / _FAST_HOURS)
    slow = (hours / MATURE_HOURS) ** 0.7
    return _FAST_SHARE * fast + (1 - _FAST_SHARE) * slow


# A few items of every platform take off: this share of them earns a multiple of its usual reach.
VIRAL_SHARE = 0.03


def viral_multiplier(rng: random.Random, low: float, high: float) -> float:
    """How many times its usual reach an item earns: low..high for the few that go viral, else 1."""
    return rng.uniform(low, high) if rng.random() < VIRAL_SHARE else 1.0


def post_reach(
    rng: random.Random, audience: float, share: tuple[float, float], factor: float = 1.0, viral_high: float = 8
) -> float:
    """What a post reaches once mature: a share of the account's `audience` drawn from `share`,
    times `factor` (its format), times its viral multiple (3 to `viral_high`)."""
    viral = viral_multiplier(rng, 3, viral_high)
    return audience * rng.uniform(*share) * factor * viral


def campaign_active(campaign: Campaign, day: date) -> bool:
    """Flu-shot drives run in flu season (September to December) of the year their id names, if any."""
    if campaign.objective != "flu_shot_drive":
        return True
    year = campaign.id.rsplit("-", 1)[-1]
    return day.month >= 9 and (not year.isdigit() or int(year) == day.year)


def campaign_templates(campaign: Campaign) -> list[str]:
    return (
        _CAMPAIGN_TEMPLATES.get((campaign.objective, campaign.service_line))
        or _CAMPAIGN_TEMPLATES.get((campaign.objective, ""))
        or [f"{campaign.name}: find out more.", f"{campaign.name} at Cedar Valley Health."]
    )


def lifetime_growth(
    items: Iterable[ItemT],
    metrics_at: Callable[[ItemT, datetime], Mapping[str, int]],
    start: datetime,
    end: datetime,
    names: Iterable[str],
) -> dict[str, int]:
    """How much the lifetime values of `items` (`metrics_at(item, instant)`) grew from `start` to
    `end`, per metric of `names`: what a day's account statistics are built from. Items published
    more than MATURE_HOURS before `start` no longer grow and can be left out of `items`."""
    growth = dict.fromkeys(names, 0)
    for item in items:
        before, after = metrics_at(item, start), metrics_at(item, end)
        for name, value in after.items():
            growth[name] += value - before[name]
    return growth


def posts_window(windows: Windows, has_history: bool, partition_date: date) -> DateWindow:
    """The days a run lists posts (or videos) over: the longer of the extraction window and the
    snapshot window, which call budgets count pages over."""
    days = max(windows.lookback_days if has_history else windows.backfill_days, windows.post_snapshot_days)
    return DateWindow(partition_date - timedelta(days=days - 1), partition_date)


class SeededWorld:
    """What every sandbox world shares: seed, scale, start, timezone, campaigns and seeded streams.

    Every world is built with these keywords (and those of its own): `seed`; `scale`, which
    multiplies how much happens (posts per day, audiences); `start`, its first day (default
    `FIRST_DAY`); `campaigns` (default: the organisation's, `load_campaigns`). `rng_namespace` is
    put between the seed and the parts of every stream's seed string, so each platform draws its
    own streams; None leaves it out."""

    rng_namespace: ClassVar[str | None] = None
    FIRST_DAY: ClassVar[date] = WORLD_START

    def __init__(
        self, seed: int = 42, scale: float = 1.0, start: date | None = None, campaigns: list[Campaign] | None = None
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.seed = seed
        self.scale = scale
        self.start = start if start is not None else self.FIRST_DAY
        self.tz = ZoneInfo(TIMEZONE)
        self.campaigns = campaigns if campaigns is not None else load_campaigns()

    def _rng(self, *parts: object) -> random.Random:
        # A string seed is hashed with SHA-512, so the stream does not depend on PYTHONHASHSEED.
        prefix = (self.seed,) if self.rng_namespace is None else (self.seed, self.rng_namespace)
        return random.Random(":".join(str(p) for p in (*prefix, *parts)))

    def day_start(self, day: date, tz: ZoneInfo | None = None) -> datetime:
        """Midnight starting `day` in `tz` (default: the world's own), as an aware datetime."""
        return datetime.combine(day, time(), tzinfo=tz or self.tz)

    def day_end(self, day: date) -> datetime:
        return self.day_start(day + timedelta(days=1))

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def active_campaigns(self, day: date) -> list[Campaign]:
        return [c for c in self.campaigns if campaign_active(c, day)]


@cache
def _account_seeds() -> Mapping[str, list[dict[str, Any]]]:
    return json.loads(ACCOUNTS_JSON.read_text(encoding="utf-8"))


def seeded_ids(platform: str) -> list[str]:
    """The ids of the organisation's accounts on `platform` (`accounts.json`)."""
    return [seed["fixed"]["id"] for seed in _account_seeds()[platform]]


def seeded_accounts(platform: str, account_type: Callable[..., AccountT], scale: float) -> list[AccountT]:
    """The organisation's accounts on `platform`, sized by `scale`: in `accounts.json`, `counts` grow
    with the scale and are rounded (audiences, followers), `rates` grow with it unrounded (follows a day)."""
    return [
        account_type(
            **seed.get("fixed", {}),
            **{name: round(value * scale) for name, value in seed.get("counts", {}).items()},
            **{name: value * scale for name, value in seed.get("rates", {}).items()},
        )
        for seed in _account_seeds()[platform]
    ]


class Account(Protocol):
    @property
    def id(self) -> str: ...


AccountT = TypeVar("AccountT", bound=Account)
ItemT = TypeVar("ItemT")


class PlatformWorld(SeededWorld, ABC, Generic[AccountT, ItemT]):
    """A platform's accounts (`accounts`, by id; the keyword `accounts` replaces the organisation's,
    `default_accounts`) and what each publishes per local day (`posts_on`, oldest first, cached:
    the world is immutable, so a value computed once stays right).

    A platform implements `default_accounts` and `publish`, which draws one account's items of one
    day from the stream `STREAM`; follower counts and the like are `running_total`s of daily changes."""

    # What the platform calls an account, for lookup errors.
    NOUN: ClassVar[str] = "account"
    # The seeded stream an account's items of a day are drawn from.
    STREAM: ClassVar[str] = "posts"
    # The platform's key in `accounts.json` and its account type (`default_accounts`).
    SEEDS: ClassVar[tuple[str, Callable[..., Any]]]

    def __init__(self, accounts: Iterable[AccountT] | None = None, **world: Any) -> None:
        super().__init__(**world)
        self.accounts: dict[str, AccountT] = {
            a.id: a for a in (accounts if accounts is not None else self.default_accounts())
        }
        self._running_lock = threading.Lock()
        self._running: dict[str, list[int]] = {}
        self.posts_on = lru_cache(maxsize=8192)(self._posts_on)

    def default_accounts(self) -> list[AccountT]:
        """The organisation's accounts on the platform (`accounts.json`), sized by `scale`."""
        platform, account_type = self.SEEDS
        return seeded_accounts(platform, account_type, self.scale)

    def account(self, account_id: str) -> AccountT:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise KeyError(f"no {self.NOUN} {account_id!r} in the sandbox world") from None

    def _posts_on(self, account_id: str, day: date) -> tuple[ItemT, ...]:
        account = self.account(account_id)
        if day < self.start:
            return ()
        return self.publish(account, day, self._rng(self.STREAM, account_id, day.isoformat()))

    @abstractmethod
    def publish(self, account: AccountT, day: date, rng: random.Random) -> tuple[ItemT, ...]:
        """What `account` publishes on local `day`, oldest first, drawn from `rng`."""

    def campaign_post(
        self, day: date, rng: random.Random, share: float, service_line_weights: Mapping[str, float] | None = None
    ) -> Campaign | None:
        """The campaign a post published on `day` promotes, or None for one that promotes none: the
        account's usual `share` of campaign posts, times the week's `campaign_push`."""
        if rng.random() >= min(_MAX_CAMPAIGN_SHARE, share * self.campaign_push(day)):
            return None
        return self.pick_campaign(day, rng, service_line_weights)

    def campaign_push(self, day: date) -> float:
        """How hard the team pushes campaigns in the ISO week of `day`, around 1: a social team works
        in pushes (a launch, a drive) and quiet weeks (holidays, news, health tips only), so the
        campaign posts a week, the driver of a channel's effect on conversions, vary from week to
        week as they do in a real account. One in five weeks is quiet."""
        monday = day - timedelta(days=day.weekday())
        rng = self._rng("campaign-push", monday.isoformat())
        return _QUIET_WEEK_PUSH if rng.random() < _QUIET_WEEK_ODDS else rng.uniform(*_PUSH_RANGE)

    def pick_campaign(
        self, day: date, rng: random.Random, service_line_weights: Mapping[str, float] | None = None
    ) -> Campaign | None:
        """A campaign running on `day`, any one alike or weighted by service line (default weight 1)."""
        active = self.active_campaigns(day)
        if not active:
            return None
        if service_line_weights is None:
            return rng.choice(active)
        weights = [service_line_weights.get(c.service_line, 1.0) for c in active]
        return rng.choices(active, weights=weights)[0]

    def newest_first(self, account_id: str, since: datetime, until: datetime, now: datetime) -> Iterator[ItemT]:
        """Items (with a `created_time`) created in [since, until) and not after `now`, newest first."""
        until = min(until, now + timedelta(microseconds=1))
        first = max(self.local_day(since), self.start)
        day = self.local_day(until)
        while day >= first:
            for item in reversed(self.posts_on(account_id, day)):
                if since <= item.created_time < until:
                    yield item
            day -= timedelta(days=1)

    def day_growth(
        self,
        account_id: str,
        day: date,
        metrics_at: Callable[[ItemT, datetime], Mapping[str, int]],
        names: Iterable[str],
    ) -> dict[str, int]:
        """How much the lifetime values of the account's items (with a `created_time`) grew within
        local `day`, per metric of `names` (see `lifetime_growth`)."""
        start, end = self.day_start(day), self.day_end(day)
        growing = self.newest_first(account_id, start - timedelta(hours=MATURE_HOURS), end, end)
        return lifetime_growth(growing, metrics_at, start, end, names)

    def running_total(self, account_id: str, day: date, at_start: int, change_on: Callable[[date], int]) -> int:
        """A count at the end of `day` (followers, subscribers): `at_start` before the world starts,
        then each day's `change_on(day)` added, kept per account so that each day is drawn once."""
        if day < self.start:
            return at_start
        index = (day - self.start).days
        with self._running_lock:
            running = self._running.setdefault(account_id, [])
            while len(running) <= index:
                previous = running[-1] if running else at_start
                running.append(previous + change_on(self.start + timedelta(days=len(running))))
            return running[index]


_CAMPAIGN_TEMPLATES: dict[tuple[str, str], list[str]] = {
    ("flu_shot_drive", ""): [
        "Flu shots are quick, safe and available at every Cedar Valley clinic, no appointment needed.",
        "It's not too late to get your flu shot! Walk-in hours at our clinics this week:",
        "Our nurses answer your top flu-vaccine questions in under two minutes. Watch, then book your shot:",
        "Protect the people you love this winter: a flu shot takes ten minutes. Find a clinic near you:",
    ],
    ("service_line_growth", "cardiology"): [
        "Know your numbers: schedule a heart screening with our cardiology team.",
        "Meet the team at the Cedar Valley Heart & Vascular Center, now seeing patients in two locations.",
        "Chest pain, shortness of breath, unusual fatigue: learn the warning signs of heart disease.",
        "Cardiac rehab helps you get back to the life you love. Ask your doctor about a referral:",
    ],
    ("service_line_growth", "womens_health"): [
        "Take a virtual tour of our Family Birth Center and its new labor and delivery suites.",
        "Childbirth and breastfeeding classes for expecting parents start next month. Reserve your spot:",
        "Welcome to the world, little ones! Meet the nurses who care for our newest families.",
    ],
    ("new_clinic", ""): [
        "Same-day appointments, lab services and primary care for the whole family, now closer to home.",
        "Our newest clinic is open! Meet the care team and book your first visit:",
        "Evening and Saturday hours are here at our new neighborhood clinic.",
    ],
    ("community_health", ""): [
        "Free blood pressure and diabetes screenings this Saturday at the Community Center, 9am-1pm.",
        "Join us at the community health fair: free screenings, healthy cooking demos and kids' activities.",
        "Our mobile health unit visits five neighborhoods this month. See the schedule:",
    ],
}

# What the organisation posts when no campaign is behind a post (Facebook and X).
UNTAGGED_MESSAGES = [
    "Thank you to our nurses, who show up every day for our patients and our community.",
    "Staying hydrated matters in every season: aim for about eight cups of water a day.",
    "Congratulations to our Emergency Department team on their national quality award!",
    "Did you know? The MyCedarValley app lets you message your care team, see test results and pay bills.",
    "Meet our volunteers: more than 300 neighbors giving their time to make every visit a little easier.",
    "Sun safety reminder: use SPF 30 or higher and reapply every two hours when you're outdoors.",
    "Icy roads tomorrow morning? Our emergency departments are open 24/7; clinics may open later.",
    "A short walk after meals can help keep blood sugar steady. Small steps add up!",
    "We're hiring! Join a team that puts patients first in nursing, imaging, pharmacy and more.",
]
