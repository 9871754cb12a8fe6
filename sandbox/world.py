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
(the dbt seed, `load_campaigns`) while they run (`campaign_active`).

Every post says something with an intent (`INTENTS`: helpful, patient story, community, event,
recruiting, promotional), drawn with its text (`draw_message`) and kept as ground truth
(`PlatformWorld.true_intents`). Helpful posts earn more shares and saves than promotional ones
(`SHARE_EFFECT`, `SAVE_EFFECT`: within a platform and format, 2.0 times the shares and 2.5 times the
saves per impression), so the content marts have a known effect to recover."""

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

from content.classifier import INTENTS
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
    # The attribute of an item that is the id the platform's API gives it (and the landing keeps).
    ITEM_ID: ClassVar[str] = "id"

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

    def true_intents(self, account_id: str, first_day: date, last_day: date) -> dict[str, str]:
        """The intent of every item `account_id` published on local days first_day..last_day, by
        the item's API id: the ground truth the content classifier is checked against."""
        intents: dict[str, str] = {}
        day = first_day
        while day <= last_day:
            for item in self.posts_on(account_id, day):
                intents[getattr(item, self.ITEM_ID)] = item.intent
            day += timedelta(days=1)
        return intents

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


# -- what a post says: its intent and its text ------------------------------------------------------

# What the organisation's posts set out to do (`INTENTS`, the classifier's own list). Every post and
# ad creative of the world has one, its ground truth (`Message.intent`, `PlatformWorld.true_intents`),
# drawn with its text.

# The world's model of what content earns: a post's shares (reposts on X) and saves (bookmarks on X)
# are its format's usual counts times its intent's factor; reach, impressions, likes, comments and
# clicks do not depend on the intent. So within a platform and format, a helpful post earns
# SHARE_EFFECT["helpful"] / SHARE_EFFECT["promotional"] = 2.0 times the shares per impression of a
# promotional post, and 2.5 times the saves: what mart_content_performance must recover.
SHARE_EFFECT: Mapping[str, float] = {
    "helpful": 1.6,
    "patient_story": 1.4,
    "community": 1.0,
    "event": 1.0,
    "recruiting": 0.9,
    "promotional": 0.8,
}
SAVE_EFFECT: Mapping[str, float] = {
    "helpful": 2.0,
    "patient_story": 1.2,
    "community": 0.9,
    "event": 1.1,
    "recruiting": 0.8,
    "promotional": 0.8,
}


def true_ratio(effect: Mapping[str, float] = SHARE_EFFECT) -> float:
    """Helpful over promotional: the world's true ratio of shares (or saves) per impression."""
    return effect["helpful"] / effect["promotional"]


# How often a post has each intent (weights in INTENTS order): by the campaign objective behind it,
# or "" for a post that promotes no campaign.
_INTENT_ODDS: Mapping[str, tuple[int, ...]] = {
    "flu_shot_drive": (35, 5, 5, 15, 0, 40),
    "service_line_growth": (30, 20, 5, 5, 0, 40),
    "new_clinic": (10, 5, 25, 15, 0, 45),
    "community_health": (30, 5, 20, 40, 0, 5),
    "": (34, 14, 24, 8, 14, 6),
}


@dataclass(frozen=True)
class Message:
    intent: str
    text: str


def draw_message(rng: random.Random, campaign: Campaign | None, topic: str = "") -> Message:
    """A post's intent and text: a campaign's by its objective and service line, else one of the
    organisation's everyday posts (`topic` picks an account's own, e.g. "pediatrics")."""
    objective = campaign.objective if campaign else ""
    intent = rng.choices(INTENTS, weights=_INTENT_ODDS.get(objective, _INTENT_ODDS[""]))[0]
    keys = (objective, campaign.service_line) if campaign else (topic,)
    pool = next((_TEXTS[(intent, key)] for key in (*keys, "") if (intent, key) in _TEXTS), None)
    return Message(intent, rng.choice(pool or _TEXTS[(intent, "")]))


def draw_title(rng: random.Random, intent: str) -> str:
    """A video's title for its intent (YouTube, LinkedIn video and document posts)."""
    return rng.choice(_TITLES[intent])


