"""A local stand-in for the LinkedIn Community Management API (`https://api.linkedin.com/rest`).

It answers from `LinkedInWorld`, a seeded and deterministic model of Cedar Valley Health's LinkedIn
company page, with the real paths, Rest.li finders, parameters, response shapes, start/count paging,
error bodies (`{"status","serviceErrorCode","code","message"}`) and the rate-limit signal (a bare
HTTP 429, no headers), so that pointing a connection's host at the real API is the only change.

Served, under the `/rest` prefix (the base URL is `LinkedInSandbox.base_url`):
- `GET /organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=<org urn>`
  with `timeIntervals.timeGranularityType=DAY&timeIntervals.timeRange.start=<ms>&...end=<ms>` (or the
  Rest.li 2.0 form `timeIntervals=(timeRange:(start:..,end:..),timeGranularityType:DAY)`): one
  element per UTC day; without timeIntervals, the lifetime totals.
- `GET /organizationalEntityFollowerStatistics` (same parameters): `followerGains` per UTC day.
- `GET /networkSizes/<org urn>?edgeType=COMPANY_FOLLOWED_BY_MEMBER`: `{"firstDegreeSize": n}`.
- `GET /posts?author=<org urn>&q=author&count=&start=&sortBy=`: newest first (by `lastModifiedAt`,
  or `createdAt` with `sortBy=CREATED`), `paging.total` and `next`/`prev` links.

Every request needs `Authorization: Bearer`, `LinkedIn-Version: YYYYMM` (a version not in
`active_versions` is answered 426 NONEXISTENT_VERSION) and `X-Restli-Protocol-Version: 2.0.0`.
Statistics are served for time ranges that start within the last 12 months and end at least
`statistics_lag_days` before now, as LinkedIn's statistics are final only then; a range that breaks
either rule is a 400, like an unaligned or shorter-than-a-day DAY range.

Faults on a fixed schedule of the call number: every `throttle_every`-th call is a 429
TOO_MANY_REQUESTS, every `transient_every`-th a 503, every `server_error_every`-th an HTML 502,
every `malformed_every`-th a truncated JSON body. Tokens outside `valid_tokens` get 401
INVALID_ACCESS_TOKEN (an `expire_token`-ed one 401 EXPIRED_ACCESS_TOKEN); `denied_tokens` belong to a
member who is not an administrator of the page: 403 ACCESS_DENIED. Calls are counted per endpoint
kind: share_statistics, follower_statistics, network_sizes, posts."""

from __future__ import annotations

import base64
import math
import random
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from core.settings import Windows
from core.windows import extraction_window
from sandbox.base import ApiError, PlatformSandbox, Reply, int_param, json_reply
from sandbox.registry import register
from sandbox.world import (
    MATURE_HOURS,
    SHARE_EFFECT,
    WEEKDAY_FACTOR,
    PlatformWorld,
    draw_message,
    lifetime_fraction,
    lifetime_growth,
    post_reach,
)
from sources.linkedin import LinkedIn

DEFAULT_TOKEN = "sandbox-token-linkedin"
# A year of monthly versions, the config's "202510" among them; LinkedIn sunsets a version after
# about a year.
DEFAULT_ACTIVE_VERSIONS = tuple(
    [f"2025{month:02d}" for month in range(7, 13)] + [f"2026{month:02d}" for month in range(1, 7)]
)
DEFAULT_STATISTICS_LAG_DAYS = 2
STATISTICS_HISTORY_DAYS = 365  # the statistics finders' rolling 12-month window
DEFAULT_POSTS_COUNT = 10
MAX_POSTS_COUNT = 100
EDGE_TYPE = "COMPANY_FOLLOWED_BY_MEMBER"

SHARE_METRICS = ("impressionCount", "uniqueImpressionsCount", "clickCount", "likeCount", "commentCount", "shareCount")
FOLLOWER_METRICS = ("organicFollowerGain", "paidFollowerGain")
# What a post accumulates over its life; the page's daily statistics are built from its growth.
POST_METRICS = ("impressionCount", "uniqueImpressionsCount", "clickCount", "likeCount", "commentCount", "shareCount")

