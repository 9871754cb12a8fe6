"""A local stand-in for the X API v2, answering from a seeded model of Cedar Valley Health on X.

Served: `GET /2/users/{id}` (user.fields=public_metrics), the owned timeline
`GET /2/users/{id}/tweets` (newest first, 5-100 a page, `start_time` inclusive and `end_time`
exclusive, `since_id`/`until_id`, paging through `meta.next_token`, only the 3,200 most recent posts
reachable), and the lookups `GET /2/tweets?ids=` (up to 100 ids) and `GET /2/tweets/{id}`. Posts
deleted by their author come back from a lookup as partial errors inside a 200, as on the real API.

Errors are problem-JSON bodies; rate limits are 15-minute windows per endpoint reported in
`x-rate-limit-limit` / `x-rate-limit-remaining` / `x-rate-limit-reset` (epoch seconds), and a spent
window answers 429 until its reset. Rate-limit windows run on the wall clock, whatever the world's
fixed `now`, because a client waits in real time.

Faults: `throttle_every=N` shrinks every endpoint's window to N-1 calls, so every Nth call to an
endpoint is answered 429; the reset then lies `reset_seconds` ahead (0 reports it as "now", so a
test never has to wait), and the window also ends with its 429, as if the client had waited until
the reset. `transient_every` answers 503, `server_error_every` an HTML 502 from the edge,
`malformed_every` a truncated body. A token in `valid_tokens` is accepted, one in
`unenrolled_tokens` belongs to an App outside a Project (403 client-not-enrolled), any other is
refused with 401. `monthly_post_cap` > 0 makes the post-reading endpoints answer the monthly usage
cap's 429 once that many posts were served."""

from __future__ import annotations

import math
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sandbox.base import ApiError, PlatformSandbox, Reply, json_reply
from sandbox.registry import register
from sandbox.world import (
    SAVE_EFFECT,
    SHARE_EFFECT,
    PlatformWorld,
    draw_message,
    lifetime_fraction,
    post_reach,
    seeded_ids,
)
from sources.x import X

DEFAULT_TOKEN = "sandbox-token-x"
USER_ID = seeded_ids("x")[0]
TIMELINE_REACH = 3200  # the owned timeline reaches only this many of the most recent posts
MAX_IDS = 100
MIN_RESULTS, MAX_RESULTS, DEFAULT_RESULTS = 5, 100, 10
WINDOW_SECONDS = 15 * 60
# Requests per 15-minute window with app-only authentication, per endpoint kind.
RATE_LIMITS: Mapping[str, int] = {"users": 300, "user_tweets": 1500, "tweets_lookup": 450, "tweet": 450}
PUBLIC_METRICS = ("retweet_count", "reply_count", "like_count", "quote_count", "impression_count", "bookmark_count")

# Post ids are snowflakes: milliseconds since the X epoch, a worker and a sequence number, so an id
# says when its post was created and ids sort like creation times.
_X_EPOCH_MS = 1288834974657
_WORKER = 42
_PROBLEMS = "https://api.twitter.com/2/problems"
_TWEET_FIELDS = frozenset(
    [
        "article",
        "attachments",
        "author_id",
        "card_uri",
        "community_id",
        "context_annotations",
        "conversation_id",
        "created_at",
        "display_text_range",
        "edit_controls",
        "edit_history_tweet_ids",
        "entities",
        "geo",
        "id",
        "in_reply_to_user_id",
        "lang",
        "media_metadata",
        "non_public_metrics",
        "note_tweet",
        "organic_metrics",
        "possibly_sensitive",
        "promoted_metrics",
        "public_metrics",
        "referenced_tweets",
        "reply_settings",
        "scopes",
        "source",
        "text",
        "withheld",
    ]
)
_USER_FIELDS = frozenset(
    [
        "affiliation",
        "connection_status",
        "created_at",
        "description",
        "entities",
        "id",
        "location",
        "most_recent_tweet_id",
        "name",
        "pinned_tweet_id",
        "profile_banner_url",
        "profile_image_url",
        "protected",
        "public_metrics",
        "receives_your_dm",
        "subscription_type",
        "url",
        "username",
        "verified",
        "verified_type",
        "withheld",
    ]
)
_EXPANSION_PARAMS = ("expansions", "tweet.fields", "user.fields", "media.fields", "place.fields", "poll.fields")
_PARAMS = {
    "users": frozenset(_EXPANSION_PARAMS),
    "user_tweets": frozenset(
        {"max_results", "pagination_token", "start_time", "end_time", "since_id", "until_id", "exclude"}
        | set(_EXPANSION_PARAMS)
    ),
    "tweets_lookup": frozenset({"ids", *_EXPANSION_PARAMS}),
    "tweet": frozenset(_EXPANSION_PARAMS),
}
_ID = re.compile(r"^[0-9]{1,19}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$")
_POSTING_HOURS = {7: 3, 8: 6, 9: 6, 10: 5, 11: 5, 12: 6, 13: 4, 14: 4, 15: 4, 16: 4, 17: 3, 18: 3, 19: 2}
_HASHTAGS = ("#HealthTips", "#CedarValley", "#PublicHealth", "#Wellness", "")


