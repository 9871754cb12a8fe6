"""The demo's employee-advocacy program: Cedar Valley Health's employees sharing the organisation's
content on their own social networks, and the platform's admin exports as marketing ops would drop
them in an inbox, seeded and deterministic (same `as_of`, seed and scale, same bytes).

**The vendor's shape.** The exports follow EveryoneSocial's admin analytics downloads (CSV, one
header row, snake_case column names):

- the shares report, Admin > Analytics > Shares > Download Report (EveryoneSocial Help Center,
  "Review Share Analytics", https://help.everyonesocial.app/hc/en-us/articles/7086441844247). The
  page documents the dashboard's fields (post title, date shared, shared by, approved by, blank
  when approval is automated, shares, clicks, engagements, branded) and names the download's
  columns as `content_id` and `title` first; the list of the per-share download's remaining
  columns was not in the material available to us. Those columns here (`share_id`, `shared_at`,
  `network`, `user_*`, the links, `reach`, `reactions`, `comments`, `reshares`) are modelled on the
  documented fields, spelled the same way, and on the per-share metrics of Dynamic Signal's
  downloads (Summary and Source reports, https://support.dynamicsignal.com/hc/en-us/articles/4415592313367:
  impressions as potential views, clicks, likes, comments, re-shares), the closest documented
  shape.
- the users report, Admin > Analytics > Users, its External Activity download ("Review User
  Analytics", https://help.everyonesocial.app/hc/en-us/articles/11915225326487, and "Active User
  Overview", .../articles/9430492443287, which names its `user_status` column and the value
  `Active`): name, type (role), created on, onboarded, last active, reach (total connections of
  the person's connected networks), posts, shares, clicks, by department and location. `email`,
  `user_id` and `deactivated_on` are modelled.

Both files carry names and work emails, as the real exports do (the shares report: the sharer and
the approver): whatever lands them must pseudonymise them first. `employee_identities` lists every
name and email the world can write, for the privacy tests. All data here is invented.

**The world's rules** (ground truth; `team_days`, `team_period` and the `AdvocacyWorld` methods
are what tests check against):

- The program launched on `PROGRAM_LAUNCH`. About 120 employees at scale 1 (`TEAMS`, each size
  times `scale`, at least 1) enrol: 55% in the launch wave (its first six weeks), the rest evenly
  over the following three years, so a later `as_of` sees more of them; marketing, who run the
  program, enrol in its first week. 12% of the others opt out, 45 to 720 days after enrolling; an
  employee is opted in on the days from `enrolled_on` up to the day before `opted_out_on`, and
  shares only then. Foundation (4) and facilities (3) have fewer than 5 advocates at scale 1.
- Each employee connects each network with fixed odds (LinkedIn 85%, Facebook 45%, X 20%,
  Instagram 15%); 10% connect none and are not onboarded (reach 0, never share). Connections are
  log-normal (LinkedIn median 420, times 1.4 for physicians, 3 for leadership), capped where the
  network caps them (LinkedIn 30,000, Facebook 5,000), and grow 3-12% a year from enrolment; a
  share's `reach` is the sharer's connections on that network that day.
- Half of the onboarded never share. The others share at a Pareto-distributed weekly rate
  (shape 1.2, times a team factor: marketing 2.5, leadership 1.8, facilities 0.5...; at most 14 a
  week), Poisson per day, times the world's weekday factor: about 5 shares a day at scale 1. So
  the top 10% of the employees opted in during a 120-day window make at least half of its shares
  (seed 42, scale 1, the 120 days to 2026-11-19: 57%; seeds 1 to 7: 52-70%), and about half of
  them share nothing in it.
- Content: of the organisation's LinkedIn posts and main Facebook page posts that link to the
  website, 70% of the campaign posts and 30% of the others are curated from the company feeds,
  approved automatically; its `linked_post_id` is the post's id in those sandboxes (a LinkedIn URN, a
  Facebook `<page id>_<number>`) and the export names it by its permalink (`original_post_url`).
  On a third of weekdays a marketing admin adds an item by hand (careers, foundation, news, a
  third-party health article: unbranded), approved by another admin. An item goes out in the next
  morning's digest: it is shared from the day after it was offered, for 14 days, fresher items
  more (weight e^(-age/3)), campaign items 1.5 times as often. Campaign ids are those of the
  campaigns seed (`sandbox.world.load_campaigns`), as the platform worlds tag their posts.
- Per share (final values): clicks = reach x click rate (LinkedIn 0.4-1.4%, Facebook 0.2-0.9%,
  X 0.1-0.6%; Instagram 0: caption links are not clickable), 1.3 times more on campaign content;
  reactions = reach x 0.5-9% by network; comments 5-15% and reshares 2-10% of the reactions;
  `engagements` = reactions + comments + reshares. Counts grow after the share along
  `sandbox.world.lifetime_fraction`; an export shows them as they are at its instant, the end of
  the local day `as_of`.
- Links to the organisation's website carry the platform's UTM tags: `utm_source` the network,
  `utm_medium=advocacy`, `utm_campaign` the content's campaign (none for untagged content) and
  `utm_content=<team code>_<content id>` (`TEAMS`' codes). Never a person: no employee id, name
  or email is in a shared link. Third-party links carry none.
- Shares are drawn per local day (America/Chicago); `shared_at` is UTC, so a share made in the
  evening is on the next UTC day. The shares report covers the `HISTORY_DAYS` local days up to
  and including `as_of`; the users report lists everyone in the workspace on any of those days,
  with their shares, clicks and posts (content added by hand) over them: `user_status` is
  Deactivated once opted out, else Active when last active in the last 30 days (the vendor's
  definition), else Inactive; `type` is Admin for marketing, User for everyone else.

**The web sessions advocates' clicks bring.** Every click on a tagged link (the organisation's
website) is one web session, arriving when the click is made, under the link's UTM tags: session
source the network, medium `advocacy`, campaign the content's campaign (`(not set)` without one)
and manual ad content the link's `utm_content`. The clicks of local day d are the share's clicks
at the end of d less its clicks at the end of the day before (`Share.metrics_at`), so the sessions
of a share's tags summed over days up to `as_of` are the clicks the export of `as_of` shows, and
its sessions on a day are never negative (`AdvocacyWorld.sessions_on`, `team_sessions`). Clicks on
third-party links and on Instagram (none) bring no session. What those sessions go on to do
(engaged sessions, key events) is `sandbox.conversions`' (`ADVOCACY_WEB`): the GA4 sandbox reports
them with every other session."""

