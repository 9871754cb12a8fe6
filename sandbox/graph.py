"""The Graph API's conventions, for the sandboxes on Meta's Graph host: Facebook Pages and Instagram
(`sandbox.facebook`, `sandbox.instagram`) and the Marketing API's ads insights (`sandbox.meta_ads`).

Error bodies (`GraphError`, with an `fbtrace_id`), tokens (`Authorization: Bearer` or `OAuth`, or the
`access_token` parameter), the field syntax (`a,b.summary(true).limit(0),insights.metric(x,y)`),
opaque cursors, time parameters, paging links and the usage headers' percents follow the real API
(shared/reference/platform-apis.md)."""

from __future__ import annotations

import base64
import re
import uuid
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sandbox.base import ApiError, LoopbackServer, PlatformSandbox, Reply, WorldT, int_param, json_reply
from sandbox.world import SeededWorld

VERSION = re.compile(r"^v\d+\.\d+$")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
UNEXPECTED_ERROR = "An unexpected error has occurred. Please retry your request later."


class GraphError(ApiError):
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
        super().__init__(status, message)
        self.message, self.code, self.subcode = message, code, subcode
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
        error["fbtrace_id"] = trace_id()
        return {"error": error}


@dataclass(frozen=True)
class GraphRoute:
    kind: str  # the endpoint kind calls are counted under
    version: str
    object_id: str = ""


@dataclass(frozen=True)
class Field:
    name: str
    modifiers: dict[str, str]


class GraphApi(PlatformSandbox[WorldT]):
    """A sandbox on the Graph host. Every call is counted under its route's kind; the fault schedule
    answers first (`throttle_error`, `transient_error`, or the base's); every answer carries the
    usage headers about the call's subject (`usage_headers`, at 100% on a faulted call). A Graph
    platform implements `route`, `usage_subject`, `answer` and those."""

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        route = self.route(method, path)
        number = self.next_call(route.kind if route else "unknown")
        subject = self.usage_subject(route, query)
        fault = self.scheduled_fault(number, route=route, subject=subject)
        if fault is not None:
            return fault
        try:
            reply = json_reply(200, self.answer(method, path, route, query, headers, body))
        except GraphError as error:
            reply = error.reply()
        reply.headers.update(self.usage_headers(number, subject, throttled=False))
        return reply

    @abstractmethod
    def route(self, method: str, path: str) -> GraphRoute | None:
        """Which endpoint a call addresses, or None when none does."""

    @abstractmethod
    def usage_subject(self, route: GraphRoute | None, query: str) -> Any:
        """What the call is about, for the business-use-case usage header."""

    @abstractmethod
    def answer(
        self, method: str, path: str, route: GraphRoute | None, query: str, headers: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        """The answer's body; a GraphError for an error answer."""

    @abstractmethod
    def usage_headers(self, number: int, subject: Any, throttled: bool) -> dict[str, str]:
        """The usage headers of call `number` about `subject`."""

    @abstractmethod
    def throttle_error(self, route: GraphRoute | None) -> GraphError:
        """The platform's next throttle answer (they come in turn)."""

    @abstractmethod
    def transient_error(self) -> GraphError:
        """The platform's answer to a passing failure on its side."""

    def scheduled_answer(self, fault: str, number: int, **call: Any) -> Reply | None:
        if fault == "throttle":
            error = self.throttle_error(call["route"])
        elif fault == "transient":
            error = self.transient_error()
        else:
            return super().scheduled_answer(fault, number)
        return error.reply(self.usage_headers(number, call["subject"], throttled=True))

    def internal_error(self) -> Reply:
        return json_reply(500, GraphError("An unknown error occurred", code=1, status=500).body())

    def common_headers(self) -> dict[str, str]:
        return {"x-fb-trace-id": trace_id()}

    def usage_percent(self, number: int, throttled: bool) -> int:
        """How much of its quota call `number` reports as used: rising towards 100 as the next
        scheduled throttle nears, 100 on a throttled call."""
        if throttled:
            return 100
        if self.throttle_every > 0:
            return 100 * (number % self.throttle_every) // self.throttle_every
        return min(10, 1 + number // 200)


def trace_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes[:8]).decode().rstrip("=")


def access_token(params: dict[str, str], headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value:
        return value.strip()
    return params.get("access_token")


def graph_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def absolute(server: LoopbackServer, path: str, params: dict[str, str]) -> str:
    return f"{server.url}{path}?{urlencode(params)}"


def metric_list(raw: str) -> list[str]:
    metrics = [m.strip() for m in raw.split(",") if m.strip()]
    if not metrics:
        raise GraphError("(#100) The parameter metric is required", code=100)
    return metrics


def parse_fields(spec: str) -> list[Field]:
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
        fields.append(Field(match.group(0), modifiers))
    return fields


def page_limit(params: dict[str, str], most: int | None = MAX_LIMIT) -> int:
    """The `limit` of a paged edge (DEFAULT_LIMIT unless given; more than `most` is cut to it)."""
    limit = int_param(
        params, "limit", DEFAULT_LIMIT, lambda _: GraphError("(#100) Param limit must be an integer", code=100)
    )
    if most is not None:
        limit = min(limit, most)
    if limit < 1:
        raise GraphError("(#100) The limit parameter must be positive", code=100)
    return limit


def instant_param(world: SeededWorld, params: dict[str, str], name: str) -> datetime | None:
    """A unix timestamp, or a YYYY-MM-DD date meaning that local midnight."""
    raw = params.get(name)
    if not raw:
        return None
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), UTC)
    try:
        return world.day_start(date.fromisoformat(raw))
    except ValueError:
        raise GraphError(f"(#100) The parameter {name} is not a valid date or timestamp", code=100) from None