# -- the world ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class XAccount:
    id: str
    username: str
    name: str
    website: str
    audience: int  # impressions a typical post earns; drives every post metric
    followers_at_start: int
    daily_follows: float
    daily_unfollows: float
    following_at_start: int
    posts_before_start: int  # tweet_count on the world's first day
    listed_per_follower: float


@dataclass(frozen=True, eq=False)
class XPost:
    id: str
    user_id: str
    created_time: datetime  # UTC, whole seconds
    text: str
    campaign_id: str | None
    intent: str  # what the post sets out to do (sandbox.world.INTENTS), the ground truth
    deleted_at: datetime | None  # the author deletes a few posts (a typo, an outdated event)
    final: Mapping[str, int]  # public metrics once the post is mature


def snowflake_time(post_id: str) -> datetime | None:
    """When the post with this id was created (to the millisecond), or None for a malformed id."""
    if not _ID.match(post_id):
        return None
    return datetime.fromtimestamp(((int(post_id) >> 22) + _X_EPOCH_MS) / 1000, UTC)


class XWorld(PlatformWorld[XAccount, XPost]):
    """Cedar Valley Health on X: every value a pure function of (seed, account, day), computed on
    demand, except the deletions a test makes with `delete_post`.

    Posts are original posts (no replies or reposts), 0-4 a day, about 45% promoting a campaign
    (more in a campaign push, fewer in a quiet week) with `utm_campaign=<campaign id>` in the link. Public metrics grow along the shared lifetime curve
    (`sandbox.world.lifetime_fraction`), so a later read is never lower than an earlier one."""

    rng_namespace = "x"
    NOUN = "X account"
    SEEDS = ("x", XAccount)

    def __init__(self, **world: Any) -> None:
        super().__init__(**world)
        self._lock = threading.Lock()
        self._deleted: dict[str, datetime] = {}

    # -- posts ----------------------------------------------------------------------------------

    def publish(self, account: XAccount, day: date, rng: random.Random) -> tuple[XPost, ...]:
        """Every post created on local `day`, deleted ones included, oldest first."""
        weights = (30, 40, 20, 8, 2) if day.weekday() >= 5 else (6, 26, 36, 22, 10)
        count = round(rng.choices((0, 1, 2, 3, 4), weights=weights)[0] * self.scale)
        hours = rng.choices(list(_POSTING_HOURS), weights=list(_POSTING_HOURS.values()), k=count)
        local_times = sorted(
            datetime.combine(day, clock_time(h, rng.randrange(60), rng.randrange(60)), tzinfo=self.tz) for h in hours
        )
        return tuple(self._make_post(account, day, rank, local, rng) for rank, local in enumerate(local_times))

    def _make_post(self, account: XAccount, day: date, rank: int, local: datetime, rng: random.Random) -> XPost:
        created = local.astimezone(UTC)
        millis = int(created.timestamp()) * 1000 + rng.randrange(1000)
        post_id = str(((millis - _X_EPOCH_MS) << 22) | (_WORKER << 12) | rank)
        campaign = self.campaign_post(day, rng, 0.45)
        hashtag = rng.choice(_HASHTAGS)
        said = draw_message(rng, campaign)
        if campaign is not None:
            query = urlencode({"utm_source": "x", "utm_medium": "social", "utm_campaign": campaign.id})
            text = f"{said.text} {account.website}/{campaign.id}?{query}"
        else:
            text = said.text
            if rng.random() < 0.3:
                text += f" {account.website}/news/{day.isoformat()}"
        if hashtag:
            text += f" {hashtag}"
        has_media = rng.random() < 0.55
        deleted_at = created + timedelta(hours=rng.uniform(2, 96)) if rng.random() < 0.015 else None
        return XPost(
            post_id,
            account.id,
            created,
            text,
            campaign.id if campaign else None,
            said.intent,
            deleted_at,
            self._final_metrics(account, has_media, said.intent, rng),
        )

    @staticmethod
    def _final_metrics(account: XAccount, has_media: bool, intent: str, rng: random.Random) -> dict[str, int]:
        impressions = post_reach(rng, account.audience, (0.08, 0.35), 1.4 if has_media else 1.0)
        likes = impressions * rng.uniform(0.004, 0.016)
        reposts = likes * rng.uniform(0.1, 0.35) * SHARE_EFFECT[intent]
        return {
            "impression_count": round(impressions),
            "like_count": round(likes),
            "retweet_count": round(reposts),
            "reply_count": round(likes * rng.uniform(0.03, 0.15)),
            "quote_count": round(reposts * rng.uniform(0.0, 0.15)),
            "bookmark_count": round(likes * rng.uniform(0.02, 0.12) * SAVE_EFFECT[intent]),
        }

    def delete_post(self, post_id: str, at: datetime) -> None:
        """The author deletes a post at `at` (for tests of posts that disappear after landing)."""
        with self._lock:
            self._deleted[post_id] = at

    def deleted_at(self, post: XPost) -> datetime | None:
        with self._lock:
            extra = self._deleted.get(post.id)
        times = [t for t in (post.deleted_at, extra) if t is not None]
        return min(times) if times else None

    def exists(self, post: XPost, now: datetime) -> bool:
        deleted = self.deleted_at(post)
        return post.created_time <= now and (deleted is None or deleted > now)

    def timeline(self, user_id: str, now: datetime) -> Iterator[XPost]:
        """The posts the owned timeline reaches at `now`: the TIMELINE_REACH most recent, newest first."""
        self.account(user_id)
        reached, day = 0, self.local_day(now)
        while day >= self.start and reached < TIMELINE_REACH:
            for post in reversed(self.posts_on(user_id, day)):
                if self.exists(post, now):
                    yield post
                    reached += 1
                    if reached == TIMELINE_REACH:
                        return
            day -= timedelta(days=1)

    def posts(self, user_id: str, start_day: date, end_day: date, now: datetime) -> list[XPost]:
        """Posts created on local days start_day..end_day (inclusive) that exist at `now`, oldest first."""
        out = []
        day = max(start_day, self.start)
        while day <= end_day:
            out += [p for p in self.posts_on(user_id, day) if self.exists(p, now)]
            day += timedelta(days=1)
        return out

    def post(self, post_id: str, now: datetime) -> XPost | None:
        """The post with this id, if it exists at `now`."""
        created = snowflake_time(post_id)
        if created is None:
            return None
        day = self.local_day(created)
        for user_id in self.accounts:
            for post in self.posts_on(user_id, day):
                if post.id == post_id:
                    return post if self.exists(post, now) else None
        return None

    def post_metrics(self, post: XPost, at: datetime) -> dict[str, int]:
        """The public metrics of a post as seen at `at`."""
        fraction = lifetime_fraction(at - post.created_time)
        return {name: int(post.final[name] * fraction) for name in PUBLIC_METRICS}

    # -- the account ----------------------------------------------------------------------------

    def _followers_at_end_of(self, user_id: str, day: date) -> int:
        account = self.account(user_id)

        def net_follows(on: date) -> int:
            rng = self._rng("follows", user_id, on.isoformat())
            return round(account.daily_follows * rng.uniform(0.4, 1.6)) - round(
                account.daily_unfollows * rng.uniform(0.4, 1.6)
            )

        return self.running_total(user_id, day, account.followers_at_start, net_follows)

    def user_metrics(self, user_id: str, now: datetime) -> dict[str, int]:
        """The account's public metrics at `now`; followers as of the end of the last full local day."""
        account = self.account(user_id)
        today = self.local_day(now)
        followers = self._followers_at_end_of(user_id, today - timedelta(days=1))
        posted = sum(
            self.exists(p, now)
            for offset in range((today - self.start).days + 1)
            for p in self.posts_on(user_id, self.start + timedelta(days=offset))
        )
        return {
            "followers_count": followers,
            "following_count": account.following_at_start + max(0, (today - self.start).days) // 9,
            "tweet_count": account.posts_before_start + posted,
            "listed_count": round(followers * account.listed_per_follower),
        }


