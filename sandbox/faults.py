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

The scheduled faults each platform reads from its constructor (`throttle_every` and the like, every
Nth call forever) and the paging loop (`LoopbackServer.paging_loop`) stay as they are: a plan adds
faults by position (the first calls to an edge, or every call to it) that a schedule cannot say."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass

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