from __future__ import annotations

import csv
import io
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sandbox.facebook import FacebookWorld
from sandbox.linkedin import LinkedInWorld
from sandbox.media_plan import write_inbox_file
from sandbox.world import MATURE_HOURS, WEEKDAY_FACTOR, SeededWorld, lifetime_fraction, seeded_ids

SHARES_FILE = "cedar_valley_advocacy_shares.csv"
USERS_FILE = "cedar_valley_advocacy_users.csv"
# The platform worlds' default seed: content is linked to the posts of the LinkedIn and Facebook
# sandboxes of the same seed and scale.
DEFAULT_SEED = 42
HISTORY_DAYS = 120
PROGRAM_LAUNCH = date(2024, 3, 4)
WEBSITE = "https://www.cedarvalleyhealth.org"
EMAIL_DOMAIN = "cedarvalleyhealth.org"
UTM_MEDIUM = "advocacy"
# What GA4 shows for a tag a link does not carry (content without a campaign).
NOT_SET = "(not set)"
# A share's clicks all come by MATURE_HOURS after it: from its local day over so many days after.
CLICK_DAYS = math.ceil(MATURE_HOURS / 24) + 1

SHARE_COLUMNS = [
    "share_id",
    "shared_at",
    "content_id",
    "title",
    "content_url",
    "shared_url",
    "original_post_url",
    "network",
    "user_id",
    "user_name",
    "user_email",
    "department",
    "location",
    "approved_by",
    "branded",
    "reach",
    "clicks",
    "reactions",
    "comments",
    "reshares",
    "engagements",
]
USER_COLUMNS = [
    "user_id",
    "name",
    "email",
    "type",
    "department",
    "location",
    "created_on",
    "onboarded",
    "last_active",
    "user_status",
    "deactivated_on",
    "reach",
    "posts",
    "shares",
    "clicks",
]
SHARE_METRICS = ("clicks", "reactions", "comments", "reshares")


@dataclass(frozen=True)
class Team:
    code: str  # what utm_content carries
    department: str  # what the exports show
    size: int  # employees enrolled over the program's life, at scale 1
    share_factor: float  # how much its sharers share, against 1
    connections_factor: float = 1.0  # how much bigger its people's networks are


TEAMS = (
    Team("nur", "Nursing", 41, 1.0),
    Team("md", "Physicians & APPs", 22, 0.7, 1.4),
    Team("img", "Imaging", 10, 0.8),
    Team("mkt", "Marketing & Communications", 10, 2.5, 1.5),
    Team("hr", "Human Resources", 9, 1.3, 1.2),
    Team("rx", "Pharmacy", 8, 0.8),
    Team("px", "Patient Experience", 7, 1.2),
    Team("exec", "Leadership", 6, 1.8, 3.0),
    # Small teams: a per-team figure of fewer than 5 people is about individuals.
    Team("fdn", "Foundation", 4, 1.6, 1.6),
    Team("fac", "Facilities", 3, 0.5),
)
_TEAMS = {team.code: team for team in TEAMS}
MARKETING = "mkt"