_DAY = timedelta(days=1)
_DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ORG_URN = re.compile(r"^urn:li:organization:(\d+)$")
_VERSION = re.compile(r"^(\d{6})(?:\.\d{2})?$")

# LinkedIn company pages post in business hours (local time), mostly on weekdays.
_POSTING_HOURS = {7: 3, 8: 6, 9: 7, 10: 7, 11: 5, 12: 4, 13: 4, 14: 4, 15: 3, 16: 3, 17: 2}
# kind: (weight, URN type, reach factor). Video and document posts are ugcPosts, the rest shares.
_KINDS: Mapping[str, tuple[int, str, float]] = {
    "article": (40, "share", 0.9),
    "image": (30, "share", 1.0),
    "video": (15, "ugcPost", 1.25),
    "document": (7, "ugcPost", 1.35),
    "text": (8, "share", 0.8),
}
_HASHTAGS = ("CedarValleyHealth", "Healthcare", "PatientCare", "Nursing", "CommunityHealth", "HealthcareCareers")


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    vanity_name: str
    website: str
    followers_at_start: int  # also sizes a post's reach
    daily_follows: float
    daily_unfollows: float  # LinkedIn never reports losses; they only show in the network size
    service_line_weights: Mapping[str, float] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:li:organization:{self.id}"


@dataclass(frozen=True, eq=False)
class LinkedInPost:
    urn: str  # urn:li:share:<id> or urn:li:ugcPost:<id>
    organization_id: str
    kind: str
    created_at: datetime  # UTC, millisecond precision; earlier than published_at when scheduled
    published_at: datetime
    edited_at: datetime | None
    commentary: str
    link: str | None
    title: str | None
    campaign_id: str | None
    intent: str  # what the post sets out to do (sandbox.world.INTENTS), the ground truth
    final: Mapping[str, int]  # lifetime values once the post is mature

    @property
    def number(self) -> int:
        return int(self.urn.rsplit(":", 1)[1])

    def last_modified(self, now: datetime) -> datetime:
        """`lastModifiedAt` as seen at `now`: an edit counts once it has happened."""
        if self.edited_at is not None and self.edited_at <= now:
            return self.edited_at
        return self.published_at


