"""The Graph HTTP layer's policy pieces: backoff, usage headers, error classes, paging links."""

from __future__ import annotations

import json

import pytest

from extractors.http import (
    ApiEndpoint,
    GraphApiError,
    GraphInvalidParameterError,
    GraphPermissionError,
    GraphThrottledError,
    GraphTransientError,
    TokenExpiredError,
    error_from_body,
    regain_seconds,
    retry_delay,
    usage_percent,
    without_access_token,
)
from pipeline.config import HttpSettings


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