LOCATIONS = {
    "Cedar Valley Medical Center": 55,
    "Cedar Valley Children's Hospital": 20,
    "Northside Clinic": 15,
    "Riverside Outpatient Center": 10,
}


@dataclass(frozen=True)
class Network:
    connect_odds: float  # share of employees who connect it
    median_connections: float
    sigma: float  # of the log-normal connections
    cap: int  # the most connections the network allows
    share_weight: float  # how often a share goes there, among the sharer's networks
    click_rate: tuple[float, float]
    reaction_rate: tuple[float, float]


NETWORKS = {
    "linkedin": Network(0.85, 420, 1.0, 30_000, 6.0, (0.004, 0.014), (0.015, 0.05)),
    "facebook": Network(0.45, 320, 0.8, 5_000, 3.0, (0.002, 0.009), (0.02, 0.06)),
    "x": Network(0.20, 180, 1.4, 500_000, 1.5, (0.001, 0.006), (0.005, 0.02)),
    # Links in Instagram captions are not clickable: shares there earn reactions only.
    "instagram": Network(0.15, 380, 1.0, 500_000, 0.5, (0.0, 0.0), (0.03, 0.09)),
}
NOT_ONBOARDED = 0.10
NEVER_SHARE = 0.50
OPT_OUT = 0.12
LAUNCH_WAVE = (0.55, 42)  # share of the enrolments, over so many days
LATER_ENROLMENT_DAYS = 1095
PARETO_SHAPE = 1.2
BASE_WEEKLY_SHARES = 0.22
MAX_WEEKLY_SHARES = 14.0
AVAILABLE_DAYS = 14
FRESHNESS_DAYS = 3.0
CAMPAIGN_SHARE_WEIGHT = 1.5
CAMPAIGN_CLICK_LIFT = 1.3
CURATED_ODDS = {"campaign": 0.7, "other": 0.3}
HAND_ADDED_ODDS = 0.35
# When people share (local hours): before work, at lunch and in the evening.
_SHARE_HOURS = {
    6: 3,
    7: 6,
    8: 7,
    9: 5,
    10: 4,
    11: 4,
    12: 7,
    13: 5,
    14: 3,
    15: 3,
    16: 4,
    17: 5,
    18: 5,
    19: 6,
    20: 6,
    21: 4,
}

# Items marketing adds by hand: (title, link, branded). Relative links are on the website.
_HAND_ADDED = (
    ("We're hiring nurses: sign-on bonuses and tuition support", "/careers/nursing", True),
    ("Join our pharmacy team", "/careers/pharmacy", True),
    ("Imaging technologists: see our open roles", "/careers/imaging", True),
    ("Give to the Family Birth Center through the Cedar Valley Health Foundation", "/foundation/give", True),
    ("Cedar Valley Health named one of the region's top workplaces", "/news/top-workplace", True),
    ("Why this season's flu vaccine matters", "https://www.prairiehealthjournal.example/flu-vaccine-season", False),
    ("Five everyday habits for a healthier heart", "https://www.heartwiseliving.example/five-habits", False),
    (
        "What rural hospitals are doing about nurse staffing",
        "https://www.midwestcarenews.example/rural-staffing",
        False,
    ),
)

# Invented names (none of them in the other sandboxes' texts).
_FIRST_NAMES = (
    "Adaeze",
    "Aurelio",
    "Bettina",
    "Caspian",
    "Delphine",
    "Emeric",
    "Fenella",
    "Gideon",
    "Henrike",
    "Ignatius",
    "Jolene",
    "Kasimir",
    "Leocadia",
    "Marisol",
    "Nikolai",
    "Ottoline",
    "Peregrine",
    "Quillon",
    "Rosalind",
    "Severin",
    "Tamsin",
    "Ulrike",
    "Valentin",
    "Wilhelmina",
    "Xiomara",
    "Yannick",
    "Zenobia",
    "Anselm",
    "Briseis",
    "Cordelia",
    "Dashiell",
    "Evangeline",
    "Florian",
    "Gwendolyn",
    "Horatio",
    "Isolde",
    "Jericho",
    "Katarina",
    "Lysander",
    "Mireille",
    "Nahuel",
    "Oriana",
    "Priya",
    "Radomir",
    "Solveig",
    "Thaddeus",
    "Ursula",
    "Vesna",
    "Wendeline",
    "Yusra",
)
_LAST_NAMES = (
    "Abernethy",
    "Baumgartner",
    "Castellanos",
    "Delacroix",
    "Ekwueme",
    "Fairweather",
    "Gallagher",
    "Halvorsen",
    "Iwasaki",
    "Jablonski",
    "Kowalczyk",
    "Lindqvist",
    "Montgomery",
    "Nakashima",
    "Okonkwo",
    "Pemberton",
    "Quintanilla",
    "Rasmussen",
    "Szymanski",
    "Thistlewood",
    "Umberger",
    "Vandersloot",
    "Wojciechowski",
    "Yamamoto",
    "Zielinski",
    "Achterberg",
    "Brannigan",
    "Cavendish",
    "Dragomir",
    "Esterhazy",
    "Fitzgerald",
    "Grabowski",
    "Hollingsworth",
    "Ingebretsen",
    "Jankowska",
    "Kristiansen",
    "Leclair",
    "Mackintosh",
    "Nieuwenhuis",
    "Oyelaran",
    "Pettersson",
    "Ravenscroft",
    "Stavropoulos",
    "Tremblay",
    "Uchenna",
    "Villanueva",
    "Whitlock",
    "Xenakis",
    "Yardley",
    "Zabrowski",
)