_TEXTS: Mapping[tuple[str, str], list[str]] = {
    ("helpful", ""): [
        "Staying hydrated matters in every season: aim for about eight cups of water a day.",
        "Sun safety reminder: use SPF 30 or higher and reapply every two hours when you're outdoors.",
        "A short walk after meals can help keep blood sugar steady. Small steps add up!",
        "5 signs of dehydration to watch for this summer: thirst, dark urine, headache, dizziness, fatigue.",
        "How to read a nutrition label in three steps: serving size first, then sodium and added sugar.",
        "Not sure whether to go to the ER or urgent care? Our nurses explain the difference.",
        "Tips for better sleep from our sleep medicine team: keep a schedule and put the phone away.",
        "What to expect during a colonoscopy, from prep day to going home.",
        "Hand hygiene in 60 seconds: soap, scrub for 20 seconds, rinse, dry. It stops most germs.",
        "Did you know? Stretching every hour at your desk eases back and neck pain.",
        "Headache that won't quit? Here are the warning signs that mean you should get checked.",
        "How to build a first-aid kit for your car, in five items.",
    ],
    ("helpful", "pediatrics"): [
        "Back-to-school checklist: well-child visit, vaccines up to date, and a good night's sleep.",
        "Fever in a toddler? Here's when to call the nurse line and when to come in.",
        "Reading to your baby every day builds language skills for life.",
        "How to choose a car seat that fits your child and your car: tips from our safety technicians.",
    ],
    ("helpful", "flu_shot_drive"): [
        "Flu shots are quick and safe. Our nurses answer the top questions about the vaccine.",
        "Signs of the flu vs a cold: fever and body aches come on fast with the flu.",
        "Why get a flu shot every year? The virus changes, and so does the vaccine.",
        "Tips to stay well this flu season: wash your hands, stay home when sick, get vaccinated.",
    ],
    ("helpful", "cardiology"): [
        "Chest pain, shortness of breath, unusual fatigue: learn the warning signs of heart disease.",
        "Know your numbers: what blood pressure and cholesterol readings mean for your heart.",
        "How to take your blood pressure at home, step by step, from our cardiology nurses.",
        "Heart attack symptoms can look different in women. Here's what to watch for.",
    ],
    ("helpful", "womens_health"): [
        "What to expect in your third trimester, from our Family Birth Center midwives.",
        "Tips for the first weeks of breastfeeding from our lactation consultants.",
        "Signs of preeclampsia every expecting parent should know.",
    ],
    ("helpful", "primary_care"): [
        "What to expect at your annual physical, and how to get the most out of it.",
        "Which screenings do you need at 40, 50 and 65? A quick guide from our primary care team.",
    ],
    ("helpful", "community_health"): [
        "How to lower your blood pressure without medication: less salt, more steps, better sleep.",
        "Living with diabetes? Tips for checking your blood sugar and eating well on a budget.",
    ],
    ("patient_story", ""): [
        "After her stroke, Maria thought she'd never garden again. Six months of rehab later, she's back.",
        '"The nurses treated me like family." Read James\'s story of recovery after surgery.',
        "Meet Ellie, who rang the bell today after her last round of chemotherapy.",
        "Tom's knee replacement got him back on the trail with his grandkids. This is his story.",
        "Thank you to the families who shared their stories during Children's Hospital week.",
    ],
    ("patient_story", "cardiology"): [
        "A patient story: back to the life she loves after cardiac rehab at our Heart & Vascular Center.",
        "Dave felt a pressure in his chest on a morning run. Fast care at our heart center saved his life.",
    ],
    ("patient_story", "womens_health"): [
        "Welcome to the world, little ones! Meet the families who welcomed twins at our Birth Center.",
        'Ana\'s birth story: "Our nurses made the hardest night the happiest one."',
    ],
    ("community", ""): [
        "Thank you to our nurses, who show up every day for our patients and our community.",
        "Congratulations to our Emergency Department team on their national quality award!",
        "Meet our volunteers: more than 300 neighbors giving their time to make every visit a little easier.",
        "Icy roads tomorrow morning? Our emergency departments are open 24/7; clinics may open later.",
        "We're proud to be named one of the region's top workplaces for the third year in a row.",
        "Our research team presented new findings on rural stroke care at this week's national conference.",
        "Behind the scenes with our imaging team and the new MRI suite.",
        "Our therapy dogs made the rounds today. Swipe for the smiles!",
    ],
    ("community", "pediatrics"): [
        "Big smiles in the pediatric unit today thanks to our therapy dogs!",
        "Our Child Life specialists help kids understand their care through play. Meet the team!",
    ],
    ("community", "new_clinic"): [
        "Meet the care team at our new Northside Clinic, your neighbors in primary care.",
        "Our newest clinic is open! Thank you to the Northside neighbors who welcomed us.",
    ],
    ("community", "community_health"): [
        "Our mobile health unit visited five neighborhoods this month. Thank you to our partners.",
        "Cedar Valley Health is investing in community health workers to close gaps in preventive care.",
    ],
    ("event", ""): [
        "Join us Saturday for a free community health fair: screenings, cooking demos and kids' activities.",
        "Blood drive this Thursday, 10am-4pm, in the main lobby. Every donation helps three patients.",
        "Free CPR class for families next Tuesday evening at the Community Center.",
        "Our diabetes support group meets the first Monday of every month, 6pm, in the wellness room.",
    ],
    ("event", "pediatrics"): [
        "Car seat check this weekend: our certified technicians make sure your little one rides safely.",
    ],
    ("event", "flu_shot_drive"): [
        "Drive-through flu shot clinic this Saturday, 8am-noon, at the Northside parking lot.",
        "Flu shot day at the Community Center on Wednesday: free for everyone 6 months and older.",
    ],
    ("event", "community_health"): [
        "Free blood pressure and diabetes screenings this Saturday at the Community Center, 9am-1pm.",
        "Join us at the community health fair: free screenings, healthy cooking demos and kids' activities.",
        "Our mobile health unit visits five neighborhoods this month. See the schedule:",
    ],
    ("event", "new_clinic"): [
        "Open house at the Northside Clinic this Sunday, 1-4pm: tours, snacks and free blood pressure checks.",
    ],
    ("event", "womens_health"): [
        "Childbirth and breastfeeding classes for expecting parents start next month.",
        "Take a virtual tour of our Family Birth Center live on Thursday at 7pm.",
    ],
    ("recruiting", ""): [
        "We're hiring! Join a team that puts patients first in nursing, imaging, pharmacy and more.",
        "Join our nursing team: sign-on bonuses, tuition support and flexible scheduling. See open roles:",
        "Celebrating our graduating nurse residency cohort: welcome to the team!",
        "Career fair for nurses and techs on Wednesday: interviews on the spot. Apply today.",
        "Now hiring medical assistants at our clinics across the valley. Apply online.",
    ],
    ("promotional", ""): [
        "Book your next visit online in under a minute with the MyCedarValley app.",
        "Same-day appointments are available at our clinics. Call today to schedule.",
        "Sports physicals for $25 this month only. Book now:",
        "Save 20% off teeth whitening at our dental clinic through Friday.",
        "Virtual visits are just $49. Schedule yours today:",
    ],
    ("promotional", "pediatrics"): [
        "Schedule your child's well-child visit today: evening appointments available.",
    ],
    ("promotional", "flu_shot_drive"): [
        "It's not too late to get your flu shot! Book an appointment at any clinic today:",
        "Protect the people you love this winter: book your flu shot in two minutes.",
        "Flu shots are covered by most insurance plans. Call today to schedule yours:",
        "Walk-in flu shots all week at our clinics, or book ahead online:",
    ],
    ("promotional", "cardiology"): [
        "Know your numbers: schedule a heart screening with our cardiology team.",
        "Heart screenings for just $99 this month. Book now:",
        "Now seeing patients in two locations: book a visit with our cardiologists today.",
    ],
    ("promotional", "womens_health"): [
        "Reserve your spot for a tour of our Family Birth Center. Book today:",
        "Schedule your mammogram today: same-week appointments available.",
    ],
    ("promotional", "new_clinic"): [
        "Our newest clinic is open! Book your first visit:",
        "Same-day appointments, lab services and primary care for the whole family. Call today to book.",
        "Evening and Saturday hours are here at our new neighborhood clinic. Schedule now:",
    ],
    ("promotional", "community_health"): [
        "Get a full wellness screening package for $79. Book your spot online:",
    ],
}

