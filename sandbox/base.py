"""What every platform sandbox shares: one loopback HTTP server per platform, a clock, call counts,
the faults (sandbox/faults.py), the paging loop and the shape of an error answer.

A platform subclasses `LoopbackServer` and implements `handle`, which gets every GET and POST and
returns a `Reply`. The base owns the socket, the threads, keep-alive, `GET /__sandbox/calls`, and
turns an exception in `handle` into a logged 500 JSON reply, so a sandbox bug shows up as a failed
call instead of a dropped connection. A platform's errors subclass `ApiError`, whose `body` is the
platform's error body shape."""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, Self, TypeVar
from urllib.parse import urlsplit

from sandbox.faults import Fault, FaultPlan, FaultSchedule

T = TypeVar("T")
WorldT = TypeVar("WorldT")

logger = logging.getLogger(__name__)

CALLS_PATH = "/__sandbox/calls"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


@dataclass
class Reply:
    """One HTTP response. Content-Type defaults to JSON; Content-Length is always computed."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # A Content-Length announcing more than `body` (the truncated-body fault): the connection then
    # closes after `body`, as a dropped proxy connection leaves it.
    declared_length: int | None = None


def json_reply(status: int, obj: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(obj, separators=(",", ":")).encode(), dict(headers or {}))


def bad_gateway() -> Reply:
    """What the proxy in front of most APIs answers when the API behind it fails."""
    return Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"})


class ApiError(Exception):
    """An error a platform answers with: HTTP `status`, the platform's error `body()`, and `headers`
    of its own on top of those the answer is given."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        """The platform's error body."""
        raise NotImplementedError

    def reply(self, headers: dict[str, str] | None = None) -> Reply:
        return json_reply(self.status, self.body(), {**(headers or {}), **self.headers})


