"""What each channel returns: Cedar Valley Health's first-party conversions, the sandbox's ground truth.

Every day's numbers are a pure function of (seed, scale, plan seed, effects, untagged shares, day),
cached per world, so the GA4 sandbox (`sandbox.ga4`), the call log (`sandbox.call_tracking`) and a
test or an analysis that checks an estimate all see the same world. Only aggregate counts exist: no
person, user, client or session id.

The model, per day and channel x organisation campaign (traditional media: per placement):

    x(d)      the driver: paid social spend in dollars (`MetaAdsWorld.campaign_spend`); organic
              posts tagged with the campaign on each platform (Facebook, Instagram, X, YouTube,
              LinkedIn: every post a platform world publishes that day carries its campaign id);
              gross impressions of a media-plan placement in thousands (TV and radio GRPs x
              universe / 100 and out-of-home audited impressions spread evenly over the flight,
              print circulation x readers per copy on the issue day, direct-mail pieces on the
              drop day)
    A(d)      carry-over (geometric adstock): sum over k of decay^k x(d - k), for k below the
              channel's `carryover_days` (where decay^k falls under 1%)
    R(d)      diminishing returns (Hill saturation): A^shape / (A^shape + half_saturation^shape),
              between 0 and 1
    sessions  max_sessions x R; engaged sessions engaged_rate x sessions; key events
              key_event_rate x sessions, split between `appointment_request` and
              `class_registration` by the campaign's `EVENT_MIX`
    calls     (traditional only) max_calls x R to the placement's tracking number, of which
              qualified_share are qualified

plus a baseline that no tracked channel causes (`BASELINE`: search and direct visits, campaign
"(not set)"), its level times the weekday factor. `CHANNEL_EFFECTS` and `BASELINE` are the
parameters at scale 1; `scale` multiplies the baseline and the social channels' `max_sessions` and
`half_saturation` (their audiences and drivers grow with the worlds' scale), so their response
curves keep their shape. Traditional media do not scale: the media plan is the same at any scale.
A world can be given other true effects (`ConversionsWorld(effects=...)`): `without_effect("radio")`
is the default world in which radio changes nothing.

Sessions carry the UTM tags the worlds already put on their links: organic posts
`utm_source=<platform>&utm_medium=social`, ads `utm_source=facebook&utm_medium=paid_social`, a
placement's vanity URL `utm_source=<vanity host>&utm_medium=<channel>`, all with
`utm_campaign=<campaign id>`. Not all of a channel's effect comes through its tagged link
(`UNTAGGED`): people who saw a TV spot, heard a radio ad, passed a billboard, read an ad or a
mailer search for the organisation or type its address; links shared from a post or copied from an
app lose their tags; people who saw an organic post and later clicked an ad arrive through the ad.
Of each channel's web effect (sessions, engaged sessions and key events alike) these shares arrive
under other tags, the rest under the channel's own:

    channel      untagged  google / organic   (direct) / (none)   facebook / paid_social
                           campaign (not set) campaign (not set)  the post's campaign
    tv             35%          25%                10%
    radio          30%          20%                10%
    ooh            40%          25%                15%
    print          20%          10%                10%
    direct_mail    15%           5%                10%
    facebook       45%                             30%                   15%
    instagram      50%                             35%                   15%
    x              40%                             30%                   10%
    youtube        35%                             25%                   10%
    linkedin       35%                             25%                   10%
    paid_social     0%

So attribution by tags is wrong in known ways: traditional media and organic social get less than
their effect, paid social more, and search and direct visits carry part of the channels' effect on
top of the baseline. Calls to a placement's tracking number are always its own (tracked by number).
The split is made on expected values, before the draws, so totals keep their expected values.

The expected values of each session source / medium / campaign (`expected_web`) are drawn as
independent Poisson counts (engaged sessions with each key event, other engaged sessions, not
engaged sessions; qualified and other calls), so every count is a whole number, key events never
exceed engaged sessions, and sums keep the expected values. Web draws depend on (seed, plan seed,
day); call draws on (plan seed, day) only, so the call log is a function of the media plan's seed.
Web analytics starts on the world's first day; calls start with the first placement.

Employee advocacy (`sandbox.advocacy`) is not a response curve: every click on a link an advocate
shared is a session, under the link's tags (source the network, medium `advocacy`, the content's
campaign, manual ad content `<team code>_<content id>`), on the day of the click. Of those sessions
`ADVOCACY_WEB` says what they go on to do: each is engaged with odds `engaged_rate` (60%), and
an engaged session makes one key event with odds `key_event_rate / engaged_rate` (so 4% of the
sessions), the event drawn by the campaign's `EVENT_MIX`; one seeded stream per day (seed, day),
apart from the other draws, so every other channel's counts are the same with or without it.
Every other row's manual ad content is "(not set)" (their links carry no utm_content). The
`expected_*` truths cover the channels' effects and the baseline only; `web` and
`weekly_key_events` (what web analytics counts) include the advocacy sessions; `mix_inputs` leaves them out of the KPI, as the model does its tracked-only channels.

A later analysis reads the ground truth from here: `CHANNEL_EFFECTS` (the response curve of each
channel), `BASELINE`, `EVENT_MIX`, `UNTAGGED`, and `ConversionsWorld.contributions(day)`,
`expected_by_channel(first, last)` (each channel's true incremental sessions, key events and calls,
tagged or not, before the draws), `expected_attributed_by_channel(first, last)` (what the tags
credit each channel and the baseline with) and `expected_weekly_by_channel(first_monday, weeks)`
(key events per ISO week), with the weekly drivers and the drawn weekly KPI a marketing-mix model
is given (`weekly_drivers`, `weekly_key_events`; both as the model's inputs: `mix_inputs`)."""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import numpy as np