@dataclass(frozen=True)
class Employee:
    """One employee in the advocacy platform: identity, team, enrolment and networks."""

    user_id: str  # the vendor's id: "U" and seven digits
    name: str
    email: str
    team: str  # a code of TEAMS
    location: str
    role: str  # the platform's type: Admin (marketing, who run the program) or User
    enrolled_on: date
    opted_out_on: date | None  # the first day no longer opted in
    connections: Mapping[str, int]  # per connected network, at enrolment
    yearly_growth: float  # of the connections
    weekly_shares: float  # while opted in; 0 for someone who never shares

    @property
    def department(self) -> str:
        return _TEAMS[self.team].department

    @property
    def onboarded(self) -> bool:
        return bool(self.connections)

    def opted_in(self, day: date) -> bool:
        return self.enrolled_on <= day and (self.opted_out_on is None or day < self.opted_out_on)

    def connections_on(self, network: str, day: date) -> int:
        """Connections on `network` on `day`: grown since enrolment, never past the network's cap."""
        base = self.connections.get(network, 0)
        years = max(0, (day - self.enrolled_on).days) / 365
        return min(NETWORKS[network].cap, round(base * (1 + self.yearly_growth * years)))

    def reach_on(self, day: date) -> int:
        return sum(self.connections_on(network, day) for network in self.connections)


@dataclass(frozen=True)
class Identity:
    user_id: str
    name: str
    email: str


@dataclass(frozen=True)
class Content:
    """An item offered to advocates; shared from the day after `offered_on` for AVAILABLE_DAYS days."""

    content_id: str  # a UUID, as the platform's content ids
    title: str
    url: str  # where a share links, before the platform's UTM tags
    campaign: str | None  # a campaign id of the campaigns seed
    linked_post_id: str | None  # the organisation's post it was curated from
    original_post_url: str | None  # that post's permalink
    branded: bool
    offered_on: date
    added_by: str | None  # user_id of the admin who added it by hand; None when curated
    approved_by: str | None  # user_id of the admin who approved it; None when automatic


@dataclass(frozen=True)
class Share:
    share_id: str
    user_id: str
    team: str
    content_id: str
    network: str
    shared_at: datetime  # UTC, whole seconds
    reach: int  # the sharer's connections on the network that day
    final: Mapping[str, int]  # SHARE_METRICS once mature

    def metrics_at(self, instant: datetime | None) -> dict[str, int]:
        """SHARE_METRICS as seen at `instant` (None: the final values)."""
        if instant is None:
            return dict(self.final)
        fraction = lifetime_fraction(instant - self.shared_at)
        return {name: round(value * fraction) for name, value in self.final.items()}


@dataclass(frozen=True)
class TeamDay:
    day: date
    team: str
    enrolled_advocates: int  # opted in on the day
    active_advocates: int  # of them, those who shared that day
    shares: int
    reach: int
    clicks: int
    reactions: int
    comments: int
    reshares: int


@dataclass(frozen=True)
class Visits:
    """The web sessions of one local day arriving under one link's tags (GA4's session source,
    medium, campaign name and manual ad content) from the shares of one team."""

    source: str
    medium: str
    campaign: str
    ad_content: str
    team: str
    sessions: int


@dataclass(frozen=True)
class TeamPeriod:
    team: str
    enrolled_at_start: int  # opted in on the period's first day
    enrolled_any_day: int  # opted in on at least one of its days
    active_advocates: int  # who shared at least once in it
    shares: int
    clicks: int


