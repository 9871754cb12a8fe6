"""The HTTP layer's policy pieces: backoff, usage headers, error classes, paging links, and how
an answer that cannot be read is retried."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.settings import HttpSettings
from extractors.http import (
    ApiClient,
    ApiEndpoint,
    GraphApiError,
    GraphInvalidParameterError,
    GraphPermissionError,
    GraphThrottledError,
    GraphTransientError,
    ResponseError,
    TokenExpiredError,
    error_from_body,
    regain_seconds,
    retry_delay,
    usage_percent,
    without_access_token,
)


def test_backoff_doubles_from_the_base_and_is_capped():
    settings = HttpSettings(backoff_base_seconds=2, max_backoff_seconds=30)
    assert [retry_delay(attempt, 0, settings) for attempt in range(6)] == [2, 4, 8, 16, 30, 30]


def test_backoff_waits_for_the_platforms_regain_estimate_within_the_cap():
    settings = HttpSettings(backoff_base_seconds=2, max_backoff_seconds=300)
    assert retry_delay(0, 120, settings) == 120
    assert retry_delay(0, 3600, settings) == 300


def test_usage_is_the_highest_percent_of_any_usage_header():
    headers = {
        "X-App-Usage": json.dumps({"call_count": 12, "total_cputime": 3, "total_time": 40}),
        "X-Business-Use-Case-Usage": json.dumps(
            {"1": [{"type": "pages", "call_count": 85, "total_time": 2, "estimated_time_to_regain_access": 0}]}
        ),
    }
    assert usage_percent(headers) == 85
    assert usage_percent({}) == 0
    assert usage_percent({"X-App-Usage": "not json"}) == 0


def test_regain_time_comes_from_the_business_use_case_header_in_minutes():
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(
            {
                "1": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 3}],
                "2": [{"type": "pages", "call_count": 10, "estimated_time_to_regain_access": 0}],
            }
        )
    }
    assert regain_seconds(headers) == 180
    assert regain_seconds({}) == 0


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (190, TokenExpiredError),
        (10, GraphPermissionError),
        (200, GraphPermissionError),
        (299, GraphPermissionError),
        (100, GraphInvalidParameterError),
        (4, GraphThrottledError),
        (17, GraphThrottledError),
        (32, GraphThrottledError),
        (613, GraphThrottledError),
        (80001, GraphThrottledError),
        (80004, GraphThrottledError),
        (1, GraphTransientError),
        (2, GraphTransientError),
        (803, GraphApiError),
    ],
)
def test_errors_are_classified_by_graph_code_not_http_status(code, expected):
    error = error_from_body(
        {"message": "boom", "code": code, "error_subcode": 7, "fbtrace_id": "AbC"}, "/v24.0/1/insights", 400
    )
    assert type(error) is expected
    assert (error.code, error.subcode, error.fbtrace_id, error.message) == (code, 7, "AbC", "boom")
    assert str(error).startswith("GET /v24.0/1/insights: boom (code ")


def test_an_unknown_code_is_retryable_when_marked_transient_or_sent_with_a_5xx():
    assert isinstance(
        error_from_body({"message": "x", "code": 9999, "is_transient": True}, "/p", 400), GraphTransientError
    )
    assert isinstance(error_from_body({"message": "x", "code": 9999}, "/p", 503), GraphTransientError)
    assert type(error_from_body({"message": "x", "code": 9999}, "/p", 400)) is GraphApiError


def test_paging_links_lose_their_access_token():
    path, params = without_access_token(
        "https://graph.facebook.com/v24.0/1/published_posts?fields=id&limit=100&access_token=SECRET&after=QVFI"
    )
    assert path == "/v24.0/1/published_posts"
    assert params == [("fields", "id"), ("limit", "100"), ("after", "QVFI")]


def test_an_endpoint_never_shows_its_token():
    endpoint = ApiEndpoint("https://graph.facebook.com", "SECRET", "v24.0", "facebook_main")
    assert "SECRET" not in repr(endpoint)


# -- bodies that cannot be read ---------------------------------------------------------------

GOOD = b'{"data":[{"id":"1"}]}'
CUT = b'{"data":[{"id":"1"},{"id'  # the same answer cut short, as a dropped proxy connection leaves it


class ScriptedServer:
    """A loopback server answering every GET with the next body of `bodies` (HTTP 200), the last
    one over and over; `requests` counts the GETs."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies, self.requests = bodies, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's naming)
                body = outer.bodies[min(outer.requests, len(outer.bodies) - 1)]
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def scripted() -> Iterator[Callable[[list[bytes]], ScriptedServer]]:
    started: list[ScriptedServer] = []

    def start(bodies: list[bytes]) -> ScriptedServer:
        server = ScriptedServer(bodies)
        server.thread.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.httpd.shutdown()
        server.httpd.server_close()


def _client(server: ScriptedServer, waits: list[float], retries: int = 3) -> ApiClient:
    endpoint = ApiEndpoint(server.url, "SECRET", "v1", "example_main", platform="Example API")
    return ApiClient(endpoint, HttpSettings(max_retries=retries), sleep=waits.append)


def test_a_body_cut_short_once_is_read_again(scripted):
    server, waits = scripted([CUT, GOOD]), []
    with _client(server, waits) as client:
        assert client.request("GET", "/v1/items") == {"data": [{"id": "1"}]}
    assert server.requests == 2
    assert len(waits) == 1


def test_a_body_cut_short_every_time_fails_after_the_retries_naming_platform_path_and_what_to_do(scripted):
    server, waits = scripted([CUT]), []
    with _client(server, waits, retries=3) as client, pytest.raises(ResponseError) as failure:
        client.request("GET", "/v1/items", {"limit": 100})
    text = str(failure.value)
    assert server.requests == 4 and len(waits) == 3
    assert failure.value.retryable and failure.value.path == "/v1/items"
    assert "Example API" in text and "GET /v1/items" in text and "giving up after 3 retries" in text
    assert "not valid JSON" in text and "rerun" in text
    assert "SECRET" not in text


@pytest.mark.parametrize("body", [b"[1, 2]", b'"ok"'])
def test_a_well_formed_body_that_is_not_an_object_is_not_retried(scripted, body):
    server, waits = scripted([body, GOOD]), []
    with _client(server, waits) as client, pytest.raises(ResponseError, match="not a JSON object") as failure:
        client.request("GET", "/v1/items")
    assert not failure.value.retryable
    assert server.requests == 1 and waits == []