from mix.model import WeeklyInputs
from sandbox.advocacy import UTM_MEDIUM, advocacy_world
from sandbox.facebook import FacebookWorld
from sandbox.instagram import InstagramWorld
from sandbox.linkedin import LinkedInWorld
from sandbox.media_plan import DEFAULT_SEED as DEFAULT_PLAN_SEED
from sandbox.media_plan import Placement, placements_between
from sandbox.meta_ads import MetaAdsWorld
from sandbox.world import WEEKDAY_FACTOR, SeededWorld
from sandbox.x import XWorld
from sandbox.youtube import YouTubeWorld

KEY_EVENTS = ("appointment_request", "class_registration")
NOT_SET = "(not set)"
ORGANIC_PLATFORMS = ("facebook", "instagram", "x", "youtube", "linkedin")
PAID_SOCIAL = "paid_social"
PAID_SOCIAL_SOURCE = "facebook"  # Meta ads' utm_source
# The baseline's key in the weekly truth (`expected_weekly_by_channel`): every BASELINE source.
BASELINE_KEY = "baseline"
# What `expected_by_channel` sums per channel; the web ones split by `UNTAGGED`, calls never do.
MEASURES = ("sessions", "engaged_sessions", *KEY_EVENTS, "calls", "qualified_calls")
_WEB_MEASURES = MEASURES[: 2 + len(KEY_EVENTS)]
# What the sessions advocates' clicks bring go on to do (see the module docstring).
ADVOCACY_WEB: Mapping[str, float] = MappingProxyType({"engaged_rate": 0.60, "key_event_rate": 0.04})
# Lags whose adstock weight is below this are left out.
_CARRYOVER_CUTOFF = 0.01


@dataclass(frozen=True)
class ChannelEffect:
    """One channel's response curve (see the module docstring for the formulas)."""

    channel: str
    group: str  # paid_social | organic_social | traditional
    medium: str  # the session medium (utm_medium)
    driver: str  # what x is, per day and campaign (traditional: per placement)
    decay: float  # share of yesterday's adstock carried into today
    half_saturation: float  # adstock at which the response is half its maximum
    shape: float  # Hill exponent: above 1 the curve is S-shaped
    max_sessions: float  # sessions a day at full saturation
    engaged_rate: float  # engaged sessions per session
    key_event_rate: float  # key events per session (at most engaged_rate)
    max_calls: float = 0.0  # calls a day at full saturation (traditional media)
    qualified_share: float = 0.0  # of the calls

    @property
    def carryover_days(self) -> int:
        """How many days (today included) a driver keeps working: until decay^k < 1%."""
        if self.decay <= 0:
            return 1
        return math.ceil(math.log(_CARRYOVER_CUTOFF) / math.log(self.decay))

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(self.decay**lag for lag in range(self.carryover_days))

    def adstock(self, drivers: Iterable[float]) -> float:
        """A(d) from the drivers of d, d-1, d-2, ... (most recent first)."""
        return sum(w * x for w, x in zip(self.weights, drivers, strict=False))

    def response(self, adstock: float, half_saturation: float | None = None) -> float:
        """R: the share of the maximum response reached at this adstock, in [0, 1)."""
        half = self.half_saturation if half_saturation is None else half_saturation
        if adstock <= 0:
            return 0.0
        return adstock**self.shape / (adstock**self.shape + half**self.shape)

    def expected_sessions(self, adstock: float, scale: float = 1.0) -> float:
        factor = scale if self.group != "traditional" else 1.0
        return self.max_sessions * factor * self.response(adstock, self.half_saturation * factor)

    def expected_key_events(self, adstock: float, scale: float = 1.0) -> float:
        return self.key_event_rate * self.expected_sessions(adstock, scale)

    def expected_calls(self, adstock: float) -> float:
        return self.max_calls * self.response(adstock)