class AdvocacyWorld(SeededWorld):
    """The advocacy program's ground truth: employees, content and shares, each a pure function of
    (seed, scale, day), computed on demand and cached (the world is immutable)."""

    rng_namespace = "advocacy"
    FIRST_DAY = PROGRAM_LAUNCH

    def __init__(self, **world: Any) -> None:
        super().__init__(**world)
        platform_world = {"seed": self.seed, "scale": self.scale}
        self.linkedin = LinkedInWorld(**platform_world)
        self.facebook = FacebookWorld(**platform_world)
        self._linkedin_org = seeded_ids("linkedin")[0]
        self._facebook_page = seeded_ids("facebook")[0]
        self.employees = self._draw_employees()
        self._by_id = {person.user_id: person for person in self.employees}
        self.content_on = lru_cache(maxsize=4096)(self._content_on)
        self.shares_on = lru_cache(maxsize=4096)(self._shares_on)
        self.sessions_on = lru_cache(maxsize=4096)(self._sessions_on)

    # -- employees ----------------------------------------------------------------------------

    def _draw_employees(self) -> tuple[Employee, ...]:
        rng = self._rng("population")
        used_ids: set[str] = set()
        used_names: set[str] = set()
        used_emails: set[str] = set()
        people = []
        for team in TEAMS:
            for _ in range(max(1, round(team.size * self.scale))):
                people.append(self._employee(team, rng, used_ids, used_names, used_emails))
        return tuple(people)

    def _employee(
        self, team: Team, rng: random.Random, used_ids: set[str], used_names: set[str], used_emails: set[str]
    ) -> Employee:
        user_id = _unique(used_ids, lambda: f"U{rng.randrange(1_000_000, 10_000_000)}")
        # Names may repeat in a big workforce, as in a real one; emails never do.
        name = _unique(used_names, lambda: f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}", tries=20)
        local, suffix = name.lower().replace(" ", "."), 1
        email = f"{local}@{EMAIL_DOMAIN}"
        while email in used_emails:
            suffix += 1
            email = f"{local}{suffix}@{EMAIL_DOMAIN}"
        used_emails.add(email)
        if team.code == MARKETING:
            enrolled = PROGRAM_LAUNCH + timedelta(days=rng.randrange(7))
        elif rng.random() < LAUNCH_WAVE[0]:
            enrolled = PROGRAM_LAUNCH + timedelta(days=rng.randrange(LAUNCH_WAVE[1]))
        else:
            enrolled = PROGRAM_LAUNCH + timedelta(days=LAUNCH_WAVE[1] + rng.randrange(LATER_ENROLMENT_DAYS))
        opted_out = None
        if team.code != MARKETING and rng.random() < OPT_OUT:
            opted_out = enrolled + timedelta(days=rng.randint(45, 720))
        connections: dict[str, int] = {}
        if rng.random() >= NOT_ONBOARDED:
            for network, spec in NETWORKS.items():
                if rng.random() < spec.connect_odds:
                    drawn = rng.lognormvariate(math.log(spec.median_connections * team.connections_factor), spec.sigma)
                    connections[network] = max(1, min(spec.cap, round(drawn)))
            if not connections:
                connections["linkedin"] = round(
                    rng.lognormvariate(math.log(NETWORKS["linkedin"].median_connections), 1.0)
                )
        weekly = 0.0
        if connections and rng.random() >= NEVER_SHARE:
            weekly = min(MAX_WEEKLY_SHARES, BASE_WEEKLY_SHARES * team.share_factor * rng.paretovariate(PARETO_SHAPE))
        return Employee(
            user_id=user_id,
            name=name,
            email=email,
            team=team.code,
            location=rng.choices(list(LOCATIONS), weights=list(LOCATIONS.values()))[0],
            role="Admin" if team.code == MARKETING else "User",
            enrolled_on=enrolled,
            opted_out_on=opted_out,
            connections=connections,
            yearly_growth=rng.uniform(0.03, 0.12),
            weekly_shares=weekly,
        )

    def employee(self, user_id: str) -> Employee:
        return self._by_id[user_id]

    # -- content ------------------------------------------------------------------------------

    def _content_on(self, day: date) -> tuple[Content, ...]:
        """Items offered on local `day`: curated from the day's posts, then one added by hand."""
        if day < self.start:
            return ()
        rng = self._rng("content", day.isoformat())
        items = []
        for post in self.linkedin.posts_on(self._linkedin_org, day):
            if post.link is not None and rng.random() < CURATED_ODDS["campaign" if post.campaign_id else "other"]:
                title = post.title or _first_sentence(post.commentary)
                permalink = f"https://www.linkedin.com/feed/update/{post.urn}"
                items.append(_curated(rng, day, title, post.link, post.campaign_id, post.urn, permalink))
        for post in self.facebook.posts_on(self._facebook_page, day):
            if post.link is not None and rng.random() < CURATED_ODDS["campaign" if post.campaign_id else "other"]:
                title = _first_sentence(post.message or "")
                items.append(_curated(rng, day, title, post.link, post.campaign_id, post.id, post.permalink_url))
        admins = [p.user_id for p in self.employees if p.role == "Admin" and p.opted_in(day)]
        if day.weekday() < 5 and admins and rng.random() < HAND_ADDED_ODDS:
            title, link, branded = rng.choice(_HAND_ADDED)
            added_by = rng.choice(admins)
            approvers = [a for a in admins if a != added_by] or [added_by]
            items.append(
                Content(
                    content_id=_uuid(rng),
                    title=title,
                    url=f"{WEBSITE}{link}" if link.startswith("/") else link,
                    campaign=None,
                    linked_post_id=None,
                    original_post_url=None,
                    branded=branded,
                    offered_on=day,
                    added_by=added_by,
                    approved_by=rng.choice(approvers),
                )
            )
        return tuple(items)

    def available_on(self, day: date) -> list[Content]:
        """Items advocates can share on `day`: offered in the AVAILABLE_DAYS days before it."""
        return [item for age in range(1, AVAILABLE_DAYS + 1) for item in self.content_on(day - timedelta(days=age))]

    def content(self, first: date, last: date) -> dict[str, Content]:
        """Every item that can be shared on a day of first..last, by content id."""
        found: dict[str, Content] = {}
        for day in _days(first - timedelta(days=AVAILABLE_DAYS), last):
            for item in self.content_on(day):
                found[item.content_id] = item
        return found

    # -- shares -------------------------------------------------------------------------------

    def _shares_on(self, day: date) -> tuple[Share, ...]:
        """The shares made on local `day`, by time: only by employees opted in that day."""
        available = self.available_on(day)
        if not available:
            return ()
        rng = self._rng("shares", day.isoformat())
        weights = [
            math.exp(-(day - item.offered_on).days / FRESHNESS_DAYS) * (CAMPAIGN_SHARE_WEIGHT if item.campaign else 1)
            for item in available
        ]
        shares = []
        for person in self.employees:
            if person.weekly_shares <= 0 or not person.opted_in(day):
                continue
            count = _poisson(rng, person.weekly_shares / 7 * WEEKDAY_FACTOR[day.weekday()])
            done: set[tuple[str, str]] = set()
            for _ in range(count):
                item = rng.choices(available, weights=weights)[0]
                networks = list(person.connections)
                network = rng.choices(networks, weights=[NETWORKS[n].share_weight for n in networks])[0]
                if (item.content_id, network) in done:
                    continue  # nobody shares the same item to the same network twice in a day
                done.add((item.content_id, network))
                shares.append(self._share(person, item, network, day, rng))
        return tuple(sorted(shares, key=lambda s: (s.shared_at, s.share_id)))

    def _share(self, person: Employee, item: Content, network: str, day: date, rng: random.Random) -> Share:
        hour = rng.choices(list(_SHARE_HOURS), weights=list(_SHARE_HOURS.values()))[0]
        local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=self.tz)
        spec = NETWORKS[network]
        reach = person.connections_on(network, day)
        click_rate = rng.uniform(*spec.click_rate) * (CAMPAIGN_CLICK_LIFT if item.campaign else 1)
        reactions = reach * rng.uniform(*spec.reaction_rate)
        return Share(
            share_id=_uuid(rng),
            user_id=person.user_id,
            team=person.team,
            content_id=item.content_id,
            network=network,
            shared_at=local.astimezone(UTC),
            reach=reach,
            final={
                "clicks": round(reach * click_rate),
                "reactions": round(reactions),
                "comments": round(reactions * rng.uniform(0.05, 0.15)),
                "reshares": round(reactions * rng.uniform(0.02, 0.10)),
            },
        )

    def shares(self, first: date, last: date) -> list[Share]:
        """Shares made on local days first..last (inclusive), by time."""
        return [share for day in _days(first, last) for share in self.shares_on(day)]

    def _sessions_on(self, day: date) -> tuple[Visits, ...]:
        """The sessions of local `day` that shares' clicks bring: each share's clicks made during
        `day` under its link's tags, summed per tags (sorted)."""
        end, before = self.day_end(day), self.day_end(day - timedelta(days=1))
        arrived: dict[tuple[str, ...], int] = defaultdict(int)
        for share_day in _days(day - timedelta(days=CLICK_DAYS), day):
            items = {item.content_id: item for item in self.available_on(share_day)}
            for share in self.shares_on(share_day):
                tags = utm_tags(items[share.content_id], share.network, share.team)
                clicks = share.metrics_at(end)["clicks"] - share.metrics_at(before)["clicks"]
                if tags is None or clicks == 0:
                    continue
                campaign = tags.get("utm_campaign", NOT_SET)
                arrived[(tags["utm_source"], tags["utm_medium"], campaign, tags["utm_content"], share.team)] += clicks
        return tuple(Visits(*key, sessions=count) for key, count in sorted(arrived.items()))

    def export_instant(self, as_of: date) -> datetime:
        """When the export of `as_of` is taken: the end of that local day."""
        return self.day_end(as_of)