def epoch_ms(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(milliseconds=1)


def from_epoch_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _ms_floor(instant: datetime) -> datetime:
    return from_epoch_ms(epoch_ms(instant))


class LinkedInWorld(PlatformWorld[Organization, LinkedInPost]):
    """Ground truth for the LinkedIn sandbox. `scale` multiplies posts per day and audience sizes.

    Posts are generated per local day (America/Chicago, like the rest of the world); LinkedIn's
    statistics are per UTC day: a day's share statistics are the growth, within that UTC day, of
    every post's lifetime counts (see `sandbox.world.lifetime_fraction`) plus a small tail from older
    content; unique impressions are counted once per day, so they are not the sum of the posts'."""

    rng_namespace = "linkedin"
    NOUN = "LinkedIn organization"
    SEEDS = ("linkedin", Organization)
    ITEM_ID = "urn"

    def __init__(self, **world: Any) -> None:
        super().__init__(**world)
        # Per-instance caches: the world is immutable, so a value computed once stays right.
        self._share_day = lru_cache(maxsize=8192)(self._compute_share_day)
        self._follower_day = lru_cache(maxsize=8192)(self._compute_follower_day)
        self._listing = lru_cache(maxsize=16)(self._compute_listing)

    def organization(self, organization_id: str) -> Organization:
        """The account behind an organisation URN's id (LinkedIn's accounts are organizations)."""
        return self.account(organization_id)

    # -- posts --------------------------------------------------------------------------------

    def publish(self, org: Organization, day: date, rng: random.Random) -> tuple[LinkedInPost, ...]:
        """Posts published on local `day`, oldest first (some scheduled earlier, some edited later)."""
        if day.weekday() < 5:
            base = rng.choices((0, 1, 2), weights=(25, 55, 20))[0]
        else:
            base = rng.choices((0, 1), weights=(80, 20))[0]
        count = round(base * self.scale)
        hours = rng.choices(list(_POSTING_HOURS), weights=list(_POSTING_HOURS.values()), k=count)
        local_times = sorted(
            datetime.combine(day, time(h, rng.randrange(60), rng.randrange(60), rng.randrange(1000) * 1000), self.tz)
            for h in hours
        )
        return tuple(self._make_post(org, day, local, rng) for local in local_times)

    def _make_post(self, org: Organization, day: date, local: datetime, rng: random.Random) -> LinkedInPost:
        kind = rng.choices(list(_KINDS), weights=[k[0] for k in _KINDS.values()])[0]
        _, urn_type, reach_factor = _KINDS[kind]
        published = local.astimezone(UTC)
        scheduled = rng.random() < 0.2
        created = _ms_floor(published - timedelta(minutes=rng.uniform(90, 72 * 60))) if scheduled else published
        edited = _ms_floor(published + timedelta(minutes=rng.uniform(5, 36 * 60))) if rng.random() < 0.1 else None
        number = (epoch_ms(created) << 22) | rng.getrandbits(22)  # LinkedIn ids lead with their time
        campaign = self.campaign_post(day, rng, 0.5, org.service_line_weights)
        hashtag = f" {{hashtag|\\#|{rng.choice(_HASHTAGS)}}}" if rng.random() < 0.5 else ""
        said = draw_message(rng, campaign)
        if campaign is not None:
            query = urlencode({"utm_source": "linkedin", "utm_medium": "social", "utm_campaign": campaign.id})
            link: str | None = f"{org.website}/{campaign.id}?{query}"
            commentary = f"{said.text} {link}{hashtag}"
            title: str | None = campaign.name
        else:
            link = f"{org.website}/news/{day.isoformat()}" if kind == "article" else None
            commentary = f"{said.text} {link}{hashtag}" if link else f"{said.text}{hashtag}"
            title = f"News from {org.name}" if link else None
        if kind in ("video", "document") and title is None:
            title = "A minute with our care team" if kind == "video" else f"{org.name} community report"
        return LinkedInPost(
            urn=f"urn:li:{urn_type}:{number}",
            organization_id=org.id,
            kind=kind,
            created_at=created,
            published_at=published,
            edited_at=edited,
            commentary=commentary,
            link=link,
            title=title,
            campaign_id=campaign.id if campaign else None,
            intent=said.intent,
            final=self._final_values(org, reach_factor, link is not None, said.intent, rng),
        )

    @staticmethod
    def _final_values(
        org: Organization, reach_factor: float, has_link: bool, intent: str, rng: random.Random
    ) -> dict[str, int]:
        impressions = post_reach(rng, org.followers_at_start, (0.06, 0.22), reach_factor, viral_high=6)
        likes = impressions * rng.uniform(0.008, 0.03)
        click_rate = rng.uniform(0.015, 0.045) if has_link else rng.uniform(0.004, 0.015)
        return {
            "impressionCount": round(impressions),
            "uniqueImpressionsCount": round(impressions * rng.uniform(0.55, 0.75)),
            "clickCount": round(impressions * click_rate),
            "likeCount": round(likes),
            "commentCount": round(likes * rng.uniform(0.03, 0.12)),
            "shareCount": round(likes * rng.uniform(0.02, 0.1) * SHARE_EFFECT[intent]),
        }

    def iter_posts(self, organization_id: str, since: datetime, until: datetime) -> Iterator[LinkedInPost]:
        """Posts published in [since, until), oldest first."""
        day, last = max(self.local_day(since), self.start), self.local_day(until)
        while day <= last:
            for post in self.posts_on(organization_id, day):
                if since <= post.published_at < until:
                    yield post
            day += _DAY

    def posts(self, organization_id: str, start_day: date, end_day: date, now: datetime) -> list[LinkedInPost]:
        """Posts published on local days start_day..end_day (inclusive) by `now`, oldest first."""
        until = min(self.day_start(end_day + _DAY), now + timedelta(microseconds=1))
        return list(self.iter_posts(organization_id, self.day_start(start_day), until))

    def listing(self, organization_id: str, now: datetime, sort_by: str = "LAST_MODIFIED") -> list[LinkedInPost]:
        """Every post published by `now`, in the order the posts finder returns them (newest first)."""
        return list(self._listing(organization_id, now, sort_by))

    def _compute_listing(self, organization_id: str, now: datetime, sort_by: str) -> tuple[LinkedInPost, ...]:
        posts = self.iter_posts(organization_id, self.day_start(self.start), now + timedelta(microseconds=1))
        if sort_by == "CREATED":
            return tuple(sorted(posts, key=lambda p: (p.created_at, p.number), reverse=True))
        return tuple(sorted(posts, key=lambda p: (p.last_modified(now), p.number), reverse=True))

    def post_metrics(self, post: LinkedInPost, at: datetime) -> dict[str, int]:
        """A post's lifetime counts as seen at `at`: growing fast for a day or two, then slowly."""
        fraction = lifetime_fraction(at - post.published_at)
        return {name: int(final * fraction) for name, final in post.final.items()}

    # -- organisation statistics (UTC days) ---------------------------------------------------

    def share_statistics(self, organization_id: str, day: date) -> dict[str, int]:
        """The page's `totalShareStatistics` counts for UTC `day`."""
        return dict(self._share_day(organization_id, day))

    def _compute_share_day(self, organization_id: str, day: date) -> dict[str, int]:
        org = self.organization(organization_id)
        start, end = utc_midnight(day), utc_midnight(day + _DAY)
        growing = self.iter_posts(organization_id, start - timedelta(hours=MATURE_HOURS), end)
        growth = lifetime_growth(growing, self.post_metrics, start, end, POST_METRICS)
        rng = self._rng("share-day", organization_id, day.isoformat())
        # Older posts keep drawing a trickle of views from feeds and the page itself.
        tail = org.followers_at_start * 0.004 * WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.7, 1.3)
        impressions = growth["impressionCount"] + round(tail)
        return {
            "impressionCount": impressions,
            "uniqueImpressionsCount": round(impressions * rng.uniform(0.6, 0.8)),
            "clickCount": growth["clickCount"] + round(tail * rng.uniform(0.005, 0.015)),
            "likeCount": growth["likeCount"] + round(tail * rng.uniform(0.003, 0.01)),
            "commentCount": growth["commentCount"],
            "shareCount": growth["shareCount"],
        }

    def follower_gains(self, organization_id: str, day: date) -> dict[str, int]:
        """The page's `followerGains` for UTC `day`."""
        organic, paid, _ = self._follower_day(organization_id, day)
        return {"organicFollowerGain": organic, "paidFollowerGain": paid}

    def _compute_follower_day(self, organization_id: str, day: date) -> tuple[int, int, int]:
        org = self.organization(organization_id)
        rng = self._rng("followers", organization_id, day.isoformat())
        published = sum(1 for _ in self.iter_posts(organization_id, utc_midnight(day), utc_midnight(day + _DAY)))
        organic = round(org.daily_follows * WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.5, 1.5))
        organic += round(published * rng.uniform(0, 3))
        # Sponsored content runs on some days and brings a few paid follows.
        paid = round(rng.uniform(2, 12) * self.scale) if rng.random() < 0.08 else 0
        lost = round(org.daily_unfollows * rng.uniform(0.3, 1.7))
        return organic, paid, lost

    def follower_count(self, organization_id: str, now: datetime) -> int:
        """`firstDegreeSize`: followers at the end of the last complete UTC day before `now`."""

        def net_follows(on: date) -> int:
            organic, paid, lost = self._follower_day(organization_id, on)
            return organic + paid - lost

        org = self.organization(organization_id)
        last_day = now.astimezone(UTC).date() - _DAY
        return self.running_total(organization_id, last_day, org.followers_at_start, net_follows)


