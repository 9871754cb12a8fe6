"""Fault injection for every platform sandbox, in one place: a plan saying which calls fail, and how.

Every `LoopbackServer` has a `faults` plan that it consults before answering a call (see
`LoopbackServer.dispatch`). A plan is a list of `Fault`s; the first fault whose `path` pattern
matches the request and that still has calls left answers the call instead of the platform:

- `throttle`: the platform's rate-limit answer (Graph: codes 4/17/32/80001 in turn; elsewhere a
  bare 429);
- `server_error`: an HTML 502 from a proxy in front of the API;
- `timeout`: the answer held back `delay_seconds`, longer than a client's read timeout;
- `truncated`: the platform's real answer, cut in half on the way (Content-Length announces the
  whole body, the connection closes after half of it);
- `malformed`: HTTP 200 with a body that is not valid JSON;
- `empty_page`: a page of a cursor-paged edge with no items that links on to the page asked for
  (Graph's `{"data": [], "paging": {"next": …}}` shape);
- `expired_token`: the platform's answer to an expired token (Graph code 190; elsewhere HTTP 401).

A `FaultSchedule` is the other way: faults by call number, every Nth API call forever, in the
platform's own shape. Every platform takes the same schedule options (`SCHEDULE_OPTIONS`, from its
constructor, the registry and `python -m sandbox serve`), and `LoopbackServer.scheduled_fault`
applies them. A plan adds faults by position (the first calls to an edge, or every call to it) that
a schedule cannot say. The paging loop (`LoopbackServer.paging_loop`) is the third kind: every page
after the first links back to itself."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, fields

KINDS = frozenset({"throttle", "server_error", "timeout", "truncated", "malformed", "empty_page", "expired_token"})


@dataclass(frozen=True)
class Fault:
    """`kind` on the calls whose path matches `path` (a regular expression searched in the request
    path; "" matches every API call): `calls` of them (None: every one) after letting `after` pass."""

    kind: str
    path: str = ""
    calls: int | None = None
    after: int = 0
    delay_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")


class FaultPlan:
    """The faults a sandbox injects, with how many calls each has matched (`matched`) and hit (`hits`)."""

    def __init__(self, *faults: Fault) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = list(faults)
        self.matched: Counter[int] = Counter()
        self.hits: Counter[str] = Counter()

    def add(self, *faults: Fault) -> FaultPlan:
        with self._lock:
            self._faults.extend(faults)
        return self

    def clear(self) -> None:
        """No more faults: the platform answers every call again."""
        with self._lock:
            self._faults.clear()
            self.matched.clear()
            self.hits.clear()

    def __bool__(self) -> bool:
        return bool(self._faults)

    def pick(self, path: str) -> Fault | None:
        """The fault that answers a call to `path`, or None; counts the call against each matching fault."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.path and not re.search(fault.path, path):
                    continue
                self.matched[index] += 1
                seen = self.matched[index]
                if seen <= fault.after:
                    continue
                if fault.calls is not None and seen > fault.after + fault.calls:
                    continue
                self.hits[fault.kind] += 1
                return fault
            return None


def every(n: int, number: int) -> bool:
    """Whether call `number` is due on an every-`n`th schedule (`n` <= 0 never fires)."""
    return n > 0 and number % n == 0


@dataclass(frozen=True)
class FaultSchedule:
    """Faults by API call number, each every Nth call (0: never), in the platform's own shape:

    - `throttle_every`: the platform's rate-limit answer;
    - `transient_every`: its answer to a passing failure on its side (a 5xx in its error shape);
    - `server_error_every`: a 5xx from in front of the API (most platforms: a proxy's HTML 502);
    - `malformed_every`: HTTP 200 with a body cut short, so that it is not valid JSON.

    When several are due on one call, the first in this order answers it."""

    throttle_every: int = 0
    transient_every: int = 0
    server_error_every: int = 0
    malformed_every: int = 0

    def due(self, number: int) -> list[str]:
        """The faults due on call `number`, by kind ("throttle", "transient", ...), in order."""
        return [f.name.removesuffix("_every") for f in fields(self) if every(getattr(self, f.name), number)]


SCHEDULE_OPTIONS: tuple[str, ...] = tuple(f.name for f in fields(FaultSchedule))