# -- what tests and the pipeline's checks read -----------------------------------------------------


def employee_identities(seed: int = DEFAULT_SEED, scale: float = 1.0) -> list[Identity]:
    """Every employee's vendor id, full name and work email: what must never reach the warehouse."""
    return [Identity(p.user_id, p.name, p.email) for p in _world(seed, scale).employees]


def team_days(
    first: date, last: date, seed: int = DEFAULT_SEED, scale: float = 1.0, as_of: date | None = None
) -> list[TeamDay]:
    """Per local day of first..last and team (every team, every day): the advocates opted in, those
    who shared, and their shares' totals as seen by the export of `as_of` (None: final values)."""
    world = _world(seed, scale)
    instant = None if as_of is None else world.export_instant(as_of)
    rows = []
    for day in _days(first, last):
        by_team: dict[str, list[Share]] = defaultdict(list)
        for share in world.shares_on(day):
            by_team[share.team].append(share)
        for team in TEAMS:
            shares = by_team[team.code]
            totals = _totals(shares, instant)
            rows.append(
                TeamDay(
                    day=day,
                    team=team.code,
                    enrolled_advocates=sum(1 for p in world.employees if p.team == team.code and p.opted_in(day)),
                    active_advocates=len({s.user_id for s in shares}),
                    shares=len(shares),
                    reach=sum(s.reach for s in shares),
                    **totals,
                )
            )
    return rows


