"""A local stand-in for the Facebook Graph API, answering from the sandbox world.

Paths, parameters, response shapes, cursor and time paging, error bodies and usage headers follow
the real API (shared/reference/platform-apis.md), so pointing a connection's host at the real Graph
API is the only change an extractor needs. Faults (throttling, transient errors, 5xx, malformed
bodies) can be injected on a fixed schedule, and every call is counted per endpoint kind."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

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
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.status, self.subcode = message, code, status, subcode
        self.is_transient = is_transient

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": "OAuthException", "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        error["fbtrace_id"] = _trace_id()
        return {"error": error}


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Route:
    kind: str  # the endpoint kind calls are counted under
    version: str
    object_id: str = ""


@dataclass(frozen=True)
class _Field:
    name: str
    modifiers: dict[str, str]


class SandboxServer:
    """The Graph API for one `SandboxWorld` on a loopback port.

    `now` fixes the server's clock (default: real time). Faults fire on a fixed schedule of the
    API call number: every `throttle_every`-th call is throttled (codes 4, 17, 32, 80001 in turn),
    every `transient_every`-th fails with transient code 2, every `server_error_every`-th with an
    HTML 502, every `malformed_every`-th returns a truncated JSON body. `calls` counts every API
    call per endpoint kind, faulted ones included; "throttled" and "faults" count the faulted ones."""

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
    ) -> None:
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.world = world if world is not None else SandboxWorld()
        self.host, self.port = host, port
        self.fixed_now = now
        self.throttle_every = throttle_every
        self.valid_tokens = set(valid_tokens)
        self.regain_minutes = regain_minutes
        self.transient_every = transient_every
        self.server_error_every = server_error_every
        self.malformed_every = malformed_every
        self.calls: Counter[str] = Counter()
        # Calls that carried the token as a URL parameter, where proxies and access logs keep it.
        self.token_in_url_calls = 0
        self._call_number = 0
        self._throttle_number = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"sandbox": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="graph-sandbox", daemon=True
        )
        self._thread.start()
        logger.info("Graph API sandbox listening on %s", self.url)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def now(self) -> datetime:
        return self.fixed_now if self.fixed_now is not None else datetime.now(UTC)

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()
            self.token_in_url_calls = 0

    def revoke_token(self, token: str) -> None:
        """Invalidate a token, as a password change or an expired session would."""
        self.valid_tokens.discard(token)

    @property
    def total_calls(self) -> int:
        """API calls answered, whatever their outcome (the fault counters are subsets)."""
        with self._lock:
            return sum(n for kind, n in self.calls.items() if kind not in ("throttled", "faults"))

    # -- request handling ---------------------------------------------------------------------

    def handle(self, path: str, query: str, headers: dict[str, str]) -> _Reply:
        """Answer one GET request (the HTTP handler's only job is to call this)."""
        if path.rstrip("/") == "/__sandbox/calls":
            with self._lock:
                return _json_reply(200, dict(self.calls))
        params = dict(parse_qsl(query, keep_blank_values=True))
        route = self._route(path)
        kind = route.kind if route else "unknown"
        with self._lock:
            self.calls[kind] += 1
            self._call_number += 1
            number = self._call_number
        pages = self._pages_in(route, params)
        fault = self._fault(number)
        if fault is not None:
            return fault if isinstance(fault, _Reply) else self._error_reply(fault, number, pages, throttled=True)
        try:
            token = _token(params, headers)
            if "access_token" in params:
                with self._lock:
                    self.token_in_url_calls += 1
            if token not in self.valid_tokens:
                raise _expired_session(self.now())
            if route is None:
                raise GraphError("Unknown path components: " + path, code=2500)
            body = self._answer(route, params, token)
        except GraphError as error:
            return self._error_reply(error, number, pages)
        reply = _json_reply(200, body)
        reply.headers.update(self._usage_headers(number, pages, throttled=False))
        return reply

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

    def _pages_in(self, route: _Route | None, params: dict[str, str]) -> list[str]:
        """The pages a call is about, for the business-use-case usage header."""
        if route is None:
            return []
        ids = params.get("ids", "").split(",") if route.kind == "ids_lookup" else [route.object_id]
        pages = {i.partition("_")[0] for i in ids if i}
        return sorted(p for p in pages if p in self.world.pages)

    def _fault(self, number: int) -> GraphError | _Reply | None:
        def due(every: int) -> bool:
            return every > 0 and number % every == 0

        if due(self.throttle_every):
            with self._lock:
                code, status, message = _THROTTLES[self._throttle_number % len(_THROTTLES)]
                self._throttle_number += 1
                self.calls["throttled"] += 1
            return GraphError(message, code=code, status=status, is_transient=True)
        if due(self.transient_every):
            self._count_fault()
            return GraphError(
                "An unexpected error has occurred. Please retry your request later.",
                code=2,
                status=500,
                is_transient=True,
            )
        if due(self.server_error_every):
            self._count_fault()
            return _Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"})
        if due(self.malformed_every):
            self._count_fault()
            return _Reply(200, b'{"data":[{"name":"page_media_view","values":[{"val', {})
        return None

    def _count_fault(self) -> None:
        with self._lock:
            self.calls["faults"] += 1

    def _error_reply(self, error: GraphError, number: int, pages: list[str], throttled: bool = False) -> _Reply:
        reply = _json_reply(error.status, error.body())
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
            entry = {"type": "pages", **usage, "estimated_time_to_regain_access": regain}
            headers["X-Business-Use-Case-Usage"] = json.dumps({p: [entry] for p in pages})
        return headers

    # -- endpoints ----------------------------------------------------------------------------

    def _answer(self, route: _Route, params: dict[str, str], token: str) -> dict[str, Any]:
        kind = route.kind
        if kind == "ids_lookup":
            return self._ids_lookup(params)
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
        # Only complete local days that the world covers have values.
        requested = (since + timedelta(days=i) for i in range((until - since).days))
        days = [d for d in requested if d >= world.start and world.day_end(d) <= now]
        data = [
            {
                "name": metric,
                "period": "day",
                "values": [
                    {
                        "value": world.page_insight(page.id, metric, day),
                        "end_time": _graph_time(world.day_end(day)),
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
                next_params.update(after=cursors["after"], limit=str(limit), access_token=token)
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
            if "_" in object_id:
                out[object_id] = self._post_node(self._post(object_id), fields, always_id=True)
            else:
                out[object_id] = self._page_node(self._page(object_id), fields, always_id=True)
        return out

    def _exists(self, object_id: str) -> bool:
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


class _Handler(BaseHTTPRequestHandler):
    sandbox: SandboxServer
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections give their thread back
    # Headers and body leave in one segment: with Nagle's algorithm and delayed ACKs, a keep-alive
    # client would otherwise wait ~40 ms per response.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's naming)
        parts = urlsplit(self.path)
        try:
            reply = self.sandbox.handle(parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()})
        except Exception:
            logger.exception("sandbox failed on GET %s", parts.path)
            reply = _json_reply(500, GraphError("An unknown error occurred", code=1, status=500).body())
        self.send_response(reply.status)
        headers = {"Content-Type": "application/json; charset=UTF-8", **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("x-fb-trace-id", _trace_id())
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the stdlib's signature)
        logger.debug("sandbox: " + format, *args)


def _json_reply(status: int, body: object) -> _Reply:
    return _Reply(status, json.dumps(body, separators=(",", ":")).encode())


def _trace_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes[:8]).decode().rstrip("=")


def _token(params: dict[str, str], headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value:
        return value.strip()
    return params.get("access_token")


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


def _nonexisting_field(name: str, node_type: str) -> GraphError:
    return GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})", code=100)
