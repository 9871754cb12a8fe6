"""A local stand-in for the Graph API, answering Facebook Pages calls from the sandbox world and
Instagram calls (the same host) from the Instagram world (`sandbox.instagram`).

Paths, parameters, response shapes, cursor and time paging, error bodies and usage headers follow
the real API (shared/reference/platform-apis.md), so pointing a connection's host at the real Graph
API is the only change an extractor needs. Faults (throttling, transient errors, 5xx, malformed
bodies) can be injected on a fixed schedule, and every call is counted per endpoint kind."""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from sandbox.base import LoopbackServer, Reply, every, json_reply
from sandbox.faults import Fault
from sandbox.instagram import (
    ACCOUNT_DAY_METRICS,
    MAX_INSIGHTS_RANGE_DAYS,
    MEDIA_LIFETIME_METRICS,
    MEDIA_METRICS_BY_TYPE,
    RETIRED_METRICS,
    InstagramWorld,
    Media,
)
from sandbox.oauth import GraphTokenInfo
from sandbox.registry import register
from sandbox.world import PAGE_DAY_METRICS, POST_LIFETIME_METRICS, Page, Post, SandboxWorld

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "sandbox-page-token"
MAX_INSIGHTS_DAYS = 90
MAX_IDS = 50
DEFAULT_LIMIT = 25
MAX_LIMIT = 100

_VERSION = re.compile(r"^v\d+\.\d+$")
_THROTTLES = (
    (4, 400, "(#4) Application request limit reached"),
    (17, 400, "(#17) User request limit reached"),
    (32, 400, "(#32) Page request limit reached"),
    (80001, 403, "(#80001) There have been too many calls to this Page account. Wait a bit and try again."),
)
_INSTAGRAM_THROTTLES = (
    (4, 400, "(#4) Application request limit reached"),
    (17, 400, "(#17) User request limit reached"),
    (80002, 403, "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again."),
)
_INSTAGRAM_KINDS = frozenset(
    {"ig_user", "ig_user_insights", "ig_media", "ig_stories", "ig_media_fields", "ig_media_insights"}
)
_IG_MEDIA_FIELDS = (
    "id",
    "timestamp",
    "media_type",
    "media_product_type",
    "permalink",
    "caption",
    "like_count",
    "comments_count",
    "shortcode",
    "username",
    "insights",
)
_IG_USER_FIELDS = ("id", "username", "name", "website", "followers_count", "follows_count", "media_count")
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


