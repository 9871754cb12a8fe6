"""What each channel returns: Cedar Valley Health's first-party conversions, the sandbox's ground truth.

Every day's numbers are a pure function of (seed, scale, plan seed, day), cached, so the GA4 sandbox
(`sandbox.ga4`), the call log (`sandbox.call_tracking`) and a test or an analysis that checks an
estimate all see the same world. Only aggregate counts exist: no person, user, client or session id.

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

Sessions carry the UTM tags the worlds already put on their links: organic posts
`utm_source=<platform>&utm_medium=social`, ads `utm_source=facebook&utm_medium=paid_social`, a
placement's vanity URL `utm_source=<vanity host>&utm_medium=<channel>`, all with
`utm_campaign=<campaign id>`. The expected values (`contributions`) are drawn as independent
Poisson counts (engaged sessions with each key event, other engaged sessions, not engaged
sessions; qualified and other calls), so every count is a whole number, key events never exceed
engaged sessions, and sums keep the expected values. Web draws depend on (seed, plan seed, day);
call draws on (plan seed, day) only, so the call log is a function of the media plan's seed.
Web analytics starts on the world's first day; calls start with the first placement.

A later analysis reads the ground truth from here: `CHANNEL_EFFECTS` (the response curve of each
channel), `BASELINE`, `EVENT_MIX`, and `ConversionsWorld.contributions(day)` or
`expected_by_channel(first, last)` (each channel's expected incremental sessions, key events and
calls, before the draws)."""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

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
_MAX_CARRYOVER = max(e.carryover_days for e in CHANNEL_EFFECTS.values())


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
class Contribution:
    """The expected (not drawn) effect of one channel x campaign (x placement) on one day."""

    channel: str  # a CHANNEL_EFFECTS or BASELINE key
    campaign: str  # campaign id, or "(not set)" for the baseline
    source: str
    medium: str
    driver: float  # today's driver
    adstock: float
    sessions: float
    engaged_sessions: float
    key_events: Mapping[str, float]
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
    `plan_seed` is the media plan's (`write_media_plan`'s seed)."""

    rng_namespace = "conversions"

    def __init__(self, plan_seed: int = DEFAULT_PLAN_SEED, **world: Any) -> None:
        super().__init__(**world)
        self.plan_seed = plan_seed
        platform = {"seed": self.seed, "scale": self.scale, "campaigns": self.campaigns}
        self.paid = MetaAdsWorld(**platform)
        self.facebook = FacebookWorld(**platform)
        self.instagram = InstagramWorld(**platform)
        self.x = XWorld(**platform)
        self.youtube = YouTubeWorld(**platform)
        self.linkedin = LinkedInWorld(**platform)
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
        for lag in range(_MAX_CARRYOVER):
            for key, x in self.drivers(day - timedelta(days=lag)).items():
                weights = CHANNEL_EFFECTS[key[0]].weights
                if lag < len(weights):
                    adstocks[key] += weights[lag] * x
        today = self.drivers(day)
        out = [self._baseline(source, day) for source in BASELINE.values()]
        for key in sorted(adstocks):
            channel, campaign, placement_id = key
            effect = CHANNEL_EFFECTS[channel]
            adstock = adstocks[key]
            sessions = effect.expected_sessions(adstock, self.scale)
            mix = event_mix(campaign)
            placement = self._placements[placement_id] if placement_id else None
            if placement is not None:
                source = placement.vanity_host
            else:
                source = "facebook" if channel == PAID_SOCIAL else channel
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
                    placement=placement,
                    calls=calls,
                    qualified_calls=calls * effect.qualified_share,
                )
            )
        return tuple(out)

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
        )

    def expected_by_channel(self, first: date, last: date) -> dict[str, dict[str, float]]:
        """Each channel's expected sessions, key events (per event) and calls over first..last."""
        totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        day = first
        while day <= last:
            for c in self.contributions(day):
                row = totals[c.channel]
                row["sessions"] += c.sessions
                for event, value in c.key_events.items():
                    row[event] += value
                row["calls"] += c.calls
                row["qualified_calls"] += c.qualified_calls
            day += timedelta(days=1)
        return {channel: dict(row) for channel, row in totals.items()}

    # -- drawn counts -------------------------------------------------------------------------

    def _web(self, day: date) -> tuple[WebRow, ...]:
        """Web-analytics counts of local `day` by session source / medium / campaign, sorted.
        Every combination with traffic expected is listed, even when its draws are all zero."""
        if day < self.start:
            return ()
        expected: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0] * (2 + len(KEY_EVENTS)))
        for c in self.contributions(day):
            sums = expected[(c.source, c.medium, c.campaign)]
            sums[0] += c.sessions
            sums[1] += c.engaged_sessions
            for i, event in enumerate(KEY_EVENTS):
                sums[2 + i] += c.key_events[event]
        rng = self._rng("web", self.plan_seed, day.isoformat())
        rows = []
        for (source, medium, campaign), (sessions, engaged, *events) in sorted(expected.items()):
            key_events = {e: poisson(rng, mean) for e, mean in zip(KEY_EVENTS, events, strict=True)}
            engaged_count = sum(key_events.values()) + poisson(rng, engaged - sum(events))
            sessions_count = engaged_count + poisson(rng, sessions - engaged)
            rows.append(WebRow(source, medium, campaign, sessions_count, engaged_count, key_events))
        return tuple(rows)

    def _calls(self, day: date) -> tuple[CallRow, ...]:
        """Calls of `day` per tracking number, for every placement still drawing calls, by number."""
        rng = random.Random(f"{self.plan_seed}:calls:{day.isoformat()}")
        rows = []
        placed = [c for c in self.contributions(day) if c.placement is not None]
        for c in sorted(placed, key=lambda c: c.placement.tracking_number):
            qualified = poisson(rng, c.qualified_calls)
            calls = qualified + poisson(rng, c.calls - c.qualified_calls)
            rows.append(CallRow(c.placement.tracking_number, c.placement.placement_id, calls, qualified))
        return tuple(rows)
