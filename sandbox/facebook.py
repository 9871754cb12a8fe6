"""Cedar Valley Health on Facebook: a seeded and deterministic model of its pages (`FacebookWorld`)
and a local stand-in for the Graph API (`GraphSandbox`) that answers Facebook Pages calls from it
and Instagram calls (the same host) from the Instagram world (`sandbox.instagram`).

Paths, parameters, response shapes, cursor and time paging, error bodies and usage headers follow
the real API (shared/reference/platform-apis.md), so pointing a connection's host at the real Graph
API is the only change an extractor needs. Faults can be injected (sandbox/faults.py), and every
call is counted per endpoint kind.

Served: `GET /{version}/{page-id}` (page fields), `/{page-id}/insights` (daily metrics, at most 90
days a call), `/{page-id}/published_posts` (cursor paged, newest first), `GET /{version}/{post-id}`
and `/{post-id}/insights` (lifetime metrics), the ids lookup `GET /{version}/?ids=` (up to 50 posts,
pages or Instagram media), and `debug_token` (sandbox/oauth.py)."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from core.windows import DateWindow
from sandbox.base import Reply
from sandbox.faults import Fault
from sandbox.graph import (
    MAX_LIMIT,
    UNEXPECTED_ERROR,
    VERSION,
    Field,
    GraphApi,
    GraphError,
    GraphRoute,
    access_token,
    adjacent_windows,
    cursor_page,
    day_param,
    decode_cursor,
    expired_session,
    graph_time,
    instant_param,
    lifetime_insights,
    metric_list,
    no_such_object,
    nonexisting_field,
    page_limit,
    parse_fields,
    unsupported,
)
from sandbox.instagram import INSTAGRAM_KINDS, INSTAGRAM_THROTTLES, InstagramGraph, InstagramWorld
from sandbox.oauth import GraphTokenInfo
from sandbox.registry import register
from sandbox.world import (
    SHARE_EFFECT,
    WEEKDAY_FACTOR,
    PlatformWorld,
    draw_message,
    lifetime_fraction,
    post_reach,
)
from sources.facebook_pages import FacebookPages

# -- the world ------------------------------------------------------------------------------------

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


# Post ids are "{page_id}_{number}"; the number encodes the day and the post's rank that day, so
# the server can find a post from its id and number order equals publishing order.
_POST_NUMBER_BASE = 122_100_000_000_000_000
_POSTS_PER_DAY_SLOTS = 100

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
    intent: str  # what the post sets out to do (sandbox.world.INTENTS), the ground truth
    final: Mapping[str, int]  # lifetime values once the post is mature

    @property
    def is_video(self) -> bool:
        return self.status_type == "added_video"


class FacebookWorld(PlatformWorld[Page, Post]):
    """Cedar Valley Health's Facebook pages, the ground truth the Graph sandbox serves. `scale`
    multiplies posts per day and audience sizes.

    Post lifetime metrics grow along `lifetime_fraction`. Page daily insights are built from the
    posts' growth within each local day plus the page's own baseline traffic, with weekly
    seasonality; followers are a running total of the daily follows and unfollows."""

    NOUN = "page"
    SEEDS = ("facebook", Page)

    def __init__(self, **world: Any) -> None:
        super().__init__(**world)
        # Facebook's accounts are pages.
        self.pages = self.accounts
        self._day_totals = lru_cache(maxsize=8192)(self._compute_day_totals)

    # -- posts --------------------------------------------------------------------------------

    def publish(self, page: Page, day: date, rng: random.Random) -> tuple[Post, ...]:
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
        campaign = self.campaign_post(day, rng, 0.6, page.service_line_weights)
        said = draw_message(rng, campaign, "pediatrics" if page.pediatric else "")
        if campaign is not None:
            query = urlencode({"utm_source": "facebook", "utm_medium": "social", "utm_campaign": campaign.id})
            link = f"{page.website}/{campaign.id}?{query}"
            message: str | None = f"{said.text} {link}"
        else:
            link = f"{page.website}/news/{day.isoformat()}" if rng.random() < 0.4 else None
            message = f"{said.text} {link}" if link else said.text
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
            intent=said.intent,
            final=self._final_values(page, status_type == "added_video", link is not None, said.intent, rng),
        )

    @staticmethod
    def _final_values(page: Page, video: bool, has_link: bool, intent: str, rng: random.Random) -> dict[str, int]:
        reach = post_reach(rng, page.audience, (0.05, 0.25), 1.3 if video else 1.0)
        views = reach * rng.uniform(1.15, 1.7)
        reactions = reach * rng.uniform(0.012, 0.045)
        return {
            "post_total_media_view_unique": round(reach),
            "post_media_view": round(views),
            "reactions": round(reactions),
            "comments": round(reactions * rng.uniform(0.04, 0.18)),
            "shares": round(reactions * rng.uniform(0.02, 0.14) * SHARE_EFFECT[intent]),
            "post_clicks": round(reach * (rng.uniform(0.01, 0.04) if has_link else rng.uniform(0.002, 0.01))),
            "post_video_views": round(views * rng.uniform(0.25, 0.55)) if video else 0,
        }

    def posts(self, page_id: str, start_day: date, end_day: date, now: datetime) -> list[Post]:
        """Posts published on local days start_day..end_day (inclusive) that exist at `now`, oldest first."""
        posts = self.newest_first(page_id, self.day_start(start_day), self.day_end(end_day), now)
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
        page = self.account(page_id)
        growth = self.day_growth(page_id, day, self.post_metrics, POST_LIFETIME_METRICS.keys() | set(POST_FIELD_COUNTS))
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

        def net_follows(on: date) -> int:
            totals = self._day_totals(page_id, on)
            return totals["page_daily_follows_unique"] - totals["page_daily_unfollows_unique"]

        return self.running_total(page_id, day, self.account(page_id).followers_at_start, net_follows)

    def followers_count(self, page_id: str, now: datetime) -> int:
        """Followers as the page's `followers_count` field shows them: at the end of the last full day."""
        return self._page_follows(page_id, self.local_day(now) - timedelta(days=1))

    def fan_count(self, page_id: str, now: datetime) -> int:
        """Page likes: a little below followers, as on most pages."""
        return round(self.followers_count(page_id, now) * 0.94)