def team_period(
    first: date, last: date, seed: int = DEFAULT_SEED, scale: float = 1.0, as_of: date | None = None
) -> dict[str, TeamPeriod]:
    """Per team over first..last: advocates opted in on its first day and on any day, those who
    shared, shares and clicks (as seen by the export of `as_of`; None: final values)."""
    world = _world(seed, scale)
    instant = None if as_of is None else world.export_instant(as_of)
    shares = world.shares(first, last)
    periods = {}
    for team in TEAMS:
        people = [p for p in world.employees if p.team == team.code]
        mine = [s for s in shares if s.team == team.code]
        periods[team.code] = TeamPeriod(
            team=team.code,
            enrolled_at_start=sum(1 for p in people if p.opted_in(first)),
            enrolled_any_day=sum(1 for p in people if _in_window(p, first, last)),
            active_advocates=len({s.user_id for s in mine}),
            shares=len(mine),
            clicks=_totals(mine, instant)["clicks"],
        )
    return periods


def team_sessions(first: date, last: date, seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[tuple[date, str], int]:
    """Per local day of first..last and team code: the web sessions its shares' clicks bring that
    day (every team, every day, 0 when none)."""
    world = _world(seed, scale)
    sessions = {(day, team.code): 0 for day in _days(first, last) for team in TEAMS}
    for day in _days(first, last):
        for visits in world.sessions_on(day):
            sessions[(day, visits.team)] += visits.sessions
    return sessions


def advocacy_world(seed: int = DEFAULT_SEED, scale: float = 1.0) -> AdvocacyWorld:
    """The program of the platform worlds of `seed` and `scale` (one per process)."""
    return _world(seed, scale)


def export_window(as_of: date) -> tuple[date, date]:
    """The local days the export of `as_of` covers."""
    return as_of - timedelta(days=HISTORY_DAYS - 1), as_of


def utm_content(team: str, content_id: str) -> str:
    """What a shared link's utm_content carries: the sharer's team and the item, never the person."""
    return f"{team}_{content_id}"


# -- the export --------------------------------------------------------------------------------


def write_advocacy_export(folder: Path, as_of: date, seed: int = DEFAULT_SEED, scale: float = 1.0) -> list[Path]:
    """Write the shares report and the users report of `as_of` into `folder` (each atomically) and
    return their paths."""
    shares_text, users_text = export_csvs(as_of, seed, scale)
    return [write_inbox_file(folder, SHARES_FILE, shares_text), write_inbox_file(folder, USERS_FILE, users_text)]


# A pure function of its arguments; a process that stages the inbox again for the same day writes
# the text it already has.
@cache
def export_csvs(as_of: date, seed: int = DEFAULT_SEED, scale: float = 1.0) -> tuple[str, str]:
    world = _world(seed, scale)
    first, last = export_window(as_of)
    instant = world.export_instant(as_of)
    shares = world.shares(first, last)
    content = world.content(first, last)
    return _shares_csv(world, shares, content, instant), _users_csv(world, shares, first, last, instant)


def _shares_csv(world: AdvocacyWorld, shares: list[Share], content: dict[str, Content], instant: datetime) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SHARE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for share in shares:
        person, item = world.employee(share.user_id), content[share.content_id]
        metrics = share.metrics_at(instant)
        writer.writerow(
            {
                "share_id": share.share_id,
                "shared_at": share.shared_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "content_id": item.content_id,
                "title": item.title,
                "content_url": item.url,
                "shared_url": shared_url(item, share.network, share.team),
                "original_post_url": item.original_post_url or "",
                "network": share.network,
                "user_id": person.user_id,
                "user_name": person.name,
                "user_email": person.email,
                "department": person.department,
                "location": person.location,
                "approved_by": world.employee(item.approved_by).name if item.approved_by else "",
                "branded": str(item.branded),
                "reach": share.reach,
                **metrics,
                "engagements": metrics["reactions"] + metrics["comments"] + metrics["reshares"],
            }
        )
    return buffer.getvalue()


def _users_csv(world: AdvocacyWorld, shares: list[Share], first: date, last: date, instant: datetime) -> str:
    by_user: dict[str, list[Share]] = defaultdict(list)
    for share in shares:
        by_user[share.user_id].append(share)
    posts: dict[str, list[date]] = defaultdict(list)
    for day in _days(first, last):
        for item in world.content_on(day):
            if item.added_by is not None:
                posts[item.added_by].append(day)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=USER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    in_workspace = [p for p in world.employees if _in_window(p, first, last)]
    for person in sorted(in_workspace, key=lambda p: (p.name, p.user_id)):
        mine = by_user[person.user_id]
        deactivated = person.opted_out_on is not None and person.opted_out_on <= last
        seen_on = person.opted_out_on - timedelta(days=1) if deactivated else last
        active_days = [person.enrolled_on, *(world.local_day(s.shared_at) for s in mine), *posts[person.user_id]]
        last_active = max(active_days)
        status = "Deactivated" if deactivated else ("Active" if (last - last_active).days < 30 else "Inactive")
        writer.writerow(
            {
                "user_id": person.user_id,
                "name": person.name,
                "email": person.email,
                "type": person.role,
                "department": person.department,
                "location": person.location,
                "created_on": person.enrolled_on.isoformat(),
                "onboarded": str(person.onboarded),
                "last_active": last_active.isoformat(),
                "user_status": status,
                "deactivated_on": person.opted_out_on.isoformat() if deactivated else "",
                "reach": person.reach_on(seen_on),
                "posts": len(posts[person.user_id]),
                "shares": len(mine),
                "clicks": _totals(mine, instant)["clicks"],
            }
        )
    return buffer.getvalue()


def utm_tags(item: Content, network: str, team: str) -> dict[str, str] | None:
    """The platform's UTM tags on a share's link: only links to the organisation's own website
    carry them (None for a third-party link)."""
    if not item.url.startswith(WEBSITE):
        return None
    tags = {"utm_source": network, "utm_medium": UTM_MEDIUM}
    if item.campaign:
        tags["utm_campaign"] = item.campaign
    tags["utm_content"] = utm_content(team, item.content_id)
    return tags


def shared_url(item: Content, network: str, team: str) -> str:
    """The link a share carries: the item's, with its UTM tags (`utm_tags`) when it has any."""
    tags = utm_tags(item, network, team)
    if tags is None:
        return item.url
    parts = urlsplit(item.url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(tags), ""))