def _effects(*effects: ChannelEffect) -> Mapping[str, ChannelEffect]:
    return MappingProxyType({e.channel: e for e in effects})


_POSTS = "campaign posts published"
_THOUSANDS = "gross impressions (thousands)"
_PIECES = "pieces mailed (thousands)"
CHANNEL_EFFECTS: Mapping[str, ChannelEffect] = _effects(
    ChannelEffect(PAID_SOCIAL, "paid_social", "paid_social", "spend (USD)", 0.35, 600, 1.0, 240, 0.58, 0.035),
    ChannelEffect("facebook", "organic_social", "social", _POSTS, 0.45, 1.2, 1.0, 70, 0.52, 0.022),
    ChannelEffect("instagram", "organic_social", "social", _POSTS, 0.40, 1.0, 1.0, 30, 0.45, 0.015),
    ChannelEffect("x", "organic_social", "social", _POSTS, 0.25, 1.5, 1.0, 12, 0.40, 0.010),
    ChannelEffect("youtube", "organic_social", "social", _POSTS, 0.70, 0.6, 1.0, 25, 0.65, 0.020),
    ChannelEffect("linkedin", "organic_social", "social", _POSTS, 0.40, 1.0, 1.0, 15, 0.55, 0.012),
    ChannelEffect("tv", "traditional", "tv", _THOUSANDS, 0.55, 250, 1.3, 110, 0.60, 0.050, 45, 0.62),
    ChannelEffect("radio", "traditional", "radio", _THOUSANDS, 0.45, 180, 1.1, 55, 0.55, 0.040, 22, 0.58),
    ChannelEffect("print", "traditional", "print", _THOUSANDS, 0.70, 150, 1.0, 45, 0.60, 0.050, 18, 0.66),
    ChannelEffect("ooh", "traditional", "ooh", _THOUSANDS, 0.60, 35, 1.0, 14, 0.50, 0.030, 5, 0.50),
    ChannelEffect("direct_mail", "traditional", "direct_mail", _PIECES, 0.85, 20, 1.0, 35, 0.70, 0.080, 26, 0.72),
)  # fmt: skip


@dataclass(frozen=True)
class BaselineSource:
    """Visits no tracked channel causes: their level on an average weekday at scale 1."""

    channel: str
    source: str
    medium: str
    sessions_per_day: float
    engaged_rate: float
    key_event_rate: float


