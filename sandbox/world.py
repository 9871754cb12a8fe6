"""Cedar Valley Health's Facebook presence, as a seeded and deterministic model.

Every value is a pure function of (seed, page, day), computed on demand, so any date range from
the world's start onwards can be asked for and two worlds with the same seed agree exactly. The
sandbox server answers the Graph API from it, and tests use the same methods as ground truth.

Post lifetime metrics grow with the post's age along a saturating curve towards a per-post final
value (most of it within 2-3 days, the rest over about two weeks), so a later snapshot is never
lower than an earlier one. Page daily insights are built from the posts' growth within each local
day plus the page's own baseline traffic, with weekly seasonality."""

from __future__ import annotations

import csv
import math
import random
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sandbox.media_plan import CAMPAIGNS_CSV

TIMEZONE = "America/Chicago"
WORLD_START = date(2023, 11, 1)

# Graph metric names as of the November 2025 renames. Anything else (page_impressions,
# post_impressions, page_fans, ...) is rejected with error code 100, as the real API does.
PAGE_DAY_METRICS: Mapping[str, tuple[str, str]] = {
    "page_media_view": (
        "Media views",
        "The number of times your Page's content was played or displayed.",
    ),
    "page_total_media_view_unique": (
        "Viewers",
        "The number of people who saw any of your Page's content at least once.",
    ),
    "page_post_engagements": (
        "Post engagements",
        "The number of times people engaged with your posts through reactions, comments, shares and clicks.",
    ),
    "page_daily_follows_unique": (
        "Daily new follows (unique)",
        "The number of people who started following your Page.",
    ),
    "page_daily_unfollows_unique": (
        "Daily unfollows (unique)",
        "The number of people who stopped following your Page.",
    ),
    "page_video_views": (
        "Daily total video views",
        "The number of times your Page's videos played for at least 3 seconds.",
    ),
    "page_views_total": (
        "Daily total Page views",
        "The number of times your Page's profile was viewed.",
    ),
    "page_follows": (
        "Lifetime total follows",
        "The total number of people who follow your Page.",
    ),
}
POST_LIFETIME_METRICS: Mapping[str, tuple[str, str]] = {
    "post_media_view": (
        "Media views",
        "The number of times your post was played or displayed.",
    ),
    "post_total_media_view_unique": (
        "Viewers",
        "The number of people who saw your post at least once.",
    ),
    "post_clicks": (
        "Post clicks",
        "The number of times people clicked anywhere in your post.",
    ),
    "post_video_views": (
        "Lifetime post total video views",
        "The number of times your video played for at least 3 seconds (0 for posts without video).",
    ),
}
# Counts the Graph API gives as post fields (summaries), not as insights metrics.
POST_FIELD_COUNTS = ("reactions", "comments", "shares")

# A post reaches its final lifetime values after this long; before, the curve below applies.
MATURE_HOURS = 16 * 24
_FAST_HOURS = 14
_FAST_SHARE = 0.86

# Post ids are "{page_id}_{number}"; the number encodes the day and the post's rank that day, so
# the server can find a post from its id and number order equals publishing order.
_POST_NUMBER_BASE = 122_100_000_000_000_000
_POSTS_PER_DAY_SLOTS = 100

WEEKDAY_FACTOR = (1.05, 1.08, 1.05, 1.0, 0.95, 0.82, 0.85)  # Monday first
_POSTING_HOURS = {
    7: 2,
    8: 5,
    9: 6,
    10: 5,
    11: 4,
    12: 6,
    13: 4,
    14: 3,
    15: 3,
    16: 4,
    17: 5,
    18: 6,
    19: 5,
    20: 3,
}


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    objective: str
    service_line: str


@dataclass(frozen=True)
class Page:
    id: str
    name: str
    username: str
    category: str
    website: str
    audience: int  # people a typical post can reach; drives post reach
    followers_at_start: int
    daily_follows: float
    daily_unfollows: float
    pediatric: bool = False
    # Relative chance that a tagged post promotes a campaign of this service line.
    service_line_weights: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Post:
    id: str
    page_id: str
    number: int
    created_time: datetime  # UTC, whole minutes
    message: str | None
    permalink_url: str
    link: str | None
    campaign_id: str | None
    status_type: str
    final: Mapping[str, int]  # lifetime values once the post is mature

    @property
    def is_video(self) -> bool:
        return self.status_type == "added_video"