# -- the API --------------------------------------------------------------------------------


class LinkedInError(ApiError):
    """An error the sandbox answers with, in LinkedIn's error body shape."""

    def __init__(self, status: int, code: str, message: str, service_error_code: int | None = None) -> None:
        super().__init__(status, message)
        self.code, self.message, self.service_error_code = code, message, service_error_code

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status}
        if self.service_error_code is not None:
            body["serviceErrorCode"] = self.service_error_code
        body.update(code=self.code, message=self.message)
        return body


def _bad_request(message: str, code: str = "PARAM_INVALID") -> LinkedInError:
    return LinkedInError(400, code, message)


@dataclass(frozen=True)
class _Route:
    kind: str  # the endpoint kind calls are counted under
    resource: str  # LinkedIn's resource name, used in permission messages
    key: str = ""  # the URN in the path (networkSizes)


@dataclass(frozen=True)
class _Interval:
    start: int
    end: int
    granularity: str

    def described(self) -> str:
        return f"[{{timeGranularityType={self.granularity}, timeRange={{start={self.start}, end={self.end}}}}}]"


def _route(path: str) -> _Route | None:
    if not path.startswith("/rest/"):
        return None
    rest = path[len("/rest/") :].rstrip("/")
    if rest == "organizationalEntityShareStatistics":
        return _Route("share_statistics", rest)
    if rest == "organizationalEntityFollowerStatistics":
        return _Route("follower_statistics", rest)
    if rest == "posts":
        return _Route("posts", rest)
    if rest.startswith("networkSizes/") and rest.count("/") == 1:
        return _Route("network_sizes", "networkSizes", unquote(rest.split("/", 1)[1]))
    return None