BASELINE: Mapping[str, BaselineSource] = MappingProxyType(
    {
        "organic_search": BaselineSource("organic_search", "google", "organic", 1150, 0.62, 0.014),
        "direct": BaselineSource("direct", "(direct)", "(none)", 520, 0.55, 0.011),
    }
)
# The shares of each channel's web effect that arrive under other tags, by where they land (a
# BASELINE source: its source / medium, campaign "(not set)"; paid social: facebook / paid_social,
# the campaign kept); the table in the module docstring.
_BRANDED = "organic_search"
_DIRECT = "direct"
UNTAGGED: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        channel: MappingProxyType(shares)
        for channel, shares in {
            "tv": {_BRANDED: 0.25, _DIRECT: 0.10},
            "radio": {_BRANDED: 0.20, _DIRECT: 0.10},
            "ooh": {_BRANDED: 0.25, _DIRECT: 0.15},
            "print": {_BRANDED: 0.10, _DIRECT: 0.10},
            "direct_mail": {_BRANDED: 0.05, _DIRECT: 0.10},
            "facebook": {_DIRECT: 0.30, PAID_SOCIAL: 0.15},
            "instagram": {_DIRECT: 0.35, PAID_SOCIAL: 0.15},
            "x": {_DIRECT: 0.30, PAID_SOCIAL: 0.10},
            "youtube": {_DIRECT: 0.25, PAID_SOCIAL: 0.10},
            "linkedin": {_DIRECT: 0.25, PAID_SOCIAL: 0.10},
        }.items()
    }
)
# How a campaign's key events split between the key events (childbirth classes, health fairs).
EVENT_MIX: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "birth-center": {"appointment_request": 0.4, "class_registration": 0.6},
        "community-health": {"appointment_request": 0.3, "class_registration": 0.7},
        NOT_SET: {"appointment_request": 0.8, "class_registration": 0.2},
    }
)
DEFAULT_EVENT_MIX: Mapping[str, float] = MappingProxyType({"appointment_request": 0.95, "class_registration": 0.05})


def event_mix(campaign: str) -> Mapping[str, float]:
    return EVENT_MIX.get(campaign, DEFAULT_EVENT_MIX)


@dataclass(frozen=True)
class Arrival:
    """A share of a contribution's web effect and the session tags it arrives with."""

    credited_to: str  # the CHANNEL_EFFECTS or BASELINE key those tags attribute it to
    source: str
    medium: str
    campaign: str
    share: float


@dataclass(frozen=True)
class Contribution:
    """The expected (not drawn) effect of one channel x campaign (x placement) on one day, tagged
    or not: `source` and `medium` are its own tags, `arrivals` how its web effect splits."""

    channel: str  # a CHANNEL_EFFECTS or BASELINE key
    campaign: str  # campaign id, or "(not set)" for the baseline
    source: str
    medium: str
    driver: float  # today's driver
    adstock: float
    sessions: float
    engaged_sessions: float
    key_events: Mapping[str, float]
    arrivals: tuple[Arrival, ...]  # where its web effect arrives: the tagged share first
    placement: Placement | None = None
    calls: float = 0.0
    qualified_calls: float = 0.0


@dataclass(frozen=True)
class WebRow:
    """Drawn web-analytics counts of one day for one session source / medium / campaign."""

    source: str
    medium: str
    campaign: str
    sessions: int
    engaged_sessions: int
    key_events: Mapping[str, int] = field(default_factory=dict)
    ad_content: str = NOT_SET  # the link's utm_content (GA4's manual ad content)