def day_param(world: SeededWorld, params: dict[str, str], name: str) -> date | None:
    instant = instant_param(world, params, name)
    return world.local_day(instant) if instant is not None else None


def encode_cursor(number: int) -> str:
    return base64.urlsafe_b64encode(str(number).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise GraphError("(#100) Invalid cursor", code=100) from None


class Numbered(Protocol):
    @property
    def number(self) -> int: ...


NumberedT = TypeVar("NumberedT", bound=Numbered)


def cursor_page(
    server: LoopbackServer,
    listing: Iterable[NumberedT],
    node: Callable[[NumberedT], dict[str, Any]],
    limit: int,
    params: dict[str, str],
    path: str,
    token: str,
) -> dict[str, Any]:
    """One page of a cursor-paged edge whose items come newest first (`listing`, already past the
    `after` cursor): `limit` items as `node`s, their cursors, and a `next` link while more follow."""
    window = list(islice(listing, limit + 1))
    items, more = window[:limit], len(window) > limit
    body: dict[str, Any] = {"data": [node(item) for item in items]}
    if items:
        cursors = {"before": encode_cursor(items[0].number), "after": encode_cursor(items[-1].number)}
        body["paging"] = {"cursors": cursors}
        if more:
            next_params = {k: v for k, v in params.items() if k != "before"}
            after = server.next_cursor(params.get("after"), cursors["after"])
            next_params.update(after=after, limit=str(limit), access_token=token)
            body["paging"]["next"] = absolute(server, path, next_params)
    return body


def adjacent_windows(
    server: LoopbackServer,
    world: SeededWorld,
    path: str,
    params: dict[str, str],
    since: date,
    until: date,
    token: str,
) -> dict[str, str]:
    """The `previous` and `next` links of an insights answer: the windows as long as since..until
    before and after it (always linked, data or not, like the real API)."""
    span = until - since

    def window(start: date) -> str:
        bounds = {"since": day_timestamp(world, start), "until": day_timestamp(world, start + span)}
        return absolute(server, path, {**params, **bounds, "access_token": token})

    return {"previous": window(since - span), "next": window(until)}


def day_timestamp(world: SeededWorld, day: date) -> str:
    return str(int(world.day_start(day).timestamp()))


def lifetime_insights(
    object_id: str, metrics: list[str], counts: Mapping[str, int], described: Mapping[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """Lifetime insights of a post or media: one value per metric, with its title and description."""
    return [
        {
            "name": metric,
            "period": "lifetime",
            "values": [{"value": counts[metric]}],
            "title": described[metric][0],
            "description": described[metric][1],
            "id": f"{object_id}/insights/{metric}/lifetime",
        }
        for metric in metrics
    ]


def expired_session(now: datetime) -> GraphError:
    expired = (now - timedelta(days=1)).astimezone(ZoneInfo("America/Los_Angeles"))
    return GraphError(
        f"Error validating access token: Session has expired on {expired:%A, %d-%b-%y %H:%M:%S %Z}. "
        "The current time is later.",
        code=190,
        subcode=463,
    )


def no_such_object(object_id: str) -> GraphError:
    return unsupported("GET", object_id)


def unsupported(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        code=100,
        subcode=33,
    )


def nonexisting_field(name: str, node_type: str) -> GraphError:
    return GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})", code=100)