class GraphError(Exception):
    """An error the sandbox answers with, in the Graph error body shape."""

    def __init__(
        self,
        message: str,
        code: int,
        status: int = 400,
        subcode: int | None = None,
        *,
        is_transient: bool | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.status, self.subcode = message, code, status, subcode
        self.is_transient = is_transient
        self.user_title, self.user_msg = user_title, user_msg

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": "OAuthException", "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = _trace_id()
        return {"error": error}


@dataclass(frozen=True)
class _Route:
    kind: str  # the endpoint kind calls are counted under
    version: str
    object_id: str = ""


@dataclass(frozen=True)
class _Field:
    name: str
    modifiers: dict[str, str]


class SandboxServer(LoopbackServer):
    """The Graph API for one `SandboxWorld` (Facebook Pages) and one `InstagramWorld` on a loopback port.

    `now` fixes the server's clock (default: real time). Faults fire on a fixed schedule of the
    API call number: every `throttle_every`-th call is throttled (codes 4, 17, 32, 80001 in turn),
    every `transient_every`-th fails with transient code 2, every `server_error_every`-th with an
    HTML 502, every `malformed_every`-th returns a truncated JSON body. `calls` counts every API
    call per endpoint kind, faulted ones included; "throttled" and "faults" count the faulted ones.
    Instagram calls are counted under "ig_*" kinds and throttled with codes 4, 17 and 80002.
    Only GET reads are served: any other method is refused the way Graph refuses an unsupported
    operation."""

    LABEL = "Graph API sandbox"

    def __init__(
        self,
        world: SandboxWorld | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        now: datetime | None = None,
        throttle_every: int = 0,
        valid_tokens: Iterable[str] = (DEFAULT_TOKEN,),
        regain_minutes: int = 0,
        transient_every: int = 0,
        server_error_every: int = 0,
        malformed_every: int = 0,
        instagram: InstagramWorld | None = None,
    ) -> None:
        super().__init__(host, port, now)
        self.world = world if world is not None else SandboxWorld()
        self.instagram = instagram if instagram is not None else InstagramWorld()
        self.throttle_every = throttle_every
        self.valid_tokens = set(valid_tokens)
        self.regain_minutes = regain_minutes
        self.transient_every = transient_every
        self.server_error_every = server_error_every
        self.malformed_every = malformed_every
        # Calls that carried the token as a URL parameter, where proxies and access logs keep it.
        self.token_in_url_calls = 0
        self._throttle_number = 0
        # debug_token, every valid token never expiring unless a test sets `oauth.expiries`.
        GraphTokenInfo().attach(self)

    # -- state -------------------------------------------------------------------------------

    def reset_calls(self) -> None:
        super().reset_calls()
        with self.lock:
            self.token_in_url_calls = 0

    def revoke_token(self, token: str) -> None:
        """Invalidate a token, as a password change or an expired session would."""
        self.valid_tokens.discard(token)

    # -- request handling ---------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        params = dict(parse_qsl(query, keep_blank_values=True))
        route = self._instagram_route(path) or self._route(path)
        number = self.next_call(route.kind if route else "unknown")
        pages = self._pages_in(route, params)
        fault = self._fault(number, instagram=route is not None and route.kind in _INSTAGRAM_KINDS)
        if fault is not None:
            return fault if isinstance(fault, Reply) else self._error_reply(fault, number, pages, throttled=True)
        try:
            token = _token(params, headers)
            if "access_token" in params:
                with self.lock:
                    self.token_in_url_calls += 1
            if token not in self.valid_tokens:
                raise _expired_session(self.now())
            if method != "GET":
                raise _unsupported(method, route.object_id if route else path)
            if route is None:
                raise GraphError("Unknown path components: " + path, code=2500)
            answer = self._answer(route, params, token)
        except GraphError as error:
            return self._error_reply(error, number, pages)
        reply = json_reply(200, answer)
        reply.headers.update(self._usage_headers(number, pages, throttled=False))
        return reply

    def internal_error(self) -> Reply:
        return json_reply(500, GraphError("An unknown error occurred", code=1, status=500).body())

    def common_headers(self) -> dict[str, str]:
        return {"x-fb-trace-id": _trace_id()}

    def fault_reply(
        self, fault: Fault, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        if fault.kind == "throttle":
            with self.lock:
                code, status, message = _THROTTLES[self._throttle_number % len(_THROTTLES)]
                self._throttle_number += 1
            return json_reply(status, GraphError(message, code=code, status=status, is_transient=True).body())
        if fault.kind == "expired_token":
            error = _expired_session(self.now())
            return json_reply(error.status, error.body())
        return super().fault_reply(fault, method, path, query, headers, body)

    @staticmethod
    def _route(path: str) -> _Route | None:
        """Which endpoint a Graph path addresses, or None when none does."""
        parts = [p for p in path.split("/") if p]
        if not parts or not _VERSION.match(parts[0]):
            return None
        version, rest = parts[0], parts[1:]
        if not rest:
            return _Route("ids_lookup", version)
        object_id = rest[0]
        is_post = "_" in object_id
        if len(rest) == 1:
            return _Route("post_fields" if is_post else "page_fields", version, object_id)
        if len(rest) == 2 and rest[1] == "insights":
            return _Route("post_insights" if is_post else "page_insights", version, object_id)
        if len(rest) == 2 and rest[1] == "published_posts" and not is_post:
            return _Route("published_posts", version, object_id)
        return None

    def _instagram_route(self, path: str) -> _Route | None:
        """Which Instagram endpoint a Graph path addresses, or None when it is not an Instagram object's."""
        parts = [p for p in path.split("/") if p]
        if len(parts) not in (2, 3) or not _VERSION.match(parts[0]):
            return None
        version, object_id, edge = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
        if object_id in self.instagram.accounts:
            kinds = {"": "ig_user", "insights": "ig_user_insights", "media": "ig_media", "stories": "ig_stories"}
        elif self.instagram.media(object_id, self.now()) is not None:
            kinds = {"": "ig_media_fields", "insights": "ig_media_insights"}
        else:
            return None
        return _Route(kinds[edge], version, object_id) if edge in kinds else None

    def _pages_in(self, route: _Route | None, params: dict[str, str]) -> list[str]:
        """The pages (or Instagram accounts) a call is about, for the business-use-case usage header."""
        if route is None:
            return []
        if route.kind in _INSTAGRAM_KINDS:
            media = self.instagram.media(route.object_id, self.now())
            return [media.account_id if media is not None else route.object_id]
        ids = params.get("ids", "").split(",") if route.kind == "ids_lookup" else [route.object_id]
        pages = {i.partition("_")[0] for i in ids if i}
        return sorted(p for p in pages if p in self.world.pages)

    def _fault(self, number: int, instagram: bool = False) -> GraphError | Reply | None:
        if every(self.throttle_every, number):
            throttles = _INSTAGRAM_THROTTLES if instagram else _THROTTLES
            with self.lock:
                code, status, message = throttles[self._throttle_number % len(throttles)]
                self._throttle_number += 1
                self.calls["throttled"] += 1
            return GraphError(message, code=code, status=status, is_transient=True)
        if every(self.transient_every, number):
            self.count_fault()
            return GraphError(
                "An unexpected error has occurred. Please retry your request later.",
                code=2,
                status=500,
                is_transient=True,
            )
        if every(self.server_error_every, number):
            self.count_fault()
            return Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"})
        if every(self.malformed_every, number):
            self.count_fault()
            return Reply(200, b'{"data":[{"name":"page_media_view","values":[{"val', {})
        return None

    def _error_reply(self, error: GraphError, number: int, pages: list[str], throttled: bool = False) -> Reply:
        reply = json_reply(error.status, error.body())
        reply.headers.update(self._usage_headers(number, pages, throttled))
        return reply

    def _usage_headers(self, number: int, pages: list[str], throttled: bool) -> dict[str, str]:
        """Usage percents rise towards 100 as the next scheduled throttle nears."""
        if throttled:
            percent = 100
        elif self.throttle_every > 0:
            percent = 100 * (number % self.throttle_every) // self.throttle_every
        else:
            percent = min(10, 1 + number // 200)
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

    # -- endpoints ----------------------------------------------------------------------------

    def _answer(self, route: _Route, params: dict[str, str], token: str) -> dict[str, Any]:
        kind = route.kind
        if kind == "ids_lookup":
            return self._ids_lookup(params)
        if kind in _INSTAGRAM_KINDS:
            return self._instagram_answer(route, params, token)
        if kind in ("page_fields", "page_insights", "published_posts"):
            page = self._page(route.object_id)
            if kind == "page_fields":
                return self._page_node(page, _parse_fields(params.get("fields", "id,name")))
            if kind == "page_insights":
                return self._page_insights(route, page, params, token)
            return self._published_posts(route, page, params, token)
        post = self._post(route.object_id)
        if kind == "post_insights":
            return {"data": self._post_insights(post, _metric_list(params.get("metric", "")))}
        return self._post_node(post, _parse_fields(params.get("fields", "id,created_time,message")))

    def _page(self, page_id: str) -> Page:
        if page_id not in self.world.pages:
            raise _no_such_object(page_id)
        return self.world.pages[page_id]

    def _post(self, post_id: str) -> Post:
        post = self.world.post(post_id, self.now())
        if post is None:
            raise _no_such_object(post_id)
        return post

    def _page_insights(self, route: _Route, page: Page, params: dict[str, str], token: str) -> dict[str, Any]:
        metrics = _metric_list(params.get("metric", ""))
        _check_metrics(metrics, PAGE_DAY_METRICS)
        if params.get("period", "day") != "day":
            raise GraphError("(#100) The period parameter must be one of: day", code=100)
        world, now = self.world, self.now()
        today = world.local_day(now)
        since = self._day_param(params, "since") or today - timedelta(days=2)
        until = self._day_param(params, "until") or today
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
                        "end_time": _graph_time(_pacific_day_end(day)),
                    }
                    for day in days
                ],
                "title": PAGE_DAY_METRICS[metric][0],
                "description": PAGE_DAY_METRICS[metric][1],
                "id": f"{page.id}/insights/{metric}/day",
            }
            for metric in metrics
        ]
        # Like the real API, the adjacent windows are always linked, data or not.
        span, path = until - since, f"/{route.version}/{page.id}/insights"
        paging = {
            "previous": self._absolute(
                path,
                {**params, "since": self._ts(since - span), "until": self._ts(since), "access_token": token},
            ),
            "next": self._absolute(
                path,
                {**params, "since": self._ts(until), "until": self._ts(until + span), "access_token": token},
            ),
        }
        return {"data": data, "paging": paging}

    def _published_posts(self, route: _Route, page: Page, params: dict[str, str], token: str) -> dict[str, Any]:
        fields = _parse_fields(params.get("fields", "id,created_time,message"))
        _check_post_fields(fields)
        limit = min(_int_param(params, "limit", DEFAULT_LIMIT), MAX_LIMIT)
        if limit < 1:
            raise GraphError("(#100) The limit parameter must be positive", code=100)
        now = self.now()
        since = self._instant_param(params, "since") or self.world.day_start(self.world.start)
        until = self._instant_param(params, "until") or now + timedelta(seconds=1)
        after = _decode_cursor(params["after"]) if "after" in params else None
        cursor_post = self.world.post(f"{page.id}_{after}", now) if after is not None else None
        if cursor_post is not None:
            until = min(until, cursor_post.created_time + timedelta(seconds=1))  # skip newer days
        posts = (p for p in self.world.iter_posts(page.id, since, until, now) if after is None or p.number < after)
        window = list(islice(posts, limit + 1))
        page_posts, more = window[:limit], len(window) > limit
        body: dict[str, Any] = {"data": [self._post_node(p, fields) for p in page_posts]}
        if page_posts:
            cursors = {
                "before": _encode_cursor(page_posts[0].number),
                "after": _encode_cursor(page_posts[-1].number),
            }
            body["paging"] = {"cursors": cursors}
            if more:
                next_params = {k: v for k, v in params.items() if k != "before"}
                after = self.next_cursor(params.get("after"), cursors["after"])
                next_params.update(after=after, limit=str(limit), access_token=token)
                body["paging"]["next"] = self._absolute(f"/{route.version}/{page.id}/published_posts", next_params)
        return body

    def _ids_lookup(self, params: dict[str, str]) -> dict[str, Any]:
        ids = [i for i in params.get("ids", "").split(",") if i]
        if not ids:
            raise GraphError("(#100) Missing or invalid ids parameter", code=100)
        if len(ids) > MAX_IDS:
            raise GraphError(f"(#100) Too many IDs. Maximum: {MAX_IDS}. Provided: {len(ids)}.", code=100)
        fields = _parse_fields(params.get("fields", "id"))
        missing = [i for i in ids if not self._exists(i)]
        if missing:
            raise GraphError(f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}", code=803)
        out = {}
        for object_id in dict.fromkeys(ids):
            media = self.instagram.media(object_id, self.now())
            if media is not None:
                out[object_id] = self._ig_media_node(media, fields, always_id=True)
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

    def _page_node(self, page: Page, fields: list[_Field], always_id: bool = False) -> dict[str, Any]:
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
                raise _nonexisting_field(f.name, "Page")
        if always_id:
            node.setdefault("id", page.id)
        return node

    def _post_node(self, post: Post, fields: list[_Field], always_id: bool = False) -> dict[str, Any]:
        counts = self.world.post_metrics(post, self.now())
        node: dict[str, Any] = {}
        for f in fields:
            if f.name == "id":
                node["id"] = post.id
            elif f.name == "created_time":
                node["created_time"] = _graph_time(post.created_time)
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
                node["insights"] = {"data": self._post_insights(post, _metric_list(f.modifiers.get("metric", "")))}
            else:
                raise _nonexisting_field(f.name, "PagePost")
        if always_id:
            node.setdefault("id", post.id)
        return node

    def _post_insights(self, post: Post, metrics: list[str]) -> list[dict[str, Any]]:
        _check_metrics(metrics, POST_LIFETIME_METRICS)
        counts = self.world.post_metrics(post, self.now())
        return [
            {
                "name": metric,
                "period": "lifetime",
                "values": [{"value": counts[metric]}],
                "title": POST_LIFETIME_METRICS[metric][0],
                "description": POST_LIFETIME_METRICS[metric][1],
                "id": f"{post.id}/insights/{metric}/lifetime",
            }
            for metric in metrics
        ]

    # -- Instagram endpoints ------------------------------------------------------------------

    def _instagram_answer(self, route: _Route, params: dict[str, str], token: str) -> dict[str, Any]:
        kind, now = route.kind, self.now()
        if kind in ("ig_media_fields", "ig_media_insights"):
            media = self.instagram.media(route.object_id, now)
            if media is None:
                raise _no_such_object(route.object_id)
            if kind == "ig_media_insights":
                return {"data": self._ig_media_insights(media, _metric_list(params.get("metric", "")))}
            return self._ig_media_node(media, _parse_fields(params.get("fields", "id")))
        account_id = route.object_id
        if kind == "ig_user":
            return self._ig_user_node(account_id, _parse_fields(params.get("fields", "id")))
        if kind == "ig_user_insights":
            return self._ig_user_insights(route, params, token)
        fields = _parse_fields(params.get("fields", "id"))
        for f in fields:
            _check_ig_media_field(f.name)
        if kind == "ig_stories":
            listing: Iterable[Media] = self.instagram.live_stories(account_id, now)
        else:
            listing = self.instagram.media_listing(account_id, now)
        return self._ig_edge_page(route, listing, fields, params, token)

    def _ig_user_node(self, account_id: str, fields: list[_Field]) -> dict[str, Any]:
        account = self.instagram.account(account_id)
        values: dict[str, Any] = {
            "id": account.id,
            "username": account.username,
            "name": account.name,
            "website": account.website,
            **self.instagram.account_fields(account_id, self.now()),
        }
        node: dict[str, Any] = {}
        for f in fields:
            if f.name not in _IG_USER_FIELDS:
                raise _nonexisting_field(f.name, "IGUser")
            node[f.name] = values[f.name]
        node.setdefault("id", account.id)  # Graph always returns the node's id
        return node

    def _ig_user_insights(self, route: _Route, params: dict[str, str], token: str) -> dict[str, Any]:
        metrics = _metric_list(params.get("metric", ""))
        for index, metric in enumerate(metrics):
            if metric in RETIRED_METRICS:
                raise GraphError(
                    f"(#100) Starting from version v22.0 and above, the {metric} metric is no longer supported for "
                    "the queried user. Please refer to the documentation at https://developers.facebook.com/docs/"
                    "instagram-api/reference/ig-user/insights for a list of supported metrics.",
                    code=100,
                )
            if metric not in ACCOUNT_DAY_METRICS:
                raise GraphError(
                    f"(#100) metric[{index}] must be one of the following values: {', '.join(ACCOUNT_DAY_METRICS)}",
                    code=100,
                )
        if params.get("period", "") != "day":
            raise GraphError("(#100) The period parameter must be one of: day", code=100)
        if params.get("metric_type") != "total_value":
            raise GraphError(
                f"(#100) The following metrics ({', '.join(metrics)}) should be specified with parameter "
                "metric_type=total_value",
                code=100,
            )
        world, now = self.instagram, self.now()
        today = world.local_day(now)
        since = self._day_param(params, "since") or today - timedelta(days=1)
        until = self._day_param(params, "until") or today
        if until <= since:
            raise GraphError("(#100) The since parameter must be before the until parameter", code=100)
        if (until - since).days > MAX_INSIGHTS_RANGE_DAYS:
            raise GraphError(
                f"(#100) There cannot be more than {MAX_INSIGHTS_RANGE_DAYS} days "
                f"({MAX_INSIGHTS_RANGE_DAYS * 86400} s) between since and until",
                code=100,
            )
        days = [since + timedelta(days=i) for i in range((until - since).days)]
        # Not yet processed (or before the account's data): the API answers with no data, not zeros.
        data = []
        if all(world.insights_published(d, now) for d in days):
            data = [
                {
                    "name": metric,
                    "period": "day",
                    "title": ACCOUNT_DAY_METRICS[metric][0],
                    "description": ACCOUNT_DAY_METRICS[metric][1],
                    "total_value": {"value": world.account_total(route.object_id, metric, days)},
                    "id": f"{route.object_id}/insights/{metric}/day",
                }
                for metric in metrics
            ]
        span, path = until - since, f"/{route.version}/{route.object_id}/insights"
        paging = {
            direction: self._absolute(
                path, {**params, "since": self._ts(start), "until": self._ts(start + span), "access_token": token}
            )
            for direction, start in (("previous", since - span), ("next", until))
        }
        return {"data": data, "paging": paging}

    def _ig_edge_page(
        self, route: _Route, listing: Iterable[Media], fields: list[_Field], params: dict[str, str], token: str
    ) -> dict[str, Any]:
        """One page of a cursor-paged media edge (newest first)."""
        limit = min(_int_param(params, "limit", DEFAULT_LIMIT), MAX_LIMIT)
        if limit < 1:
            raise GraphError("(#100) The limit parameter must be positive", code=100)
        after = _decode_cursor(params["after"]) if "after" in params else None
        remaining = (m for m in listing if after is None or m.number < after)
        window = list(islice(remaining, limit + 1))
        items, more = window[:limit], len(window) > limit
        body: dict[str, Any] = {"data": [self._ig_media_node(m, fields) for m in items]}
        if items:
            cursors = {"before": _encode_cursor(items[0].number), "after": _encode_cursor(items[-1].number)}
            body["paging"] = {"cursors": cursors}
            if more:
                next_params = {k: v for k, v in params.items() if k != "before"}
                after = self.next_cursor(params.get("after"), cursors["after"])
                next_params.update(after=after, limit=str(limit), access_token=token)
                path = f"/{route.version}/{route.object_id}/{'stories' if route.kind == 'ig_stories' else 'media'}"
                body["paging"]["next"] = self._absolute(path, next_params)
        return body

    def _ig_media_node(self, media: Media, fields: list[_Field], always_id: bool = False) -> dict[str, Any]:
        now = self.now()
        counts = self.instagram.media_metrics(media, now)
        values: dict[str, Any] = {
            "id": media.id,
            "timestamp": _graph_time(media.created_time),
            "media_type": media.media_type,
            "media_product_type": media.media_product_type,
            "permalink": media.permalink,
            "shortcode": media.permalink.rstrip("/").rsplit("/", 1)[-1],
            "username": self.instagram.account(media.account_id).username,
            "caption": media.caption,
            # Stories have no like or comment counts: the API leaves the fields out.
            "like_count": None if media.is_story else counts["likes"],
            "comments_count": None if media.is_story else counts["comments"],
        }
        node: dict[str, Any] = {}
        for f in fields:
            _check_ig_media_field(f.name)
            if f.name == "insights":
                node["insights"] = {"data": self._ig_media_insights(media, _metric_list(f.modifiers.get("metric", "")))}
            elif values[f.name] is not None:
                node[f.name] = values[f.name]
        if always_id:
            node.setdefault("id", media.id)
        return node

    def _ig_media_insights(self, media: Media, metrics: list[str]) -> list[dict[str, Any]]:
        world, now = self.instagram, self.now()
        supported = MEDIA_METRICS_BY_TYPE[media.media_product_type]
        for index, metric in enumerate(metrics):
            refused = metric == "views" and media.media_product_type in world.views_refused_for
            if metric in MEDIA_LIFETIME_METRICS and (metric not in supported or refused):
                raise GraphError(
                    f"(#100) The Media Insights API does not support the {metric} metric for this media product type.",
                    code=100,
                )
            if metric not in supported:
                raise GraphError(
                    f"(#100) metric[{index}] must be one of the following values: {', '.join(supported)}", code=100
                )
        refusal = world.insights_refusal(media, now)
        if refusal == "before_business":
            raise GraphError(
                "Invalid parameter",
                code=100,
                subcode=2108006,
                is_transient=False,
                user_title="Media posted before business account conversion",
                user_msg="The media was posted before the most recent time that the user's account was converted "
                "to a business account from a personal account.",
            )
        if world.story_expired(media, now):
            return []  # story insights live 24 hours: afterwards there is nothing to report
        if refusal == "not_enough_viewers":
            raise GraphError("(#10) Not enough viewers for the media to show insights", code=10)
        counts = world.media_metrics(media, now)
        return [
            {
                "name": metric,
                "period": "lifetime",
                "values": [{"value": counts[metric]}],
                "title": MEDIA_LIFETIME_METRICS[metric][0],
                "description": MEDIA_LIFETIME_METRICS[metric][1],
                "id": f"{media.id}/insights/{metric}/lifetime",
            }
            for metric in metrics
        ]

    # -- parameter helpers --------------------------------------------------------------------

    def _absolute(self, path: str, params: dict[str, str]) -> str:
        return f"{self.url}{path}?{urlencode(params)}"

    def _ts(self, day: date) -> str:
        return str(int(self.world.day_start(day).timestamp()))

    def _instant_param(self, params: dict[str, str], name: str) -> datetime | None:
        """A unix timestamp, or a YYYY-MM-DD date meaning that local midnight."""
        raw = params.get(name)
        if not raw:
            return None
        if raw.isdigit():
            return datetime.fromtimestamp(int(raw), UTC)
        try:
            return self.world.day_start(date.fromisoformat(raw))
        except ValueError:
            raise GraphError(f"(#100) The parameter {name} is not a valid date or timestamp", code=100) from None

    def _day_param(self, params: dict[str, str], name: str) -> date | None:
        instant = self._instant_param(params, name)
        return self.world.local_day(instant) if instant is not None else None


