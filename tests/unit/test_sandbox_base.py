"""The shared sandbox transport, the platform registry and the `python -m sandbox serve` CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import requests

from core.paths import PROJECT_ROOT
from sandbox import registry
from sandbox.base import LoopbackServer, Reply, json_reply
from sandbox.facebook import DEFAULT_TOKEN
from sandbox.facebook import GraphSandbox as SandboxServer
from sandbox.faults import every


class EchoServer(LoopbackServer):
    """Echoes each request back; `/boom` raises, to exercise the 500 path."""

    LABEL = "echo sandbox"

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        if path == "/boom":
            self.next_call("boom")
            raise RuntimeError("sandbox bug")
        number = self.next_call(f"{method.lower()}{path.replace('/', '_')}")
        if every(3, number):
            self.count_fault()
        echo = {"method": method, "path": path, "query": query, "body": body.decode(), "number": number}
        return json_reply(201 if method == "POST" else 200, echo, {"X-Echo": headers.get("x-probe", "")})


def test_servers_run_side_by_side_on_their_own_free_ports():
    with EchoServer() as first, EchoServer() as second:
        assert first.port != second.port and first.port > 0
        assert first.url == f"http://127.0.0.1:{first.port}"
        with requests.Session() as session:
            reply = session.get(f"{first.url}/a", params={"q": "1"}, headers={"X-Probe": "yes"}, timeout=5)
            assert reply.status_code == 200
            assert reply.headers["Content-Type"].startswith("application/json")
            assert reply.headers["X-Echo"] == "yes"
            assert reply.json() == {"method": "GET", "path": "/a", "query": "q=1", "body": "", "number": 1}
            # Keep-alive: the same connection serves the next request.
            assert session.get(f"{first.url}/a", timeout=5).json()["number"] == 2
            assert session.get(f"{second.url}/b", timeout=5).json()["number"] == 1
        assert first.calls == {"get_a": 2} and second.calls == {"get_b": 1}
    assert first._httpd is None and second._httpd is None  # stopped on leaving the block


def test_post_bodies_are_routed_to_handle():
    with EchoServer() as server, requests.Session() as session:
        reply = session.post(f"{server.url}/items", data=b'{"name":"x"}', timeout=5)
        assert reply.status_code == 201
        assert reply.json()["body"] == '{"name":"x"}' and reply.json()["method"] == "POST"
        chunked = session.post(f"{server.url}/items", data=iter([b"ab", b"cd"]), timeout=5)
        assert chunked.json()["body"] == "abcd"
        # The connection is still in step after both bodies.
        assert session.get(f"{server.url}/items", timeout=5).json()["method"] == "GET"


def test_calls_are_counted_and_served_and_fault_counters_are_left_out_of_the_total():
    with EchoServer() as server:
        for _ in range(3):
            requests.get(f"{server.url}/x", timeout=5)
        counts = requests.get(f"{server.url}/__sandbox/calls", timeout=5).json()
        assert counts == {"get_x": 3, "faults": 1}
        assert server.total_calls == 3
        server.reset_calls()
        assert server.total_calls == 0 and requests.get(f"{server.url}/__sandbox/calls", timeout=5).json() == {}


def test_an_exception_in_handle_is_a_logged_500_json_reply(caplog):
    with EchoServer() as server, requests.Session() as session:
        reply = session.get(f"{server.url}/boom", timeout=5)
        assert reply.status_code == 500
        assert reply.json()["error"]["code"] == 500
        assert "echo sandbox failed on GET /boom" in caplog.text
        assert session.get(f"{server.url}/after", timeout=5).status_code == 200


def test_the_clock_is_fixed_or_real_and_must_be_aware():
    fixed = datetime(2026, 1, 2, tzinfo=UTC)
    assert EchoServer(now=fixed).now() == fixed
    assert EchoServer().now().tzinfo is not None
    with pytest.raises(ValueError, match="timezone-aware"):
        EchoServer(now=datetime(2026, 1, 2))


def test_the_graph_sandbox_refuses_writes_and_answers_500s_in_its_error_shape(sandbox, monkeypatch):
    reply = requests.post(f"{sandbox.url}/v24.0/123", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=5)
    assert reply.status_code == 400
    assert reply.json()["error"]["message"].startswith("Unsupported post request")
    assert "x-fb-trace-id" in reply.headers

    def broken(*_: object) -> None:
        raise RuntimeError("sandbox bug")

    monkeypatch.setattr(sandbox, "_answer", broken)
    reply = requests.get(f"{sandbox.url}/v24.0/123", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=5)
    assert reply.status_code == 500 and reply.json()["error"]["code"] == 1


def test_the_registry_builds_the_graph_sandbox_with_the_options_it_knows():
    assert "facebook" in registry.platforms()
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    server = registry.create("facebook", 7, 0.5, now, throttle_every=5, not_a_graph_option=1)
    assert isinstance(server, SandboxServer)
    assert server.world.seed == 7 and server.now() == now and server.throttle_every == 5
    with pytest.raises(KeyError, match="unknown sandbox platform"):
        registry.create("myspace")


def test_a_platform_name_cannot_be_claimed_twice():
    with pytest.raises(ValueError, match="already registered"):
        registry.register("facebook", lambda *a, **k: EchoServer())


def test_the_cli_writes_the_url_file_and_stops_cleanly_on_sigterm(tmp_path):
    url_file = tmp_path / "sandbox-urls.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--url-file", str(url_file), "--platforms", "facebook"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not url_file.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        urls = json.loads(url_file.read_text())
        assert list(urls) == ["facebook"]
        assert urls["facebook"].startswith("http://127.0.0.1:")
        assert requests.get(f"{urls['facebook']}/__sandbox/calls", timeout=5).json() == {}
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr.decode()
    assert json.loads(stdout) == urls


def test_the_cli_rejects_unknown_platforms():
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "serve", "--platforms", "facebook,myspace"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode != 0 and b"unknown platforms: myspace" in result.stderr