@dataclass(frozen=True)
class CallRow:
    """Drawn calls of one day to one placement's tracking number."""

    tracking_number: str
    placement_id: str
    calls: int
    qualified_calls: int


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: multiplication of uniforms for small means, PTRS (Hörmann 1993) above."""
    if mean <= 0:
        return 0
    if mean < 10:
        limit, k, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    slam, loglam = math.sqrt(mean), math.log(mean)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + mean + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= -mean + k * loglam - math.lgamma(k + 1):
            return k


class ConversionsWorld(SeededWorld):
    """The ground truth of visits, key events and calls; see the module docstring.

    `seed` and `scale` are the platform worlds' (the same as every sandbox is started with);
    `plan_seed` is the media plan's (`write_media_plan`'s seed); `effects` the channels' true
    response curves (default `CHANNEL_EFFECTS`, every channel of it, e.g. `without_effect("radio")`)
    and `untagged` the shares of their web effect that arrive under other tags (default `UNTAGGED`;
    `{}` tags everything as its channel). Every cache is the world's own, so two worlds with other
    effects never share a value."""

    rng_namespace = "conversions"

    def __init__(
        self,
        plan_seed: int = DEFAULT_PLAN_SEED,
        effects: Mapping[str, ChannelEffect] = CHANNEL_EFFECTS,
        untagged: Mapping[str, Mapping[str, float]] = UNTAGGED,
        **world: Any,
    ) -> None:
        super().__init__(**world)
        self.plan_seed = plan_seed
        self.effects = _checked_effects(effects)
        self.untagged = _checked_untagged(untagged, self.effects)
        self._max_carryover = max(e.carryover_days for e in self.effects.values())
        platform = {"seed": self.seed, "scale": self.scale, "campaigns": self.campaigns}
        self.paid = MetaAdsWorld(**platform)
        self.facebook = FacebookWorld(**platform)
        self.instagram = InstagramWorld(**platform)
        self.x = XWorld(**platform)
        self.youtube = YouTubeWorld(**platform)
        self.linkedin = LinkedInWorld(**platform)
        self.advocacy = advocacy_world(self.seed, self.scale)
        self._placements: dict[str, Placement] = {}
        self._placements_lock = threading.Lock()
        # Per-instance caches: the world is immutable, so a value computed once stays right.
        self.drivers = lru_cache(maxsize=4096)(self._drivers)
        self.contributions = lru_cache(maxsize=4096)(self._contributions)
        self.web = lru_cache(maxsize=4096)(self._web)
        self.calls = lru_cache(maxsize=4096)(self._calls)

    # -- drivers ------------------------------------------------------------------------------

    def _drivers(self, day: date) -> Mapping[tuple[str, str, str], float]:
        """x on `day` per (channel, campaign, placement id or ""), only where it is not zero."""
        drivers: dict[tuple[str, str, str], float] = {}
        for campaign, spend in self.paid.campaign_spend(day).items():
            if spend > 0:
                drivers[(PAID_SOCIAL, campaign, "")] = float(spend)
        for platform, campaign_ids in self._organic_campaign_posts(day).items():
            for campaign in campaign_ids:
                key = (platform, campaign, "")
                drivers[key] = drivers.get(key, 0.0) + 1.0
        placements = placements_between(day, day, self.plan_seed)
        with self._placements_lock:
            self._placements.update((p.placement_id, p) for p in placements)
        for placement in placements:
            drivers[(placement.channel, placement.campaign, placement.placement_id)] = placement.exposure_on(day) / 1000
        return MappingProxyType(drivers)

    def _organic_campaign_posts(self, day: date) -> dict[str, list[str]]:
        """The campaign id of every campaign post each platform published on local `day`."""
        posts = {
            "facebook": [p.campaign_id for page in self.facebook.pages for p in self.facebook.posts_on(page, day)],
            "instagram": [m.campaign_id for a in self.instagram.accounts for m in self.instagram.media_on(a, day)],
            "x": [p.campaign_id for user in self.x.accounts for p in self.x.posts_on(user, day)],
            "youtube": [v.campaign_id for c in self.youtube.channels for v in self.youtube.posts_on(c, day)],
            "linkedin": [p.campaign_id for o in self.linkedin.accounts for p in self.linkedin.posts_on(o, day)],
        }
        return {platform: [c for c in ids if c is not None] for platform, ids in posts.items()}

    # -- expected values ----------------------------------------------------------------------

    def _contributions(self, day: date) -> tuple[Contribution, ...]:
        """Every channel's expected effect on `day`, the baseline first, then by channel and campaign."""
        adstocks: dict[tuple[str, str, str], float] = defaultdict(float)
        for lag in range(self._max_carryover):
            for key, x in self.drivers(day - timedelta(days=lag)).items():
                weights = self.effects[key[0]].weights
                if lag < len(weights):
                    adstocks[key] += weights[lag] * x
        today = self.drivers(day)
        out = [self._baseline(source, day) for source in BASELINE.values()]
        for key in sorted(adstocks):
            channel, campaign, placement_id = key
            effect = self.effects[channel]
            adstock = adstocks[key]
            sessions = effect.expected_sessions(adstock, self.scale)
            mix = event_mix(campaign)
            placement = self._placements[placement_id] if placement_id else None
            if placement is not None:
                source = placement.vanity_host
            else:
                source = PAID_SOCIAL_SOURCE if channel == PAID_SOCIAL else channel
            calls = effect.expected_calls(adstock)
            out.append(
                Contribution(
                    channel=channel,
                    campaign=campaign,
                    source=source,
                    medium=effect.medium,
                    driver=today.get(key, 0.0),
                    adstock=adstock,
                    sessions=sessions,
                    engaged_sessions=sessions * effect.engaged_rate,
                    key_events={e: sessions * effect.key_event_rate * mix.get(e, 0.0) for e in KEY_EVENTS},
                    arrivals=self._arrivals(channel, source, effect.medium, campaign),
                    placement=placement,
                    calls=calls,
                    qualified_calls=calls * effect.qualified_share,
                )
            )
        return tuple(out)

    def _arrivals(self, channel: str, source: str, medium: str, campaign: str) -> tuple[Arrival, ...]:
        """The tagged share first, then each untagged share by destination."""
        shares = self.untagged.get(channel, {})
        tagged = Arrival(channel, source, medium, campaign, 1.0 - sum(shares.values()))
        return (tagged, *(Arrival(into, *_tags(into, campaign), share) for into, share in shares.items()))

    def _baseline(self, source: BaselineSource, day: date) -> Contribution:
        sessions = source.sessions_per_day * self.scale * WEEKDAY_FACTOR[day.weekday()]
        mix = event_mix(NOT_SET)
        return Contribution(
            channel=source.channel,
            campaign=NOT_SET,
            source=source.source,
            medium=source.medium,
            driver=0.0,
            adstock=0.0,
            sessions=sessions,
            engaged_sessions=sessions * source.engaged_rate,
            key_events={e: sessions * source.key_event_rate * mix.get(e, 0.0) for e in KEY_EVENTS},
            arrivals=(Arrival(source.channel, source.source, source.medium, NOT_SET, 1.0),),
        )

    def expected_by_channel(self, first: date, last: date) -> dict[str, dict[str, float]]:
        """Each channel's (and baseline source's) true incremental effect over first..last: the
        expected `MEASURES` it causes, tagged or not, for every channel with a contribution."""
        return self._expected(first, last, attributed=False)

    def expected_attributed_by_channel(self, first: date, last: date) -> dict[str, dict[str, float]]:
        """What the session tags credit each channel (and baseline source) with over first..last:
        the expected `MEASURES` arriving under its tags, whichever channel caused them (`UNTAGGED`);
        calls stay with their placement's channel. Summed over every key, the same totals as
        `expected_by_channel`."""
        return self._expected(first, last, attributed=True)

    def _expected(self, first: date, last: date, attributed: bool) -> dict[str, dict[str, float]]:
        totals: dict[str, dict[str, float]] = {}

        def row(channel: str) -> dict[str, float]:
            return totals.setdefault(channel, dict.fromkeys(MEASURES, 0.0))

        day = first
        while day <= last:
            for c in self.contributions(day):
                parts = [(a.credited_to, a.share) for a in c.arrivals] if attributed else [(c.channel, 1.0)]
                for channel, share in parts:
                    _add_web_share(row(channel), c, share)
                sums = row(c.channel)
                sums["calls"] += c.calls
                sums["qualified_calls"] += c.qualified_calls
            day += timedelta(days=1)
        return totals

    def expected_weekly_by_channel(
        self, first_monday: date, weeks: int, *, attributed: bool = False, events: Iterable[str] = KEY_EVENTS
    ) -> dict[str, list[float]]:
        """Expected key events (of `events`) per ISO week from `first_monday`, `weeks` of them, for
        every channel of the world's effects and the baseline (`BASELINE_KEY`, every BASELINE
        source): the true incremental ones (`expected_by_channel` per week), or with `attributed`
        those the tags credit (`expected_attributed_by_channel`; the baseline then holds search and
        direct visits, the channels' untagged shares included). Each week sums to the same total
        either way."""
        if first_monday.weekday() != 0:
            raise ValueError(f"first_monday must be a Monday (ISO weeks start on Mondays): {first_monday} is not")
        if weeks < 0:
            raise ValueError(f"weeks must not be negative: {weeks}")
        events = tuple(events)
        unknown = sorted(set(events) - set(KEY_EVENTS))
        if unknown:
            raise ValueError(f"not key events: {unknown}; the key events are {list(KEY_EVENTS)}")
        weekly = {key: [0.0] * weeks for key in (*self.effects, BASELINE_KEY)}
        for week in range(weeks):
            monday = first_monday + timedelta(weeks=week)
            totals = self._expected(monday, monday + timedelta(days=6), attributed)
            for channel, sums in totals.items():
                key = BASELINE_KEY if channel in BASELINE else channel
                weekly[key][week] += sum(sums[e] for e in events)
        return weekly

    def weekly_drivers(self, first_monday: date, weeks: int) -> dict[str, list[float]]:
        """Each channel's driver x summed per ISO week from `first_monday` (see the module docstring
        for its unit per channel): what a marketing-mix model is given as the channel's activity."""
        weekly = {channel: [0.0] * weeks for channel in self.effects}
        for week in range(weeks):
            for offset in range(7):
                for (channel, _campaign, _placement), x in self.drivers(
                    first_monday + timedelta(weeks=week, days=offset)
                ).items():
                    weekly[channel][week] += x
        return weekly

    def weekly_key_events(
        self, first_monday: date, weeks: int, events: Iterable[str] = KEY_EVENTS, advocacy: bool = True
    ) -> list[int]:
        """The drawn key events (of `events`) of every web session per ISO week from `first_monday`:
        what web analytics counts, tagged or not (`advocacy` False: without the sessions of
        advocates' links, as the marketing-mix model's KPI leaves out a tracked-only channel)."""
        events = tuple(events)
        return [
            sum(
                row.key_events.get(event, 0)
                for offset in range(7)
                for row in self.web(first_monday + timedelta(weeks=week, days=offset))
                if advocacy or row.medium != UTM_MEDIUM
                for event in events
            )
            for week in range(weeks)
        ]

    def expected_web(self, day: date) -> dict[tuple[str, str, str], dict[str, float]]:
        """Expected sessions, engaged sessions and key events of local `day` per session (source,
        medium, campaign), untagged shares under the tags they arrive with: what `web` draws.
        Nothing before the world's first day (web analytics had not started)."""
        if day < self.start:
            return {}
        expected: dict[tuple[str, str, str], dict[str, float]] = {}
        for c in self.contributions(day):
            for a in c.arrivals:
                sums = expected.setdefault((a.source, a.medium, a.campaign), dict.fromkeys(_WEB_MEASURES, 0.0))
                _add_web_share(sums, c, a.share)
        return expected

    # -- drawn counts -------------------------------------------------------------------------

    def _web(self, day: date) -> tuple[WebRow, ...]:
        """Web-analytics counts of local `day` by session source / medium / campaign, sorted.
        Every combination with traffic expected is listed, even when its draws are all zero."""
        rng = self._rng("web", self.plan_seed, day.isoformat())
        rows = []
        for (source, medium, campaign), sums in sorted(self.expected_web(day).items()):
            if sums["sessions"] <= 0:
                continue
            events = [sums[e] for e in KEY_EVENTS]
            key_events = {e: poisson(rng, mean) for e, mean in zip(KEY_EVENTS, events, strict=True)}
            engaged_count = sum(key_events.values()) + poisson(rng, sums["engaged_sessions"] - sum(events))
            sessions_count = engaged_count + poisson(rng, sums["sessions"] - sums["engaged_sessions"])
            rows.append(WebRow(source, medium, campaign, sessions_count, engaged_count, key_events))
        rows += self._advocacy_web(day)
        return tuple(sorted(rows, key=lambda row: (row.source, row.medium, row.campaign, row.ad_content)))

    def _advocacy_web(self, day: date) -> list[WebRow]:
        """The sessions advocates' clicks bring on local `day`, and what they go on to do."""
        if day < self.start:
            return []
        rng = self._rng("advocacy-web", day.isoformat())
        engaged_rate, key_event_rate = ADVOCACY_WEB["engaged_rate"], ADVOCACY_WEB["key_event_rate"]
        rows = []
        for visits in self.advocacy.sessions_on(day):
            weights = [event_mix(visits.campaign).get(e, 0.0) for e in KEY_EVENTS]
            key_events = dict.fromkeys(KEY_EVENTS, 0)
            engaged = 0
            for _ in range(visits.sessions):
                if rng.random() >= engaged_rate:
                    continue
                engaged += 1
                if rng.random() < key_event_rate / engaged_rate:
                    key_events[rng.choices(KEY_EVENTS, weights=weights)[0]] += 1
            rows.append(
                WebRow(
                    visits.source,
                    visits.medium,
                    visits.campaign,
                    visits.sessions,
                    engaged,
                    key_events,
                    visits.ad_content,
                )
            )
        return rows

    def _calls(self, day: date) -> tuple[CallRow, ...]:
        """Calls of `day` per tracking number, for every placement still drawing calls, by number."""
        rng = random.Random(f"{self.plan_seed}:calls:{day.isoformat()}")
        rows = []
        placed = [c for c in self.contributions(day) if c.placement is not None and c.calls > 0]
        for c in sorted(placed, key=lambda c: c.placement.tracking_number):
            qualified = poisson(rng, c.qualified_calls)
            calls = qualified + poisson(rng, c.calls - c.qualified_calls)
            rows.append(CallRow(c.placement.tracking_number, c.placement.placement_id, calls, qualified))
        return tuple(rows)