# -- helpers -----------------------------------------------------------------------------------


@cache
def _world(seed: int, scale: float) -> AdvocacyWorld:
    return AdvocacyWorld(seed=seed, scale=scale)


def _curated(
    rng: random.Random,
    day: date,
    title: str,
    link: str,
    campaign: str | None,
    post_id: str,
    permalink: str,
) -> Content:
    """An item curated from one of the organisation's posts: the post's link without its own UTM tags."""
    parts = urlsplit(link)
    return Content(
        content_id=_uuid(rng),
        title=title,
        url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        campaign=campaign,
        linked_post_id=post_id,
        original_post_url=permalink,
        branded=True,
        offered_on=day,
        added_by=None,
        approved_by=None,
    )


def _in_window(person: Employee, first: date, last: date) -> bool:
    """Opted in on at least one day of first..last."""
    return person.enrolled_on <= last and (person.opted_out_on is None or person.opted_out_on > first)


def _totals(shares: Iterable[Share], instant: datetime | None) -> dict[str, int]:
    totals = dict.fromkeys(SHARE_METRICS, 0)
    for share in shares:
        for name, value in share.metrics_at(instant).items():
            totals[name] += value
    return totals


def _days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _unique(used: set[str], draw: Callable[[], str], tries: int = 1000) -> str:
    """A value of `draw()` not in `used` (after `tries` draws, the last one), added to `used`."""
    value = draw()
    for _ in range(tries - 1):
        if value not in used:
            break
        value = draw()
    used.add(value)
    return value


def _first_sentence(text: str) -> str:
    """A content title from a post's text: its first sentence, without links, at most 90 characters."""
    words = [w for w in text.split() if not w.startswith(("http://", "https://", "{hashtag"))]
    sentence = " ".join(words)
    for end in (". ", "! ", "? ", ": "):
        if end in sentence:
            sentence = sentence.split(end, 1)[0] + end.strip()
            break
    return sentence if len(sentence) <= 90 else sentence[:87].rstrip() + "..."