def load_campaigns() -> list[Campaign]:
    """The organisation's campaign list (the dbt seed), so that tagged posts use real campaign ids."""
    with CAMPAIGNS_CSV.open(encoding="utf-8", newline="") as handle:
        return [
            Campaign(row["campaign_id"], row["campaign_name"], row["objective"], row["service_line"])
            for row in csv.DictReader(handle)
        ]


def lifetime_fraction(age: timedelta) -> float:
    """Share of a post's final lifetime value reached at `age`: fast growth over the first day or
    two, a slow tail until MATURE_HOURS, monotone and exactly 1 from then on."""
    hours = age.total_seconds() / 3600
    if hours <= 0:
        return 0.0
    if hours >= MATURE_HOURS:
        return 1.0
    fast = 1 - math.exp(-hours / _FAST_HOURS)
    slow = (hours / MATURE_HOURS) ** 0.7
    return _FAST_SHARE * fast + (1 - _FAST_SHARE) * slow


def default_pages(scale: float = 1.0) -> list[Page]:
    return [
        Page(
            id="100200300400501",
            name="Cedar Valley Health",
            username="CedarValleyHealth",
            category="Hospital",
            website="https://www.cedarvalleyhealth.org",
            audience=round(48_000 * scale),
            followers_at_start=round(40_500 * scale),
            daily_follows=14 * scale,
            daily_unfollows=7 * scale,
        ),
        Page(
            id="100200300400502",
            name="Cedar Valley Children's Hospital",
            username="CedarValleyChildrens",
            category="Children's Hospital",
            website="https://www.cedarvalleychildrens.org",
            audience=round(21_000 * scale),
            followers_at_start=round(17_800 * scale),
            daily_follows=6 * scale,
            daily_unfollows=3 * scale,
            pediatric=True,
            service_line_weights={"cardiology": 0.3, "womens_health": 2.0, "community": 2.0},
        ),
    ]


class SeededWorld:
    """What every sandbox world shares: seed, scale, start, timezone, campaigns and seeded streams.

    `rng_namespace` is put between the seed and the parts of every stream's seed string, so each
    platform draws its own streams; None leaves it out."""

    rng_namespace: str | None = None

    def __init__(self, seed: int, scale: float, start: date, campaigns: list[Campaign] | None) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.seed = seed
        self.scale = scale
        self.start = start
        self.tz = ZoneInfo(TIMEZONE)
        self.campaigns = campaigns if campaigns is not None else load_campaigns()

    def _rng(self, *parts: object) -> random.Random:
        # A string seed is hashed with SHA-512, so the stream does not depend on PYTHONHASHSEED.
        prefix = (self.seed,) if self.rng_namespace is None else (self.seed, self.rng_namespace)
        return random.Random(":".join(str(p) for p in (*prefix, *parts)))

    def day_start(self, day: date) -> datetime:
        """Local midnight starting `day`, as an aware datetime."""
        return datetime.combine(day, time(), tzinfo=self.tz)

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()