class LinkedInSandbox(PlatformSandbox[LinkedInWorld]):
    """The LinkedIn Community Management API for one `LinkedInWorld`, under the `/rest` prefix:
    `active_versions` are the LinkedIn-Version months it serves, `statistics_lag_days` how long a
    day's statistics take to be final, `denied_tokens` valid tokens of a member who does not
    administer the page (see the module docstring for the rest)."""

    LABEL = "LinkedIn API sandbox"
    WORLD = LinkedInWorld
    TOKEN = DEFAULT_TOKEN
    MALFORMED_BODY = b'{"paging":{"start":0,"count":10,"links":[]},"elements":[{"organizationalEnt'

    def __init__(
        self,
        *,
        denied_tokens: Iterable[str] = (),
        active_versions: Iterable[str] = DEFAULT_ACTIVE_VERSIONS,
        statistics_lag_days: int = DEFAULT_STATISTICS_LAG_DAYS,
        **sandbox: Any,
    ) -> None:
        super().__init__(**sandbox)
        self.denied_tokens = set(denied_tokens)
        self.valid_tokens |= self.denied_tokens
        self.expired_tokens: set[str] = set()
        self.active_versions = frozenset(active_versions)
        self.statistics_lag_days = statistics_lag_days

    @property
    def base_url(self) -> str:
        """What a connection's host is set to: the counterpart of https://api.linkedin.com/rest."""
        return f"{self.url}/rest"

    def expire_token(self, token: str) -> None:
        """Let a token run out, as every access token does 60 days after it was issued."""
        self.valid_tokens.discard(token)
        self.expired_tokens.add(token)

    # -- request handling ---------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        route = _route(path)
        number = self.next_call(route.kind if route else "unknown")
        fault = self.scheduled_fault(number)
        if fault is not None:
            return fault
        token = self._authorise(headers)
        version = self._version(headers)
        if route is None:
            raise LinkedInError(404, "RESOURCE_NOT_FOUND", f"No virtual resource found for {path}")
        if method != "GET":
            raise LinkedInError(405, "METHOD_NOT_ALLOWED", f"{method} is not supported on {route.resource}")
        params = dict(parse_qsl(query, keep_blank_values=True))
        return json_reply(200, self._answer(route, params, token, version))

    def internal_error(self) -> Reply:
        return json_reply(500, {"status": 500, "message": "Internal Server Error"})

    def common_headers(self) -> dict[str, str]:
        return {"x-restli-protocol-version": "2.0.0", "x-li-uuid": _request_id()}

    def scheduled_answer(self, fault: str, number: int, **call: Any) -> Reply | None:
        if fault == "throttle":
            # LinkedIn sends no Retry-After and no usage headers with a throttle.
            return LinkedInError(
                429,
                "TOO_MANY_REQUESTS",
                "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
            ).reply()
        if fault == "transient":
            return json_reply(503, {"status": 503, "message": "Service Unavailable"})
        return super().scheduled_answer(fault, number)

    def _authorise(self, headers: dict[str, str]) -> str:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise LinkedInError(401, "EMPTY_ACCESS_TOKEN", "Empty oauth2 access token", 65604)
        if token in self.expired_tokens:
            raise LinkedInError(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65602)
        if token not in self.valid_tokens:
            raise LinkedInError(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        return token

    def _version(self, headers: dict[str, str]) -> str:
        raw = headers.get("linkedin-version", "").strip()
        if not raw:
            raise _bad_request(
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                code="VERSION_MISSING",
            )
        match = _VERSION.match(raw)
        if match is None or match.group(1) not in self.active_versions:
            shown = f"{match.group(1)}01" if match else raw
            raise LinkedInError(426, "NONEXISTENT_VERSION", f"Requested version {shown} is not active")
        if headers.get("x-restli-protocol-version") != "2.0.0":
            raise _bad_request("This API requires the header X-Restli-Protocol-Version: 2.0.0")
        return match.group(1)

    # -- endpoints ----------------------------------------------------------------------------

    def _answer(self, route: _Route, params: dict[str, str], token: str, version: str) -> dict[str, Any]:
        if route.kind == "network_sizes":
            return self._network_size(route, params, token, version)
        if route.kind == "posts":
            return self._posts(route, params, token, version)
        return self._statistics(route, params, token, version)

    def _organization(self, urn: str | None, token: str, denied: str, parameter: str) -> Organization:
        """The organisation a URN names, if the token's member administers it."""
        match = _ORG_URN.match(urn or "")
        if match is None:
            raise _bad_request(f"Invalid {parameter} parameter: {urn!r} is not an organization URN")
        org = self.world.accounts.get(match.group(1))
        if org is None or token in self.denied_tokens:
            raise LinkedInError(403, "ACCESS_DENIED", f"Not enough permissions to access: {denied}", 100)
        return org

    def _statistics(self, route: _Route, params: dict[str, str], token: str, version: str) -> dict[str, Any]:
        if params.get("q") != "organizationalEntity":
            raise _bad_request(
                f"Invalid finder name {params.get('q')!r} for {route.resource}", "QUERY_PARAM_NOT_ALLOWED"
            )
        denied = f"{route.resource}.FINDER-organizationalEntity.{version}01"
        org = self._organization(params.get("organizationalEntity"), token, denied, "organizationalEntity")
        interval = _time_interval(params)
        if interval is None:
            elements = [self._lifetime(route, org)]
        else:
            self._check_interval(interval)
            elements = [self._day_element(route, org, start) for start in range(interval.start, interval.end, _DAY_MS)]
        return {"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements}

    def _check_interval(self, interval: _Interval) -> None:
        def invalid(reason: str) -> LinkedInError:
            return _bad_request(f"Invalid timeIntervals parameter {interval.described()}. {reason}")

        if interval.granularity not in ("DAY", "MONTH"):
            raise invalid("timeGranularityType must be DAY or MONTH.")
        if interval.granularity != "DAY":
            raise invalid("The sandbox serves DAY granularity only.")
        if interval.end <= interval.start:
            raise invalid("Start time must be before end time.")
        if interval.start % _DAY_MS or interval.end % _DAY_MS:
            raise invalid("For DAY granularity the time range must start and end at midnight UTC.")
        now = self.now()
        if interval.start < epoch_ms(now - timedelta(days=STATISTICS_HISTORY_DAYS)):
            raise invalid("Start time must be within the past 12 months.")
        if interval.end > epoch_ms(now - timedelta(days=self.statistics_lag_days)):
            raise invalid(f"End time must be at least {self.statistics_lag_days} days before the current time.")

    def _day_element(self, route: _Route, org: Organization, start_ms: int) -> dict[str, Any]:
        day = from_epoch_ms(start_ms).date()
        element: dict[str, Any] = {
            "organizationalEntity": org.urn,
            "timeRange": {"start": start_ms, "end": start_ms + _DAY_MS},
        }
        if route.kind == "follower_statistics":
            element["followerGains"] = self.world.follower_gains(org.id, day)
        else:
            element["totalShareStatistics"] = _share_block(self.world.share_statistics(org.id, day))
        return element

    def _lifetime(self, route: _Route, org: Organization) -> dict[str, Any]:
        if route.kind == "follower_statistics":
            # Demographic breakdowns are not modelled: the lists are present and empty.
            facets = ("AssociationType", "Seniority", "Industry", "Function", "StaffCountRange", "GeoCountry", "Geo")
            return {"organizationalEntity": org.urn, **{f"followerCountsBy{facet}": [] for facet in facets}}
        now = self.now()
        totals = dict.fromkeys(POST_METRICS, 0)
        for post in self.world.listing(org.id, now):
            for name, value in self.world.post_metrics(post, now).items():
                totals[name] += value
        return {"organizationalEntity": org.urn, "totalShareStatistics": _share_block(totals)}

    def _network_size(self, route: _Route, params: dict[str, str], token: str, version: str) -> dict[str, Any]:
        edge = params.get("edgeType")
        if edge != EDGE_TYPE:
            raise _bad_request(f"Invalid edgeType {edge!r}: expected {EDGE_TYPE}")
        org = self._organization(route.key, token, f"networkSizes.GET.{version}01", "networkSizes key")
        return {"firstDegreeSize": self.world.follower_count(org.id, self.now())}

    def _posts(self, route: _Route, params: dict[str, str], token: str, version: str) -> dict[str, Any]:
        if params.get("q") != "author":
            raise _bad_request(f"Invalid finder name {params.get('q')!r} for posts", "QUERY_PARAM_NOT_ALLOWED")
        org = self._organization(
            params.get("author"), token, f"partnerApiPostsExternal.FINDER-author.{version}01", "author"
        )
        count = min(_int_param(params, "count", DEFAULT_POSTS_COUNT), MAX_POSTS_COUNT)
        start = _int_param(params, "start", 0)
        if count < 1 or start < 0:
            raise _bad_request("count must be positive and start must not be negative")
        sort_by = params.get("sortBy", "LAST_MODIFIED")
        if sort_by not in ("LAST_MODIFIED", "CREATED"):
            raise _bad_request(f"Invalid sortBy {sort_by!r}: expected LAST_MODIFIED or CREATED")
        now = self.now()
        listing = self.world.listing(org.id, now, sort_by)
        page = listing[start : start + count]
        links = []
        link_params = {"author": org.urn, "count": str(count), "q": "author"}
        if "sortBy" in params:
            link_params["sortBy"] = sort_by
        if start > 0:
            previous = {**link_params, "start": str(max(0, start - count))}
            links.append({"type": "application/json", "rel": "prev", "href": f"/rest/posts?{urlencode(previous)}"})
        if start + count < len(listing):
            following = {**link_params, "start": self.next_cursor(str(start) if start else None, str(start + count))}
            links.append({"type": "application/json", "rel": "next", "href": f"/rest/posts?{urlencode(following)}"})
        return {
            "paging": {"start": start, "count": count, "links": links, "total": len(listing)},
            "elements": [_post_node(post, self.world.organization(post.organization_id), now) for post in page],
        }


def _share_block(counts: Mapping[str, int]) -> dict[str, Any]:
    engaged = counts["clickCount"] + counts["likeCount"] + counts["commentCount"] + counts["shareCount"]
    return {
        "uniqueImpressionsCount": counts["uniqueImpressionsCount"],
        "shareCount": counts["shareCount"],
        "shareMentionsCount": 0,
        "engagement": engaged / counts["impressionCount"] if counts["impressionCount"] else 0.0,
        "clickCount": counts["clickCount"],
        "likeCount": counts["likeCount"],
        "impressionCount": counts["impressionCount"],
        "commentMentionsCount": 0,
        "commentCount": counts["commentCount"],
    }


def _post_node(post: LinkedInPost, org: Organization, now: datetime) -> dict[str, Any]:
    modified = post.last_modified(now)
    node: dict[str, Any] = {
        "id": post.urn,
        "author": org.urn,
        "commentary": post.commentary,
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "lifecycleStateInfo": {"isEditedByAuthor": modified != post.published_at},
        "isReshareDisabledByAuthor": False,
        "createdAt": epoch_ms(post.created_at),
        "publishedAt": epoch_ms(post.published_at),
        "lastModifiedAt": epoch_ms(modified),
    }
    media_id = base64.b32encode(post.number.to_bytes(8, "big")).decode().rstrip("=")
    if post.kind == "article":
        node["content"] = {"article": {"source": post.link, "title": post.title, "description": ""}}
    elif post.kind == "image":
        node["content"] = {"media": {"id": f"urn:li:image:D4E{media_id}", "altText": ""}}
    elif post.kind in ("video", "document"):
        node["content"] = {"media": {"id": f"urn:li:{post.kind}:D4E{media_id}", "title": post.title}}
    return node


def _time_interval(params: dict[str, str]) -> _Interval | None:
    """The time interval of a statistics finder, in either Rest.li syntax, or None (lifetime)."""
    if "timeIntervals" in params:
        raw = params["timeIntervals"]
        found = {name: re.search(rf"{name}:([A-Z]+|-?\d+)", raw) for name in ("start", "end", "timeGranularityType")}
        values = {name: match.group(1) if match else None for name, match in found.items()}
    elif any(name.startswith("timeIntervals.") for name in params):
        values = {
            "start": params.get("timeIntervals.timeRange.start"),
            "end": params.get("timeIntervals.timeRange.end"),
            "timeGranularityType": params.get("timeIntervals.timeGranularityType"),
        }
    else:
        return None
    try:
        return _Interval(int(values["start"] or ""), int(values["end"] or ""), values["timeGranularityType"] or "")
    except ValueError:
        raise _bad_request(
            "Invalid timeIntervals parameter: timeRange.start and timeRange.end (epoch milliseconds) and "
            "timeGranularityType are required"
        ) from None


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    return int_param(
        params,
        name,
        default,
        lambda raw: _bad_request(f"Invalid value {raw!r} for parameter {name}: expected an integer"),
    )


def _request_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes).decode()


# -- the call budget ------------------------------------------------------------------------

POSTS_PER_PAGE = MAX_POSTS_COUNT


def minimum_calls(
    world: LinkedInWorld,
    now: datetime,
    source: LinkedIn,
    windows: Windows,
    partition_date: date,
    has_history: bool,
) -> dict[str, int]:
    """The fewest calls one run over every configured organisation needs, from the world's ground truth.

    Statistics: one share and one follower call per organisation, as a run's statistics window fits
    in the API's 12-month range. Posts: the pages of 100, newest first by `lastModifiedAt`, up to and
    including the first post last modified before the window starts (it proves the rest are older),
    or to the end of the listing."""
    window = extraction_window(partition_date, has_history, windows.backfill_days, windows.lookback_days)
    since = world.day_start(window.start)
    calls = dict.fromkeys(("share_statistics", "follower_statistics", "network_sizes", "posts"), 0)
    for account in source.accounts:
        calls["share_statistics"] += 1
        calls["follower_statistics"] += 1
        calls["network_sizes"] += 1
        listing = world.listing(account.id, now)
        recent = sum(1 for post in listing if post.last_modified(now) >= since)
        if recent < len(listing):
            calls["posts"] += recent // POSTS_PER_PAGE + 1
        else:
            calls["posts"] += max(1, math.ceil(len(listing) / POSTS_PER_PAGE))
    return calls


def _from_registry(world_seed: int, scale: float, now: datetime | None, **options: Any) -> LinkedInSandbox:
    return LinkedInSandbox(world=LinkedInWorld(seed=world_seed, scale=scale), now=now, **options)


register("linkedin", _from_registry, "valid_tokens", "denied_tokens", "active_versions", "statistics_lag_days")
