"""The sandbox's fault plan: which calls a fault answers, and what each kind puts on the wire."""

from __future__ import annotations

import pytest
import requests

from sandbox.facebook import DEFAULT_TOKEN
from sandbox.facebook import GraphSandbox as SandboxServer
from sandbox.faults import Fault, FaultPlan
from tests.conftest import SANDBOX_NOW

PAGE_PATH = "/v24.0/100200300400501"


def test_a_fault_answers_its_calls_after_the_ones_it_lets_pass():
    plan = FaultPlan(Fault("server_error", path="/insights$", calls=2, after=1))
    picked = [plan.pick(path) for path in ["/p/insights", "/p", "/p/insights", "/p/insights", "/p/insights"]]
    assert [f.kind if f else None for f in picked] == [None, None, "server_error", "server_error", None]
    assert plan.hits == {"server_error": 2}


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown fault kind 'teapot'"):
        Fault("teapot")


@pytest.fixture(scope="module")
def graph():
    with SandboxServer(now=SANDBOX_NOW) as server:
        yield server


def get(graph: SandboxServer, timeout: float = 5) -> requests.Response:
    return requests.get(graph.url + PAGE_PATH, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=timeout)


def test_throttle_and_expired_token_speak_the_graph_error_shape(graph):
    graph.faults.clear()
    graph.faults.add(Fault("throttle", calls=1), Fault("expired_token", calls=1))
    throttled, expired, served = get(graph), get(graph), get(graph)
    assert throttled.json()["error"]["code"] == 4 and throttled.json()["error"]["is_transient"] is True
    assert expired.json()["error"]["code"] == 190
    assert served.status_code == 200 and served.json()["id"] == "100200300400501"
    assert graph.calls["throttled"] >= 1


def test_a_truncated_body_announces_more_than_it_sends(graph):
    graph.faults.clear()
    graph.faults.add(Fault("truncated", calls=1))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(graph)
    assert get(graph).status_code == 200


def test_a_timeout_holds_the_answer_past_the_clients_timeout(graph):
    graph.faults.clear()
    graph.faults.add(Fault("timeout", calls=1, delay_seconds=2))
    with pytest.raises(requests.exceptions.ReadTimeout):
        get(graph, timeout=0.2)
    graph.faults.clear()