# -- the Graph API --------------------------------------------------------------------------------

DEFAULT_TOKEN = "sandbox-page-token"
MAX_INSIGHTS_DAYS = 90
MAX_IDS = 50

# Graph's throttles on Pages calls, answered in turn.
_THROTTLES = (
    (4, 400, "(#4) Application request limit reached"),
    (17, 400, "(#17) User request limit reached"),
    (32, 400, "(#32) Page request limit reached"),
    (80001, 403, "(#80001) There have been too many calls to this Page account. Wait a bit and try again."),
)
_INVALID_METRIC = "(#100) The value must be a valid insights metric"
_POST_FIELDS = (
    "id",
    "created_time",
    "message",
    "permalink_url",
    "status_type",
    "shares",
    "reactions",
    "comments",
    "insights",
)


class GraphSandbox(GraphApi[FacebookWorld]):
    """The Graph API for one `FacebookWorld` (Facebook Pages) and one `InstagramWorld` on a loopback port.

    Scheduled faults (sandbox/faults.py): throttles answer with codes 4, 17, 32, 80001 in turn
    (Instagram calls: 4, 17, 80002), transient failures with code 2, server errors with an HTML 502,
    malformed bodies with a truncated insights answer; the usage headers report 100% on a throttled
    or failed call and `estimated_time_to_regain_access` = `regain_minutes` after a throttle.
    `calls` counts every API call per endpoint kind (Instagram calls under "ig_*" kinds), faulted
    ones included; "throttled" and "faults" count the faulted ones. Only GET reads are served: any
    other method is refused the way Graph refuses an unsupported operation."""

    LABEL = "Graph API sandbox"
    WORLD = FacebookWorld
    TOKEN = DEFAULT_TOKEN
    MALFORMED_BODY = b'{"data":[{"name":"page_media_view","values":[{"val'

    def __init__(self, *, regain_minutes: int = 0, instagram: InstagramWorld | None = None, **sandbox: Any) -> None:
        super().__init__(**sandbox)
        self.instagram = instagram if instagram is not None else InstagramWorld()
        self.instagram_api = InstagramGraph(self.instagram, self)
        self.regain_minutes = regain_minutes
        # Calls that carried the token as a URL parameter, where proxies and access logs keep it.
        self.token_in_url_calls = 0
        # debug_token, every valid token never expiring unless a test sets `oauth.expiries`.
        GraphTokenInfo().attach(self)

    def reset_calls(self) -> None:
        super().reset_calls()
        with self.lock:
            self.token_in_url_calls = 0

    # -- request handling ---------------------------------------------------------------------

    def route(self, method: str, path: str) -> GraphRoute | None:
        return self.instagram_api.route(path) or _pages_route(path)

    def usage_subject(self, route: GraphRoute | None, query: str) -> list[str]:
        """The pages (or Instagram accounts) a call is about."""
        if route is None:
            return []
        if route.kind in INSTAGRAM_KINDS:
            return [self.instagram_api.account_of(route)]
        params = dict(parse_qsl(query, keep_blank_values=True))
        ids = params.get("ids", "").split(",") if route.kind == "ids_lookup" else [route.object_id]
        pages = {i.partition("_")[0] for i in ids if i}
        return sorted(p for p in pages if p in self.world.pages)

    def answer(
        self, method: str, path: str, route: GraphRoute | None, query: str, headers: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        params = dict(parse_qsl(query, keep_blank_values=True))
        caller = access_token(params, headers)
        if "access_token" in params:
            with self.lock:
                self.token_in_url_calls += 1
        if caller not in self.valid_tokens:
            raise expired_session(self.now())
        if method != "GET":
            raise unsupported(method, route.object_id if route else path)
        if route is None:
            raise GraphError("Unknown path components: " + path, code=2500)
        return self._answer(route, params, caller)

    def usage_headers(self, number: int, pages: list[str], throttled: bool) -> dict[str, str]:
        percent = self.usage_percent(number, throttled)
        usage = {"call_count": percent, "total_cputime": percent // 2, "total_time": percent * 3 // 4}
        headers = {"X-App-Usage": json.dumps(usage)}
        if pages:
            regain = self.regain_minutes if throttled else 0
            entries = {
                p: [
                    {
                        "type": "instagram" if p in self.instagram.accounts else "pages",
                        **usage,
                        "estimated_time_to_regain_access": regain,
                    }
                ]
                for p in pages
            }
            headers["X-Business-Use-Case-Usage"] = json.dumps(entries)
        return headers

    def throttle_error(self, route: GraphRoute | None) -> GraphError:
        instagram = route is not None and route.kind in INSTAGRAM_KINDS
        code, status, message = self.in_turn(INSTAGRAM_THROTTLES if instagram else _THROTTLES)
        return GraphError(message, code=code, status=status, is_transient=True)

    def transient_error(self) -> GraphError:
        return GraphError(UNEXPECTED_ERROR, code=2, status=500, is_transient=True)

    def fault_reply(
        self, fault: Fault, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        if fault.kind == "throttle":
            code, status, message = self.in_turn(_THROTTLES)
            return GraphError(message, code=code, status=status, is_transient=True).reply()
        if fault.kind == "expired_token":
            return expired_session(self.now()).reply()
        return super().fault_reply(fault, method, path, query, headers, body)

    # -- endpoints ----------------------------------------------------------------------------

    def _answer(self, route: GraphRoute, params: dict[str, str], token: str) -> dict[str, Any]:
        kind = route.kind
        if kind == "ids_lookup":
            return self._ids_lookup(params)
        if kind in INSTAGRAM_KINDS:
            return self.instagram_api.answer(route, params, token)
        if kind in ("page_fields", "page_insights", "published_posts"):
            page = self._page(route.object_id)
            if kind == "page_fields":
                return self._page_node(page, parse_fields(params.get("fields", "id,name")))
            if kind == "page_insights":
                return self._page_insights(route, page, params, token)
            return self._published_posts(route, page, params, token)
        post = self._post(route.object_id)
        if kind == "post_insights":
            return {"data": self._post_insights(post, metric_list(params.get("metric", "")))}
        return self._post_node(post, parse_fields(params.get("fields", "id,created_time,message")))

    def _page(self, page_id: str) -> Page:
        if page_id not in self.world.pages:
            raise no_such_object(page_id)
        return self.world.pages[page_id]

    def _post(self, post_id: str) -> Post:
        post = self.world.post(post_id, self.now())
        if post is None:
            raise no_such_object(post_id)
        return post

    def _page_insights(self, route: GraphRoute, page: Page, params: dict[str, str], token: str) -> dict[str, Any]:
        metrics = metric_list(params.get("metric", ""))
        _check_metrics(metrics, PAGE_DAY_METRICS)
        if params.get("period", "day") != "day":
            raise GraphError("(#100) The period parameter must be one of: day", code=100)
        world, now = self.world, self.now()
        today = world.local_day(now)
        since = day_param(world, params, "since") or today - timedelta(days=2)
        until = day_param(world, params, "until") or today
        if until < since:
            raise GraphError("(#100) The since parameter must be before the until parameter", code=100)
        if (until - since).days > MAX_INSIGHTS_DAYS:
            raise GraphError("(#100) There cannot be more than 90 days (7776000 s) between since and until", code=100)
        # Only complete days that the world covers have values. Like the real API, a day's value is
        # dated by the Pacific midnight that ends it, whatever the page's timezone. It is served from
        # the world's own midnight on, so that a run just after the organisation's midnight (the
        # demo's clock) finds yesterday whatever the time of day.
        requested = (since + timedelta(days=i) for i in range((until - since).days))
        days = [d for d in requested if d >= world.start and world.day_end(d) <= now]
        data = [
            {
                "name": metric,
                "period": "day",
                "values": [
                    {
                        "value": world.page_insight(page.id, metric, day),
                        "end_time": graph_time(_pacific_day_end(day)),
                    }
                    for day in days
                ],
                "title": PAGE_DAY_METRICS[metric][0],
                "description": PAGE_DAY_METRICS[metric][1],
                "id": f"{page.id}/insights/{metric}/day",
            }
            for metric in metrics
        ]
        path = f"/{route.version}/{page.id}/insights"
        return {"data": data, "paging": adjacent_windows(self, world, path, params, since, until, token)}

    def _published_posts(self, route: GraphRoute, page: Page, params: dict[str, str], token: str) -> dict[str, Any]:
        fields = parse_fields(params.get("fields", "id,created_time,message"))
        _check_post_fields(fields)
        limit = page_limit(params)
        now = self.now()
        since = instant_param(self.world, params, "since") or self.world.day_start(self.world.start)
        until = instant_param(self.world, params, "until") or now + timedelta(seconds=1)
        after = decode_cursor(params["after"]) if "after" in params else None
        cursor_post = self.world.post(f"{page.id}_{after}", now) if after is not None else None
        if cursor_post is not None:
            until = min(until, cursor_post.created_time + timedelta(seconds=1))  # skip newer days
        posts = (p for p in self.world.newest_first(page.id, since, until, now) if after is None or p.number < after)
        path = f"/{route.version}/{page.id}/published_posts"
        return cursor_page(self, posts, lambda p: self._post_node(p, fields), limit, params, path, token)

    def _ids_lookup(self, params: dict[str, str]) -> dict[str, Any]:
        ids = [i for i in params.get("ids", "").split(",") if i]
        if not ids:
            raise GraphError("(#100) Missing or invalid ids parameter", code=100)
        if len(ids) > MAX_IDS:
            raise GraphError(f"(#100) Too many IDs. Maximum: {MAX_IDS}. Provided: {len(ids)}.", code=100)
        fields = parse_fields(params.get("fields", "id"))
        missing = [i for i in ids if not self._exists(i)]
        if missing:
            raise GraphError(f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}", code=803)
        out = {}
        for object_id in dict.fromkeys(ids):
            media = self.instagram.media(object_id, self.now())
            if media is not None:
                out[object_id] = self.instagram_api.media_node(media, fields, always_id=True)
            elif "_" in object_id:
                out[object_id] = self._post_node(self._post(object_id), fields, always_id=True)
            else:
                out[object_id] = self._page_node(self._page(object_id), fields, always_id=True)
        return out

    def _exists(self, object_id: str) -> bool:
        if self.instagram.media(object_id, self.now()) is not None:
            return True
        if "_" in object_id:
            return self.world.post(object_id, self.now()) is not None
        return object_id in self.world.pages

    def _page_node(self, page: Page, fields: list[Field], always_id: bool = False) -> dict[str, Any]:
        now = self.now()
        values = {
            "id": page.id,
            "name": page.name,
            "username": page.username,
            "category": page.category,
            "link": f"https://www.facebook.com/{page.username}",
            "website": page.website,
        }
        node: dict[str, Any] = {}
        for f in fields:
            if f.name == "followers_count":
                node[f.name] = self.world.followers_count(page.id, now)
            elif f.name == "fan_count":
                node[f.name] = self.world.fan_count(page.id, now)
            elif f.name in values:
                node[f.name] = values[f.name]
            else:
                raise nonexisting_field(f.name, "Page")
        if always_id:
            node.setdefault("id", page.id)
        return node

    def _post_node(self, post: Post, fields: list[Field], always_id: bool = False) -> dict[str, Any]:
        counts = self.world.post_metrics(post, self.now())
        node: dict[str, Any] = {}
        for f in fields:
            if f.name == "id":
                node["id"] = post.id
            elif f.name == "created_time":
                node["created_time"] = graph_time(post.created_time)
            elif f.name == "message":
                if post.message is not None:
                    node["message"] = post.message
            elif f.name == "permalink_url":
                node["permalink_url"] = post.permalink_url
            elif f.name == "status_type":
                node["status_type"] = post.status_type
            elif f.name == "shares":
                if counts["shares"]:
                    node["shares"] = {"count": counts["shares"]}
            elif f.name in ("reactions", "comments"):
                node[f.name] = _edge_summary(f, counts[f.name])
            elif f.name == "insights":
                node["insights"] = {"data": self._post_insights(post, metric_list(f.modifiers.get("metric", "")))}
            else:
                raise nonexisting_field(f.name, "PagePost")
        if always_id:
            node.setdefault("id", post.id)
        return node

    def _post_insights(self, post: Post, metrics: list[str]) -> list[dict[str, Any]]:
        _check_metrics(metrics, POST_LIFETIME_METRICS)
        return lifetime_insights(post.id, metrics, self.world.post_metrics(post, self.now()), POST_LIFETIME_METRICS)


def _pages_route(path: str) -> GraphRoute | None:
    """Which Pages endpoint a Graph path addresses, or None when none does."""
    parts = [p for p in path.split("/") if p]
    if not parts or not VERSION.match(parts[0]):
        return None
    version, rest = parts[0], parts[1:]
    if not rest:
        return GraphRoute("ids_lookup", version)
    object_id = rest[0]
    is_post = "_" in object_id
    if len(rest) == 1:
        return GraphRoute("post_fields" if is_post else "page_fields", version, object_id)
    if len(rest) == 2 and rest[1] == "insights":
        return GraphRoute("post_insights" if is_post else "page_insights", version, object_id)
    if len(rest) == 2 and rest[1] == "published_posts" and not is_post:
        return GraphRoute("published_posts", version, object_id)
    return None


def _pacific_day_end(day: date) -> datetime:
    """The `end_time` the Graph API gives a daily insights value: the Pacific midnight ending `day`."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("America/Los_Angeles"))


def _check_metrics(metrics: list[str], valid: Mapping[str, object]) -> None:
    # Like the real API: one bad name fails the whole call, and the message does not say which.
    if any(m not in valid for m in metrics):
        raise GraphError(_INVALID_METRIC, code=100)


def _check_post_fields(fields: list[Field]) -> None:
    # Checked up front so that a bad field fails the call even when no post is in range.
    for f in fields:
        if f.name not in _POST_FIELDS:
            raise nonexisting_field(f.name, "PagePost")


def _edge_summary(f: Field, total: int) -> dict[str, Any]:
    edge: dict[str, Any] = {"data": []}
    if "summary" in f.modifiers:
        summary: dict[str, Any] = {"total_count": total}
        summary.update(
            {"viewer_reaction": "NONE"} if f.name == "reactions" else {"order": "ranked", "can_comment": True}
        )
        edge["summary"] = summary
    return edge


# -- the call budget ------------------------------------------------------------------------------

# The server's limits, as a run meets them.
INSIGHTS_DAYS_PER_CALL = MAX_INSIGHTS_DAYS
POSTS_PER_PAGE = MAX_LIMIT
IDS_PER_LOOKUP = MAX_IDS


def minimum_calls(
    world: FacebookWorld, now: datetime, source: FacebookPages, insight_days: int, window: DateWindow
) -> dict[str, int]:
    """The fewest Graph API calls the paging allows for one extraction, from the world's ground truth
    (tests compare it with the calls the sandbox counted; `make bench` reports both)."""
    page_groups = math.ceil(len(source.page_metrics) / source.metrics_per_request)
    post_groups = math.ceil(len(source.post_metrics) / source.metrics_per_request)
    calls = {"page_insights": 0, "published_posts": 0, "ids_lookup": 0}
    for account in source.accounts:
        n_posts = len(world.posts(account.id, window.start, window.end, now))
        calls["page_insights"] += math.ceil(insight_days / INSIGHTS_DAYS_PER_CALL) * page_groups
        calls["published_posts"] += max(1, math.ceil(n_posts / POSTS_PER_PAGE))
        calls["ids_lookup"] += math.ceil(n_posts / IDS_PER_LOOKUP) * post_groups
    return calls


def _from_registry(world_seed: int, scale: float, now: datetime | None, **options: Any) -> GraphSandbox:
    world, instagram = FacebookWorld(seed=world_seed, scale=scale), InstagramWorld(seed=world_seed, scale=scale)
    return GraphSandbox(world=world, instagram=instagram, now=now, **options)


register("facebook", _from_registry, "regain_minutes", "valid_tokens")