# -- the API --------------------------------------------------------------------------------------


class XProblem(ApiError):
    """An error the sandbox answers with, as an X problem-JSON body."""

    def __init__(self, status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any) -> None:
        super().__init__(status, detail)
        self.title, self.detail, self.type, self.extra = title, detail, type_, extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"title": self.title, "detail": self.detail, "type": self.type, **self.extra}
        if self.type == "about:blank":
            body["status"] = self.status
        return body


def _invalid(parameter: str, value: str, message: str) -> XProblem:
    return XProblem(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        f"{_PROBLEMS}/invalid-request",
        errors=[{"parameters": {parameter: [value]}, "message": message}],
    )


def _not_found(resource_type: str, parameter: str, value: str) -> dict[str, Any]:
    """A partial error: the resource is not there (deleted, or never was), the rest of the answer stands."""
    return {
        "value": value,
        "detail": f"Could not find {resource_type} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": f"{_PROBLEMS}/resource-not-found",
    }


def _unauthorized() -> XProblem:
    return XProblem(401, "Unauthorized", "Unauthorized")


def _client_forbidden() -> XProblem:
    return XProblem(
        403,
        "Client Forbidden",
        "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a "
        "Twitter developer App that is attached to a Project. You can create a project via the developer portal.",
        f"{_PROBLEMS}/client-forbidden",
        client_id="28817451",
        registration_url="https://developer.twitter.com/en/docs/projects/overview",
        required_enrollment="Appropriate Level of API Access",
        reason="client-not-enrolled",
    )