def int_param(params: dict[str, str], name: str, default: int, invalid: Callable[[str], ApiError]) -> int:
    """An integer query parameter, `default` when it is left out; any other text is `invalid(raw)`."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(raw) from None


class LoopbackServer(ABC):
    """A sandbox API on a loopback port (`port=0` picks a free one).

    It is built with `host`, `port`, `now` (fixes the clock; default: real time) and the fault
    schedule's options (`throttle_every` and the like, sandbox/faults.py). `calls` counts calls per
    endpoint kind; a platform counts each call once under its kind via `next_call`, and faulted
    calls additionally under one of `FAULT_COUNTERS`, which `total_calls` leaves out because they
    are subsets."""

    # Used in log lines and the server thread's name.
    LABEL: ClassVar[str] = "sandbox"
    FAULT_COUNTERS: ClassVar[frozenset[str]] = frozenset({"throttled", "faults"})
    # The body of a scheduled `malformed` fault: the start of one of the platform's answers.
    MALFORMED_BODY: ClassVar[bytes] = b'{"data":[{"id":"'

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, now: datetime | None = None, **schedule: int) -> None:
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.host, self.port = host, port
        self.fixed_now = now
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        # Not reset by reset_calls: fault schedules keep their rhythm across test phases.
        self._call_number = 0
        self._turn = 0
        # Faults by call number, consulted by the platform through `scheduled_fault`.
        self.schedule = FaultSchedule(**schedule)
        # The paging-loop fault (option `paging_loop`): see `next_cursor`.
        self.paging_loop = False
        # Faults by position (sandbox/faults.py), consulted before every API call.
        self.faults = FaultPlan()
        # A token endpoint and expiring tokens (sandbox/oauth.py), or None: the static valid_tokens only.
        self.oauth: Any = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- to implement -------------------------------------------------------------------------

    @abstractmethod
    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one request. `headers` has lower-case names; `query` is the raw query string. An
        `ApiError` raised here is answered in the platform's error shape."""

    def internal_error(self) -> Reply:
        """The reply when `handle` raised; platforms override it to use their error body shape."""
        return json_reply(500, {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}})

    def common_headers(self) -> dict[str, str]:
        """Headers sent on every response (e.g. a trace id); reply headers take precedence."""
        return {}

    # -- faults -------------------------------------------------------------------------------

    @property
    def throttle_every(self) -> int:
        return self.schedule.throttle_every

    def fault_reply(
        self, fault: Fault, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        """The answer to a call the fault plan picked (sandbox/faults.py). Platforms override the
        kinds whose body shape is their own (throttle, expired_token) and defer to this for the rest."""
        kind = fault.kind
        if kind == "timeout":
            time.sleep(fault.delay_seconds)
            return self.respond(method, path, query, headers, body)
        if kind == "truncated":
            whole = self.respond(method, path, query, headers, body)
            return Reply(whole.status, whole.body[: len(whole.body) // 2], whole.headers, len(whole.body))
        if kind == "server_error":
            return bad_gateway()
        if kind == "malformed":
            return Reply(200, b'{"data":[{"id":"', {})
        if kind == "empty_page":
            return json_reply(200, {"data": [], "paging": {"next": f"{self.url}{path}?{query}"}})
        if kind == "throttle":
            return json_reply(
                429, {"error": {"code": 429, "message": "Too many requests", "status": "RESOURCE_EXHAUSTED"}}
            )
        return json_reply(
            401, {"error": {"code": 401, "message": "The access token expired", "status": "UNAUTHENTICATED"}}
        )

    def scheduled_fault(self, number: int, **call: Any) -> Reply | None:
        """The answer the fault schedule gives API call `number` instead of the platform's, or None.
        Counted under "throttled" (a throttle) or "faults"; `call` is passed on to `scheduled_answer`."""
        for fault in self.schedule.due(number):
            reply = self.scheduled_answer(fault, number, **call)
            if reply is not None:
                self.count_fault("throttled" if fault == "throttle" else "faults")
                return reply
        return None

    def scheduled_answer(self, fault: str, number: int, **call: Any) -> Reply | None:
        """The platform's answer to a scheduled fault of kind `fault` on call `number`; None lets the
        call through. Platforms answer "throttle" and "transient" in their own shape; the base answers
        "server_error" as the proxy in front of most APIs does and "malformed" with MALFORMED_BODY."""
        if fault == "server_error":
            return bad_gateway()
        if fault == "malformed":
            return Reply(200, self.MALFORMED_BODY, {})
        return None

    def in_turn(self, answers: Sequence[T]) -> T:
        """The next of `answers`, which a platform gives in turn (one turn counter per sandbox)."""
        with self.lock:
            answer = answers[self._turn % len(answers)]
            self._turn += 1
        return answer

    def next_cursor(self, served: str | None, following: str) -> str:
        """The cursor (or `start`) a page links to next: `following`, or under the paging-loop fault
        the one the page was asked for with (`served`, None for a first page), so that a client
        following the link reads that page again, as a platform bug now and then makes it."""
        if self.paging_loop and served:
            self.count_fault()
            return served
        return following

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"sandbox": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.LABEL}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("%s listening on %s", self.LABEL, self.url)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What a connection's host is set to (platforms with a path prefix override it)."""
        return self.url

    def now(self) -> datetime:
        return self.fixed_now if self.fixed_now is not None else datetime.now(UTC)

    # -- call counting ------------------------------------------------------------------------

    def next_call(self, kind: str) -> int:
        """Count one API call under `kind`; return its number (1, 2, ...) for fault schedules."""
        with self.lock:
            self.calls[kind] += 1
            self._call_number += 1
            return self._call_number

    def count_fault(self, counter: str = "faults") -> None:
        with self.lock:
            self.calls[counter] += 1

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    @property
    def total_calls(self) -> int:
        """API calls answered, whatever their outcome (the fault counters are subsets)."""
        with self.lock:
            return sum(n for kind, n in self.calls.items() if kind not in self.FAULT_COUNTERS)

    # -- transport ----------------------------------------------------------------------------

    def dispatch(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        if method == "GET" and path.rstrip("/") == CALLS_PATH:
            with self.lock:
                return json_reply(200, dict(self.calls))
        try:
            fault = self.faults.pick(path) if self.faults else None
            if fault is not None:
                self.count_fault("throttled" if fault.kind == "throttle" else "faults")
                return self.fault_reply(fault, method, path, query, headers, body)
            if self.oauth is not None and (reply := self.oauth.answer(method, path, query, headers, body)):
                return reply
            return self.respond(method, path, query, headers, body)
        except Exception:
            logger.exception("%s failed on %s %s", self.LABEL, method, path)
            return self.internal_error()

    def respond(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        try:
            return self.handle(method, path, query, headers, body)
        except ApiError as error:
            return error.reply()


class PlatformSandbox(LoopbackServer, Generic[WorldT]):
    """One platform's sandbox: the API of its `world` (default: a `WORLD()`), accepting the access
    tokens `valid_tokens` (default: `TOKEN` alone), built with what `LoopbackServer` takes too."""

    WORLD: ClassVar[Callable[[], Any]]
    TOKEN: ClassVar[str]

    def __init__(self, world: WorldT | None = None, valid_tokens: Iterable[str] | None = None, **server: Any) -> None:
        super().__init__(**server)
        self.world: WorldT = world if world is not None else self.WORLD()
        self.valid_tokens: set[str] = set(valid_tokens) if valid_tokens is not None else {self.TOKEN}

    def revoke_token(self, token: str) -> None:
        """Invalidate a token, as expiry, a revoked grant or a regenerated secret does."""
        self.valid_tokens.discard(token)


class _Handler(BaseHTTPRequestHandler):
    sandbox: LoopbackServer
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections give their thread back
    # Headers and body leave in one segment: with Nagle's algorithm and delayed ACKs, a keep-alive
    # client would otherwise wait ~40 ms per response.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's naming)
        self._serve("POST")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self._read_body(headers)
        reply = self.sandbox.dispatch(method, parts.path, parts.query, headers, body)
        self.send_response(reply.status)
        out = {"Content-Type": JSON_CONTENT_TYPE, **self.sandbox.common_headers(), **reply.headers}
        for name, value in out.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(reply.declared_length or len(reply.body)))
        if reply.declared_length is not None:
            self.close_connection = True
        try:
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (the timeout fault): nobody is left to answer.
            self.close_connection = True

    def _read_body(self, headers: dict[str, str]) -> bytes:
        # The whole body must be consumed, or the next request on this keep-alive connection
        # would start in the middle of it.
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers, up to the blank line
                pass
            return b"".join(chunks)
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the stdlib's signature)
        logger.debug(f"{self.sandbox.LABEL}: " + format, *args)