def _add_web_share(sums: dict[str, float], c: Contribution, share: float) -> None:
    """Add `share` of the contribution's web effect (sessions, engaged sessions, key events) to `sums`."""
    sums["sessions"] += c.sessions * share
    sums["engaged_sessions"] += c.engaged_sessions * share
    for event, value in c.key_events.items():
        sums[event] += value * share


def without_effect(channel: str, effects: Mapping[str, ChannelEffect] = CHANNEL_EFFECTS) -> Mapping[str, ChannelEffect]:
    """`effects` with `channel` changing nothing (no sessions, no calls at any driver), the others
    as they are: the true effects of a world in which that channel does not work. Its drivers
    (spend, posts, placements) stay, so an estimate still sees it bought."""
    if channel not in effects:
        raise KeyError(f"no channel {channel!r} among the effects: {sorted(effects)}")
    return MappingProxyType({**effects, channel: replace(effects[channel], max_sessions=0.0, max_calls=0.0)})


def untagged_share(channel: str, untagged: Mapping[str, Mapping[str, float]] = UNTAGGED) -> float:
    """The share of `channel`'s web effect that arrives under other tags (0 for a baseline source)."""
    return sum(untagged.get(channel, {}).values())


def _tags(into: str, campaign: str) -> tuple[str, str, str]:
    """The (source, medium, campaign) an untagged share arrives with when it lands on `into`."""
    if into in BASELINE:
        return BASELINE[into].source, BASELINE[into].medium, NOT_SET
    return PAID_SOCIAL_SOURCE, CHANNEL_EFFECTS[PAID_SOCIAL].medium, campaign