class SandboxWorld(SeededWorld):
    """The ground truth the sandbox serves. `scale` multiplies posts per day and audience sizes."""

    def __init__(
        self,
        seed: int = 42,
        scale: float = 1.0,
        start: date = WORLD_START,
        campaigns: list[Campaign] | None = None,
        pages: list[Page] | None = None,
    ) -> None:
        super().__init__(seed, scale, start, campaigns)
        self.pages: dict[str, Page] = {p.id: p for p in (pages if pages is not None else default_pages(scale))}
        self._follows_lock = threading.Lock()
        self._follows: dict[str, list[int]] = {}
        # Per-instance caches: the world is immutable, so a value computed once stays right.
        self.posts_on = lru_cache(maxsize=8192)(self._posts_on)
        self._day_totals = lru_cache(maxsize=8192)(self._compute_day_totals)

    # -- time helpers -------------------------------------------------------------------------

    def day_end(self, day: date) -> datetime:
        return self.day_start(day + timedelta(days=1))

    def page(self, page_id: str) -> Page:
        try:
            return self.pages[page_id]
        except KeyError:
            raise KeyError(f"no page {page_id!r} in the sandbox world") from None

    # -- posts --------------------------------------------------------------------------------

    def _posts_on(self, page_id: str, day: date) -> tuple[Post, ...]:
        """The page's posts published on local `day`, oldest first (empty before the world starts)."""
        page = self.page(page_id)
        if day < self.start:
            return ()
        rng = self._rng("posts", page_id, day.isoformat())
        count = max(1, round(rng.choices((1, 2, 3), weights=(35, 45, 20))[0] * self.scale))
        hours = rng.choices(list(_POSTING_HOURS), weights=list(_POSTING_HOURS.values()), k=count)
        local_times = sorted(datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=self.tz) for hour in hours)
        day_index = (day - self.start).days
        return tuple(
            self._make_post(page, day, day_index * _POSTS_PER_DAY_SLOTS + rank, local, rng)
            for rank, local in enumerate(local_times)
        )

    def _make_post(self, page: Page, day: date, serial: int, local: datetime, rng: random.Random) -> Post:
        number = _POST_NUMBER_BASE + serial
        status_type = rng.choices(
            ("added_video", "added_photos", "shared_story", "mobile_status_update"), weights=(25, 40, 25, 10)
        )[0]
        campaign = self._pick_campaign(page, day, rng) if rng.random() < 0.6 else None
        if campaign is not None:
            query = urlencode({"utm_source": "facebook", "utm_medium": "social", "utm_campaign": campaign.id})
            link = f"{page.website}/{campaign.id}?{query}"
            message: str | None = f"{rng.choice(campaign_templates(campaign))} {link}"
        else:
            link = f"{page.website}/news/{day.isoformat()}" if rng.random() < 0.4 else None
            text = rng.choice(_PEDIATRIC_UNTAGGED if page.pediatric else _UNTAGGED)
            message = f"{text} {link}" if link else text
            if link is None and status_type == "added_photos" and rng.random() < 0.15:
                message = None  # a photo posted without a caption: Graph omits the field
        return Post(
            id=f"{page.id}_{number}",
            page_id=page.id,
            number=number,
            created_time=local.astimezone(UTC),
            message=message,
            permalink_url=f"https://www.facebook.com/{page.username}/posts/{number}",
            link=link,
            campaign_id=campaign.id if campaign else None,
            status_type=status_type,
            final=self._final_values(page, status_type == "added_video", link is not None, rng),
        )

    def _pick_campaign(self, page: Page, day: date, rng: random.Random) -> Campaign | None:
        active = [c for c in self.campaigns if campaign_active(c, day)]
        if not active:
            return None
        weights = [page.service_line_weights.get(c.service_line, 1.0) for c in active]
        return rng.choices(active, weights=weights)[0]

    @staticmethod
    def _final_values(page: Page, video: bool, has_link: bool, rng: random.Random) -> dict[str, int]:
        viral = rng.uniform(3, 8) if rng.random() < 0.03 else 1.0
        reach = page.audience * rng.uniform(0.05, 0.25) * (1.3 if video else 1.0) * viral
        views = reach * rng.uniform(1.15, 1.7)
        reactions = reach * rng.uniform(0.012, 0.045)
        return {
            "post_total_media_view_unique": round(reach),
            "post_media_view": round(views),
            "reactions": round(reactions),
            "comments": round(reactions * rng.uniform(0.04, 0.18)),
            "shares": round(reactions * rng.uniform(0.02, 0.14)),
            "post_clicks": round(reach * (rng.uniform(0.01, 0.04) if has_link else rng.uniform(0.002, 0.01))),
            "post_video_views": round(views * rng.uniform(0.25, 0.55)) if video else 0,
        }

    def iter_posts(self, page_id: str, since: datetime, until: datetime, now: datetime) -> Iterator[Post]:
        """Posts created in [since, until) and not after `now`, newest first."""
        until = min(until, now + timedelta(microseconds=1))
        first = max(self.local_day(since), self.start)
        day = self.local_day(until)
        while day >= first:
            for post in reversed(self.posts_on(page_id, day)):
                if since <= post.created_time < until:
                    yield post
            day -= timedelta(days=1)

    def posts(self, page_id: str, start_day: date, end_day: date, now: datetime) -> list[Post]:
        """Posts published on local days start_day..end_day (inclusive) that exist at `now`, oldest first."""
        posts = self.iter_posts(page_id, self.day_start(start_day), self.day_end(end_day), now)
        return list(reversed(list(posts)))

    def post(self, post_id: str, now: datetime) -> Post | None:
        """The post with this id, if it exists at `now`."""
        page_id, _, number_text = post_id.partition("_")
        if page_id not in self.pages or not number_text.isdigit():
            return None
        serial = int(number_text) - _POST_NUMBER_BASE
        if serial < 0:
            return None
        day_index, rank = divmod(serial, _POSTS_PER_DAY_SLOTS)
        todays = self.posts_on(page_id, self.start + timedelta(days=day_index))
        if rank >= len(todays) or todays[rank].created_time > now:
            return None
        return todays[rank]

    def post_metrics(self, post: Post, at: datetime) -> dict[str, int]:
        """Lifetime values of every post metric (insights and field counts) as seen at `at`."""
        fraction = lifetime_fraction(at - post.created_time)
        return {name: int(final * fraction) for name, final in post.final.items()}

    # -- page insights ------------------------------------------------------------------------

    def page_insight(self, page_id: str, metric: str, day: date) -> int:
        """The page's value of a daily insights metric for local `day`."""
        if metric not in PAGE_DAY_METRICS:
            raise KeyError(f"{metric!r} is not a valid page insights metric")
        if metric == "page_follows":
            return self._page_follows(page_id, day)
        return self._day_totals(page_id, day)[metric]

    def _compute_day_totals(self, page_id: str, day: date) -> dict[str, int]:
        page = self.page(page_id)
        start, end = self.day_start(day), self.day_end(day)
        growth = dict.fromkeys(POST_LIFETIME_METRICS.keys() | set(POST_FIELD_COUNTS), 0)
        for post in self.iter_posts(page_id, start - timedelta(hours=MATURE_HOURS), end, end):
            before, after = self.post_metrics(post, start), self.post_metrics(post, end)
            for name in growth:
                growth[name] += after[name] - before[name]
        rng = self._rng("page-day", page_id, day.isoformat())
        weekday = WEEKDAY_FACTOR[day.weekday()]
        baseline_views = page.audience * 0.06 * weekday * rng.uniform(0.85, 1.15)
        media_views = growth["post_media_view"] + round(baseline_views)
        return {
            "page_media_view": media_views,
            "page_total_media_view_unique": round(media_views * rng.uniform(0.5, 0.68)),
            "page_post_engagements": sum(growth[n] for n in ("reactions", "comments", "shares", "post_clicks")),
            "page_video_views": growth["post_video_views"] + round(baseline_views * 0.05),
            "page_views_total": round(page.audience * 0.005 * weekday * rng.uniform(0.8, 1.2)),
            "page_daily_follows_unique": round(page.daily_follows * weekday * rng.uniform(0.6, 1.4)),
            "page_daily_unfollows_unique": round(page.daily_unfollows * rng.uniform(0.5, 1.5)),
        }

    def _page_follows(self, page_id: str, day: date) -> int:
        """Followers at the end of `day`: the start count plus every day's net follows since."""
        page = self.page(page_id)
        if day < self.start:
            return page.followers_at_start
        index = (day - self.start).days
        with self._follows_lock:
            running = self._follows.setdefault(page_id, [])
            while len(running) <= index:
                current = self.start + timedelta(days=len(running))
                totals = self._day_totals(page_id, current)
                previous = running[-1] if running else page.followers_at_start
                running.append(previous + totals["page_daily_follows_unique"] - totals["page_daily_unfollows_unique"])
            return running[index]

    def followers_count(self, page_id: str, now: datetime) -> int:
        """Followers as the page's `followers_count` field shows them: at the end of the last full day."""
        return self._page_follows(page_id, self.local_day(now) - timedelta(days=1))

    def fan_count(self, page_id: str, now: datetime) -> int:
        """Page likes: a little below followers, as on most pages."""
        return round(self.followers_count(page_id, now) * 0.94)


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

_UNTAGGED = [
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

_PEDIATRIC_UNTAGGED = [
    "Big smiles in the pediatric unit today thanks to our therapy dogs!",
    "Back-to-school checklist: well-child visit, vaccines up to date, and a good night's sleep.",
    "Car seat check this weekend: our certified technicians make sure your little one rides safely.",
    "Fever in a toddler? Here's when to call the nurse line and when to come in.",
    "Our Child Life specialists help kids understand their care through play. Meet the team!",
    "Reading to your baby every day builds language skills for life.",
    "Thank you to the families who shared their stories during Children's Hospital week.",
]