def _trace_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes[:8]).decode().rstrip("=")


def _token(params: dict[str, str], headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value:
        return value.strip()
    return params.get("access_token")


def _pacific_day_end(day: date) -> datetime:
    """The `end_time` the Graph API gives a daily insights value: the Pacific midnight ending `day`."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("America/Los_Angeles"))


def _graph_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _metric_list(raw: str) -> list[str]:
    metrics = [m.strip() for m in raw.split(",") if m.strip()]
    if not metrics:
        raise GraphError("(#100) The parameter metric is required", code=100)
    return metrics


def _check_metrics(metrics: list[str], valid: Mapping[str, object]) -> None:
    # Like the real API: one bad name fails the whole call, and the message does not say which.
    if any(m not in valid for m in metrics):
        raise GraphError(_INVALID_METRIC, code=100)


def _check_ig_media_field(name: str) -> None:
    if name not in _IG_MEDIA_FIELDS:
        raise _nonexisting_field(name, "ShadowIGMedia")


def _check_post_fields(fields: list[_Field]) -> None:
    # Checked up front so that a bad field fails the call even when no post is in range.
    for f in fields:
        if f.name not in _POST_FIELDS:
            raise _nonexisting_field(f.name, "PagePost")


def _edge_summary(f: _Field, total: int) -> dict[str, Any]:
    edge: dict[str, Any] = {"data": []}
    if "summary" in f.modifiers:
        summary: dict[str, Any] = {"total_count": total}
        summary.update(
            {"viewer_reaction": "NONE"} if f.name == "reactions" else {"order": "ranked", "can_comment": True}
        )
        edge["summary"] = summary
    return edge


def _parse_fields(spec: str) -> list[_Field]:
    """Graph field syntax: `a,b.summary(total_count).limit(0),insights.metric(x,y),c{d,e}`."""
    parts, depth, current = [], 0, []
    for char in spec:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    fields = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", part)
        if match is None:
            raise GraphError(f"(#100) Syntax error in fields: {part!r}", code=100)
        modifiers = dict(re.findall(r"\.([A-Za-z_]+)\(([^()]*)\)", part[match.end() :]))
        fields.append(_Field(match.group(0), modifiers))
    return fields


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise GraphError(f"(#100) Param {name} must be an integer", code=100) from None


def _encode_cursor(number: int) -> str:
    return base64.urlsafe_b64encode(str(number).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise GraphError("(#100) Invalid cursor", code=100) from None


def _expired_session(now: datetime) -> GraphError:
    expired = (now - timedelta(days=1)).astimezone(ZoneInfo("America/Los_Angeles"))
    return GraphError(
        f"Error validating access token: Session has expired on {expired:%A, %d-%b-%y %H:%M:%S %Z}. "
        "The current time is later.",
        code=190,
        subcode=463,
    )


def _no_such_object(object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation.",
        code=100,
        subcode=33,
    )


def _unsupported(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        code=100,
        subcode=33,
    )


def _nonexisting_field(name: str, node_type: str) -> GraphError:
    return GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})", code=100)


def _from_registry(world_seed: int, scale: float, now: datetime | None, **options: Any) -> SandboxServer:
    known = {
        "throttle_every",
        "transient_every",
        "server_error_every",
        "malformed_every",
        "regain_minutes",
        "valid_tokens",
    }
    return SandboxServer(
        world=SandboxWorld(seed=world_seed, scale=scale),
        instagram=InstagramWorld(seed=world_seed, scale=scale),
        now=now,
        **{k: v for k, v in options.items() if k in known},
    )


register("facebook", _from_registry)