def _checked_effects(effects: Mapping[str, ChannelEffect]) -> Mapping[str, ChannelEffect]:
    if set(effects) != set(CHANNEL_EFFECTS):
        missing, extra = sorted(set(CHANNEL_EFFECTS) - set(effects)), sorted(set(effects) - set(CHANNEL_EFFECTS))
        raise ValueError(f"effects must have every channel of CHANNEL_EFFECTS: missing {missing}, unknown {extra}")
    wrong = sorted(key for key, effect in effects.items() if effect.channel != key)
    if wrong:
        raise ValueError(f"effects keyed under another channel's name: {wrong}")
    return MappingProxyType(dict(effects))


def _checked_untagged(
    untagged: Mapping[str, Mapping[str, float]], effects: Mapping[str, ChannelEffect]
) -> Mapping[str, Mapping[str, float]]:
    for channel, shares in untagged.items():
        if channel not in effects:
            raise ValueError(f"untagged shares for {channel!r}, which is not a channel: {sorted(effects)}")
        for into, share in shares.items():
            if into == channel or (into not in BASELINE and into != PAID_SOCIAL):
                raise ValueError(
                    f"{channel}'s untagged share goes to {into!r}: it must go to a baseline source "
                    f"{sorted(BASELINE)} or to {PAID_SOCIAL}, never to the channel itself"
                )
            if share < 0:
                raise ValueError(f"{channel}'s untagged share to {into} is negative: {share}")
        if sum(shares.values()) >= 1:
            raise ValueError(f"{channel}'s untagged shares add up to {sum(shares.values())}: they must be below 1")
    return MappingProxyType({channel: MappingProxyType(dict(shares)) for channel, shares in untagged.items()})


def mix_inputs(world: ConversionsWorld, first_monday: date, weeks: int) -> WeeklyInputs:
    """The world's weekly history as a marketing-mix model's inputs (channels by the world's keys,
    each channel's driver also standing for its investment): for checking the model against the
    world's truth (`expected_weekly_by_channel`) without the pipeline in between."""
    drivers = world.weekly_drivers(first_monday, weeks)
    channels = tuple(world.effects)
    x = np.array([drivers[c] for c in channels], dtype=float).T
    return WeeklyInputs(
        weeks=tuple(first_monday + timedelta(weeks=w) for w in range(weeks)),
        channels=channels,
        drivers=x,
        investment=x.copy(),
        kpi=np.array(world.weekly_key_events(first_monday, weeks, advocacy=False), dtype=float),
    )