_TITLES: Mapping[str, list[str]] = {
    "helpful": [
        "What to Expect During a Colonoscopy",
        "Hand Hygiene in 60 Seconds",
        "5 Signs of Dehydration",
        "Ask a Nurse: When to Go to the ER vs Urgent Care",
        "How to Read a Nutrition Label",
        "Stretches for Desk Workers",
        "Sleep Tips From Our Sleep Medicine Team",
        "Flu Shots: Your Questions Answered",
    ],
    "patient_story": [
        "A Patient Story: Back to the Life She Loves",
        "Ringing the Bell: Ellie's Last Chemo",
        "Back on the Trail After Knee Surgery",
    ],
    "community": [
        "Meet Our Volunteers",
        "A Day in the Life of an ICU Nurse",
        "Meet Our Care Team",
        "Behind the Scenes in the New MRI Suite",
    ],
    "event": [
        "Free Health Screenings This Saturday",
        "Highlights From the Community Health Fair",
        "Live: Family Birth Center Virtual Tour",
    ],
    "recruiting": [
        "Why Nurses Love Working at Cedar Valley",
        "Join Our Team: Careers in Imaging",
    ],
    "promotional": [
        "Walk-In Flu Shots at Every Cedar Valley Clinic",
        "Same-Day Appointments, Close to Home",
        "Book a Heart Screening Today",
        "Welcome to the Northside Clinic: Book Your First Visit",
    ],
}