def _too_many_requests(headers: dict[str, str]) -> XProblem:
    problem = XProblem(429, "Too Many Requests", "Too Many Requests")
    problem.headers = headers
    return problem


def _usage_capped() -> XProblem:
    return XProblem(
        429,
        "UsageCapExceeded",
        "Usage cap exceeded: Monthly product cap",
        f"{_PROBLEMS}/usage-capped",
        period="Monthly",
        scope="Product",
    )


def _no_such_path() -> XProblem:
    return XProblem(404, "Not Found Error", "Sorry, that page does not exist.", f"{_PROBLEMS}/resource-not-found")


@dataclass
class _Window:
    limit: int
    remaining: int
    reset_epoch: int
    over: bool = False  # closed by its 429 (throttle_every): the next call opens a new one


@dataclass(frozen=True)
class _Route:
    kind: str
    object_id: str = ""


class XSandbox(PlatformSandbox[XWorld]):
    """The X API v2 for one `XWorld` on a loopback port (see the module docstring for the faults).

    `calls` counts every call per endpoint kind ("users", "user_tweets", "tweets_lookup", "tweet"),
    faulted ones included; "throttled" and "faults" count the faulted ones. `wall_clock` is the
    rate-limit windows' clock (epoch seconds), for tests that step over a reset without waiting."""

    LABEL = "X API sandbox"
    WORLD = XWorld
    TOKEN = DEFAULT_TOKEN
    MALFORMED_BODY = b'{"data":[{"id":"1","text":"Flu shots are'

    def __init__(
        self,
        *,
        reset_seconds: int = 2,
        unenrolled_tokens: Iterable[str] = (),
        monthly_post_cap: int = 0,
        wall_clock: Callable[[], float] = time.time,
        **sandbox: Any,
    ) -> None:
        super().__init__(**sandbox)
        if reset_seconds < 0:
            raise ValueError("reset_seconds must not be negative")
        self.reset_seconds = reset_seconds
        self.unenrolled_tokens = set(unenrolled_tokens)
        self.monthly_post_cap = monthly_post_cap
        self.posts_served = 0
        self._wall_clock = wall_clock
        self._windows: dict[str, _Window] = {}

    # -- request handling ---------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        route = _route(path) if method == "GET" else None
        number = self.next_call(route.kind if route else "unknown")
        fault = self.scheduled_fault(number)
        if fault is not None:
            return fault
        rate_headers: dict[str, str] = {}
        try:
            self._authenticate(headers)
            if route is None:
                raise _no_such_path()
            rate_headers = self._spend(route.kind)
            params = parse_qsl(query, keep_blank_values=True)
            answer = self._answer(route, _params(route.kind, params))
        except XProblem as problem:
            return problem.reply(rate_headers)
        return json_reply(200, answer, rate_headers)

    def internal_error(self) -> Reply:
        return XProblem(500, "Internal Server Error", "Internal Server Error").reply()

    def common_headers(self) -> dict[str, str]:
        return {"x-transaction-id": uuid.uuid4().hex[:16]}

    def scheduled_answer(self, fault: str, number: int, **call: Any) -> Reply | None:
        if fault == "throttle":
            return None  # the rate-limit windows throttle: see _spend
        if fault == "transient":
            return XProblem(503, "Service Unavailable", "Service Unavailable").reply()
        return super().scheduled_answer(fault, number)

    def _authenticate(self, headers: dict[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token in self.valid_tokens:
            return
        if scheme.lower() == "bearer" and token in self.unenrolled_tokens:
            raise _client_forbidden()
        raise _unauthorized()

    def _spend(self, kind: str) -> dict[str, str]:
        """Count the call against its endpoint's window; raise 429 when the window is spent."""
        throttling = self.throttle_every > 0
        with self.lock:
            now = self._wall_clock()
            window = self._windows.get(kind)
            # With reset_seconds = 0 the reset is "now" at once: only the 429 ends such a window.
            expired = window is not None and now >= window.reset_epoch and (not throttling or self.reset_seconds > 0)
            if window is None or window.over or expired:
                limit = self.throttle_every - 1 if throttling else RATE_LIMITS[kind]
                seconds = self.reset_seconds if throttling else WINDOW_SECONDS
                window = self._windows[kind] = _Window(limit, limit, int(now) + seconds)
            headers = {
                "x-rate-limit-limit": str(window.limit),
                "x-rate-limit-reset": str(window.reset_epoch),
            }
            if window.remaining == 0:
                window.over = throttling
                self.calls["throttled"] += 1
                headers["x-rate-limit-remaining"] = "0"
                raise _too_many_requests(headers)
            window.remaining -= 1
            headers["x-rate-limit-remaining"] = str(window.remaining)
            return headers

    def _serve_posts(self, count: int) -> None:
        with self.lock:
            if self.monthly_post_cap and self.posts_served >= self.monthly_post_cap:
                self.calls["faults"] += 1
                raise _usage_capped()
            self.posts_served += count

    # -- endpoints ----------------------------------------------------------------------------

    def _answer(self, route: _Route, params: dict[str, str]) -> dict[str, Any]:
        if route.kind == "users":
            return self._user(route.object_id, params)
        if route.kind == "user_tweets":
            return self._user_tweets(route.object_id, params)
        if route.kind == "tweet":
            _check_id("id", route.object_id)
            return self._lookup([route.object_id], params, single=True)
        ids = [i for i in params.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= MAX_IDS:
            raise _invalid(
                "ids",
                params.get("ids", ""),
                f"The number of values in the `ids` query parameter list [{len(ids)}] is not between 1 and {MAX_IDS}",
            )
        for post_id in ids:
            _check_id("ids", post_id)
        return self._lookup(ids, params, single=False)

    def _user(self, user_id: str, params: dict[str, str]) -> dict[str, Any]:
        _check_id("id", user_id)
        fields = _fields(params, "user.fields", _USER_FIELDS)
        account = self.world.accounts.get(user_id)
        if account is None:
            return {"errors": [_not_found("user", "id", user_id)]}
        node: dict[str, Any] = {"id": account.id, "name": account.name, "username": account.username}
        if "public_metrics" in fields:
            node["public_metrics"] = self.world.user_metrics(user_id, self.now())
        if "url" in fields:
            node["url"] = account.website
        if "protected" in fields:
            node["protected"] = False
        return {"data": node}

    def _user_tweets(self, user_id: str, params: dict[str, str]) -> dict[str, Any]:
        _check_id("id", user_id)
        fields = _fields(params, "tweet.fields", _TWEET_FIELDS)
        raw_max = params.get("max_results", str(DEFAULT_RESULTS))
        if not raw_max.isdigit() or not MIN_RESULTS <= int(raw_max) <= MAX_RESULTS:
            raise _invalid(
                "max_results",
                raw_max,
                f"The `max_results` query parameter value [{raw_max}] is not between {MIN_RESULTS} and {MAX_RESULTS}",
            )
        start, end = _time_param(params, "start_time"), _time_param(params, "end_time")
        if start is not None and end is not None and start >= end:
            raise _invalid(
                "start_time",
                params["start_time"],
                f"Invalid 'start_time':'{params['start_time']}'. 'start_time' must be before 'end_time'",
            )
        since_id, until_id = _id_param(params, "since_id"), _id_param(params, "until_id")
        below = _decode_token(params["pagination_token"]) if "pagination_token" in params else None
        if user_id not in self.world.accounts:
            return {"errors": [_not_found("user", "id", user_id)], "meta": {"result_count": 0}}
        selected = []
        for post in self.world.timeline(user_id, self.now()):
            number = int(post.id)
            if start is not None and post.created_time < start:
                break  # newest first: nothing older can be in range
            if (
                (end is not None and post.created_time >= end)
                or (since_id is not None and number <= since_id)
                or (until_id is not None and number >= until_id)
                or (below is not None and number >= below)
            ):
                continue
            selected.append(post)
            if len(selected) > int(raw_max):
                break
        page, more = selected[: int(raw_max)], len(selected) > int(raw_max)
        self._serve_posts(len(page))
        meta: dict[str, Any] = {"result_count": len(page)}
        if not page:
            return {"meta": meta}
        meta.update(newest_id=page[0].id, oldest_id=page[-1].id)
        if more:
            meta["next_token"] = self.next_cursor(params.get("pagination_token"), _encode_token(int(page[-1].id)))
        return {"data": [self._post_node(p, fields) for p in page], "meta": meta}

    def _lookup(self, ids: list[str], params: dict[str, str], single: bool) -> dict[str, Any]:
        fields = _fields(params, "tweet.fields", _TWEET_FIELDS)
        now = self.now()
        found, errors = [], []
        for post_id in dict.fromkeys(ids):
            post = self.world.post(post_id, now)
            if post is None:
                errors.append(_not_found("tweet", "id" if single else "ids", post_id))
            else:
                found.append(post)
        self._serve_posts(len(found))
        body: dict[str, Any] = {}
        if found:
            nodes = [self._post_node(p, fields) for p in found]
            body["data"] = nodes[0] if single else nodes
        if errors:
            body["errors"] = errors
        return body

    def _post_node(self, post: XPost, fields: frozenset[str]) -> dict[str, Any]:
        node: dict[str, Any] = {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}
        if "created_at" in fields:
            node["created_at"] = post.created_time.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if "author_id" in fields:
            node["author_id"] = post.user_id
        if "conversation_id" in fields:
            node["conversation_id"] = post.id
        if "lang" in fields:
            node["lang"] = "en"
        if "public_metrics" in fields:
            node["public_metrics"] = self.world.post_metrics(post, self.now())
        return node


def _route(path: str) -> _Route | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "2":
        return None
    if parts[1] == "tweets":
        if len(parts) == 2:
            return _Route("tweets_lookup")
        if len(parts) == 3:
            return _Route("tweet", parts[2])
    if parts[1] == "users" and len(parts) == 3:
        return _Route("users", parts[2])
    if parts[1] == "users" and len(parts) == 4 and parts[3] == "tweets":
        return _Route("user_tweets", parts[2])
    return None


def _params(kind: str, pairs: list[tuple[str, str]]) -> dict[str, str]:
    allowed = _PARAMS[kind]
    for name, _ in pairs:
        if name not in allowed:
            raise _invalid(
                name, name, f"The query parameter [{name}] is not one of [{','.join(sorted(allowed | {'id'}))}]"
            )
    return dict(pairs)


def _fields(params: dict[str, str], name: str, known: frozenset[str]) -> frozenset[str]:
    fields = frozenset(f for f in params.get(name, "").split(",") if f)
    unknown = sorted(fields - known)
    if unknown:
        raise _invalid(
            name,
            unknown[0],
            f"The `{name}` query parameter value [{unknown[0]}] is not one of [{','.join(sorted(known))}]",
        )
    return fields


def _check_id(parameter: str, value: str) -> None:
    if not _ID.match(value):
        raise _invalid(parameter, value, f"The `{parameter}` query parameter value [{value}] is not valid")


def _id_param(params: dict[str, str], name: str) -> int | None:
    if name not in params:
        return None
    _check_id(name, params[name])
    return int(params[name])


def _time_param(params: dict[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not _RFC3339.match(raw):
        raise _invalid(name, raw, f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC3339 date-time")
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


# Opaque to clients, like the real tokens: the id of the last post served, in base 36, salted.
_TOKEN_SALT = 0x5A17_C0DE_D00D


def _encode_token(below_id: int) -> str:
    value, digits = below_id ^ _TOKEN_SALT, []
    while value:
        value, digit = divmod(value, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[digit])
    return "7140dibdnow9c7" + "".join(reversed(digits))


def _decode_token(token: str) -> int:
    try:
        if not token.startswith("7140dibdnow9c7"):
            raise ValueError(token)
        return int(token[len("7140dibdnow9c7") :], 36) ^ _TOKEN_SALT
    except ValueError:
        raise _invalid(
            "pagination_token", token, f"The `pagination_token` query parameter value [{token}] is not valid"
        ) from None


# -- the call budget ------------------------------------------------------------------------------


def minimum_calls(
    world: XWorld, now: datetime, source: X, partition_date: date, timeline_start: date, snapshot_days: int
) -> dict[str, int]:
    """The fewest calls one run can make for every account of `source`, from the world's ground truth:
    one user lookup, the owned timeline over local days timeline_start..partition_date in pages of
    `source.page_size` (one call even when empty), and the lookups that refresh the posts younger than
    `snapshot_days` which the timeline did not re-read, `source.refresh_batch_size` ids a call.
    (Posts landed earlier and deleted since are looked up too, but the world no longer counts them.)"""
    window_start, window_end = world.day_start(timeline_start), world.day_start(partition_date + timedelta(days=1))
    refresh_start = partition_date - timedelta(days=snapshot_days - 1)
    calls = {"users": 0, "user_tweets": 0, "tweets_lookup": 0}
    for account in source.accounts:
        listed = sum(window_start <= p.created_time < window_end for p in world.timeline(account.id, now))
        young = world.posts(account.id, refresh_start, timeline_start - timedelta(days=1), now)
        calls["users"] += 1
        calls["user_tweets"] += max(1, math.ceil(listed / source.page_size))
        calls["tweets_lookup"] += math.ceil(len(young) / source.refresh_batch_size)
    return calls


def _from_registry(world_seed: int, scale: float, now: datetime | None, **options: Any) -> XSandbox:
    return XSandbox(world=XWorld(seed=world_seed, scale=scale), now=now, **options)


register("x", _from_registry, "reset_seconds", "valid_tokens", "unenrolled_tokens", "monthly_post_cap")
