"""The GA4 Data API sandbox: runReport answers the conversions world in Google's shapes, limits and
error bodies. Requests go through the server's dispatcher, without a socket."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox import registry
from sandbox.advocacy import export_csvs
from sandbox.conversions import KEY_EVENTS, NOT_SET, ORGANIC_PLATFORMS, PAID_SOCIAL, ConversionsWorld
from sandbox.ga4 import DEFAULT_TOKEN, MAX_LIMIT, PROPERTY_ID, Ga4Sandbox
from sandbox.media_plan import CHANNELS

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 06:00 in Chicago: the 19th is the last complete day
YESTERDAY = date(2026, 11, 19)
AUTH = {"authorization": f"Bearer {DEFAULT_TOKEN}"}
PATH = f"/v1beta/properties/{PROPERTY_ID}:runReport"
SESSION_DIMENSIONS = ["date", "sessionSource", "sessionMedium", "sessionCampaignName"]


@pytest.fixture(scope="module")
def world() -> ConversionsWorld:
    return ConversionsWorld()


@pytest.fixture
def server(world) -> Ga4Sandbox:
    return Ga4Sandbox(world=world, now=NOW)


def report(server: Ga4Sandbox, headers: dict[str, str] | None = None, path: str = PATH, method: str = "POST", **body):
    reply = server.dispatch(method, path, "", AUTH if headers is None else headers, json.dumps(body).encode())
    try:
        return reply.status, json.loads(reply.body)
    except ValueError:
        return reply.status, reply.body


def request(start: str = "2026-11-13", end: str = "2026-11-19", dims=SESSION_DIMENSIONS, metrics=("sessions",), **more):
    return {
        "dateRanges": [{"startDate": start, "endDate": end}],
        "dimensions": [{"name": d} for d in dims],
        "metrics": [{"name": m} for m in metrics],
        **more,
    }


def key_event_filter(events=KEY_EVENTS) -> dict:
    return {"filter": {"fieldName": "eventName", "inListFilter": {"values": list(events)}}}


def rows(body: dict) -> list[tuple[list[str], list[str]]]:
    return [
        ([v["value"] for v in r["dimensionValues"]], [v["value"] for v in r["metricValues"]])
        for r in body.get("rows", [])
    ]


def error(body: dict) -> tuple[int, str]:
    return body["error"]["code"], body["error"]["status"]


def world_sessions(world: ConversionsWorld, first: date, last: date) -> Counter:
    totals = Counter()
    day = first
    while day <= last:
        for row in world.web(day):
            key = (day.strftime("%Y%m%d"), row.source, row.medium, row.campaign)
            totals[key] += row.sessions
        day += timedelta(days=1)
    return +totals


# -- reports ------------------------------------------------------------------------------------


def test_a_sessions_report_is_the_worlds_sessions_with_every_value_a_string(server, world):
    status, body = report(server, **request(metrics=("sessions", "engagedSessions"), returnPropertyQuota=True))

    assert status == 200
    assert body["dimensionHeaders"] == [{"name": d} for d in SESSION_DIMENSIONS]
    assert body["metricHeaders"] == [
        {"name": "sessions", "type": "TYPE_INTEGER"},
        {"name": "engagedSessions", "type": "TYPE_INTEGER"},
    ]
    assert body["metadata"] == {"currencyCode": "USD", "timeZone": "America/Chicago"}
    assert body["kind"] == "analyticsData#runReport"
    assert body["rowCount"] == len(body["rows"])
    assert all(isinstance(v["value"], str) for r in body["rows"] for v in r["dimensionValues"] + r["metricValues"])
    served = Counter({tuple(dims): int(values[0]) for dims, values in rows(body)})
    assert served == world_sessions(world, date(2026, 11, 13), YESTERDAY)
    assert all(int(values[1]) <= int(values[0]) for _, values in rows(body))
    quota = body["propertyQuota"]
    assert quota["tokensPerDay"]["consumed"] >= 1 and quota["tokensPerHour"]["remaining"] < 40_000


def test_key_events_are_filtered_to_the_requested_events_and_match_the_world(server, world):
    dims = [*SESSION_DIMENSIONS, "eventName"]
    status, body = report(server, **request(dims=dims, metrics=("keyEvents",), dimensionFilter=key_event_filter()))

    assert status == 200
    served = Counter({tuple(d): int(v[0]) for d, v in rows(body)})
    expected = Counter()
    for day in (YESTERDAY - timedelta(days=k) for k in range(7)):
        for row in world.web(day):
            for event, count in row.key_events.items():
                expected[(day.strftime("%Y%m%d"), row.source, row.medium, row.campaign, event)] += count
    assert served == +expected
    assert {d[-1] for d in served} == set(KEY_EVENTS)


def test_event_counts_include_the_events_that_are_not_key_events(server):
    status, body = report(server, **request(dims=["eventName"], metrics=("eventCount", "keyEvents")))
    by_event = {d[0]: (int(v[0]), int(v[1])) for d, v in rows(body)}
    _, sessions = report(server, **request(dims=[], metrics=("sessions", "engagedSessions", "keyEvents")))
    total_sessions, engaged, key_events = (int(v) for v in rows(sessions)[0][1])

    assert set(by_event) == {"session_start", "user_engagement", "page_view", *KEY_EVENTS}
    assert by_event["session_start"] == (total_sessions, 0)
    assert by_event["user_engagement"] == (engaged, 0)
    assert sum(by_event[e][1] for e in KEY_EVENTS) == key_events
    assert all(by_event[e][0] == by_event[e][1] for e in KEY_EVENTS)


def test_offset_paging_returns_every_row_once_and_row_count_before_paging(server):
    _, whole = report(server, **request())
    pages, offset = [], 0
    while True:
        _, body = report(server, **request(limit="40", offset=str(offset)))
        assert body["rowCount"] == whole["rowCount"] > 100
        pages += rows(body)
        offset += 40
        if offset >= body["rowCount"]:
            break
    assert pages == rows(whole)
    _, past_the_end = report(server, **request(offset=whole["rowCount"]))
    assert "rows" not in past_the_end and past_the_end["rowCount"] == whole["rowCount"]
    assert server.calls["run_report"] == 2 + len(range(0, whole["rowCount"], 40))


def test_relative_dates_count_in_the_propertys_timezone_and_today_has_no_data_yet(server):
    _, yesterday = report(server, **request(start="yesterday", end="yesterday", dims=["date"]))
    _, week = report(server, **request(start="6daysAgo", end="today", dims=["date"]))
    _, today = report(server, **request(start="today", end="today", dims=["date"]))

    assert [d for d, _ in rows(yesterday)] == [["20261119"]]
    assert sorted(d[0] for d, _ in rows(week)) == [f"202611{day}" for day in range(14, 20)]
    assert "rows" not in today and "rowCount" not in today


def test_two_date_ranges_add_a_date_range_dimension(server):
    body = request(dims=["sessionMedium"])
    body["dateRanges"].append({"startDate": "2026-11-06", "endDate": "2026-11-12"})
    _, answer = report(server, **body)

    assert answer["dimensionHeaders"][-1] == {"name": "dateRange"}
    assert {d[1] for d, _ in rows(answer)} == {"date_range_0", "date_range_1"}


def test_filters_and_order_bys_shape_the_report(server):
    social = {"filter": {"fieldName": "sessionMedium", "stringFilter": {"matchType": "EXACT", "value": "SOCIAL"}}}
    not_facebook = {
        "notExpression": {
            "filter": {"fieldName": "sessionSource", "stringFilter": {"value": "face", "matchType": "BEGINS_WITH"}}
        }
    }
    _, body = report(
        server,
        **request(
            dims=["sessionSource", "sessionMedium"],
            dimensionFilter={"andGroup": {"expressions": [social, not_facebook]}},
            orderBys=[{"dimension": {"dimensionName": "sessionSource"}, "desc": True}],
        ),
    )
    sources = [d[0] for d, _ in rows(body)]
    assert sources == sorted(sources, reverse=True) and "facebook" not in sources
    assert {d[1] for d, _ in rows(body)} == {"social"}


def test_rows_without_any_count_show_only_with_keep_empty_rows(server):
    _, sparse = report(server, **request(dims=[*SESSION_DIMENSIONS, "eventName"], metrics=("keyEvents",)))
    _, full = report(
        server, **request(dims=[*SESSION_DIMENSIONS, "eventName"], metrics=("keyEvents",), keepEmptyRows=True)
    )

    assert all(int(v[0]) > 0 for _, v in rows(sparse))
    assert full["rowCount"] > sparse["rowCount"]
    assert {d[-1] for d, v in rows(full) if v == ["0"]} >= {"page_view", "session_start"}


def test_the_limit_is_capped_at_250000(server):
    status, body = report(server, **request(limit=MAX_LIMIT * 4))
    assert status == 200 and len(body["rows"]) == body["rowCount"]


def test_untagged_shares_arrive_as_search_direct_and_paid_social_sessions(server, world):
    """Sessions served per tag agree with what the tags are expected to credit (`UNTAGGED` moved
    to search, direct and paid social), not with each channel's true effect."""
    first = date(2026, 5, 24)
    _, body = report(
        server, **request(start=first.isoformat(), dims=["sessionSource", "sessionMedium", "sessionCampaignName"])
    )
    truth = world.expected_by_channel(first, YESTERDAY)
    attributed = world.expected_attributed_by_channel(first, YESTERDAY)
    groups = {
        ("google", "organic"): ["organic_search"],
        ("(direct)", "(none)"): ["direct"],
        ("facebook", "paid_social"): [PAID_SOCIAL],
        "social": list(ORGANIC_PLATFORMS),
        "traditional": list(CHANNELS),
    }
    served = Counter()
    for (source, medium, campaign), (sessions,) in rows(body):
        if medium == "advocacy":
            continue  # advocates' clicks are no channel effect's draws (test_conversions_world)
        group = "social" if medium == "social" else "traditional" if medium in CHANNELS else (source, medium)
        served[group] += int(sessions)
        if medium in ("organic", "(none)"):
            assert campaign == NOT_SET
        else:
            assert campaign != NOT_SET

    assert served.keys() == groups.keys()  # no other tags
    for group, channels in groups.items():
        credited = sum(attributed[c]["sessions"] for c in channels)
        caused = sum(truth[c]["sessions"] for c in channels)
        noise = 4 * math.sqrt(credited)
        assert abs(served[group] - credited) <= noise, group  # Poisson noise only
        assert abs(caused - credited) > noise, group  # so the shares are visible in the draws


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"dimensions": [{"name": "pagePath"}]}, "pagePath is not a valid dimension"),
        ({"metrics": [{"name": "conversions"}]}, "conversions is not a valid metric"),
        ({"metrics": []}, "At least one metric"),
        ({"dateRanges": [{"startDate": "2026-11-19", "endDate": "2026-11-13"}]}, "is after endDate"),
        ({"dateRanges": [{"startDate": "2026-02-30", "endDate": "2026-03-01"}]}, "invalid value '2026-02-30'"),
        ({"dateRanges": [{"startDate": "last week", "endDate": "today"}]}, "NdaysAgo"),
        ({"dateRanges": []}, "dateRanges must be set"),
        ({"limit": -1}, "must not be negative"),
        ({"offset": "ten"}, "Invalid value at 'offset'"),
        ({"dimensionFilters": {}}, 'Unknown name "dimensionFilters"'),
        ({"metricFilter": {}}, "metricFilter is not served by the GA4 sandbox"),
        ({"dimensions": [{"name": "date"}, {"name": "date"}]}, "Duplicate dimension name date"),
        (
            {"dimensionFilter": {"filter": {"fieldName": "sessions", "inListFilter": {"values": ["1"]}}}},
            "metrics cannot",
        ),
        ({"orderBys": [{"metric": {"metricName": "keyEvents"}}]}, "must be one of the request's"),
    ],
)
def test_a_bad_request_is_a_400_invalid_argument_saying_what_is_wrong(server, change, fragment):
    status, body = report(server, **{**request(), **change})

    assert status == 400 and error(body) == (400, "INVALID_ARGUMENT")
    assert fragment in body["error"]["message"]


def test_session_metrics_with_the_event_name_are_incompatible(server):
    for body in (
        request(dims=["eventName"], metrics=("sessions",)),
        request(dims=["date"], metrics=("engagedSessions",), dimensionFilter=key_event_filter()),
    ):
        status, answer = report(server, **body)
        assert status == 400 and "incompatible" in answer["error"]["message"]


def test_tokens_and_properties_are_checked(world):
    server = Ga4Sandbox(world=world, now=NOW, denied_tokens=["viewer-elsewhere"])

    status, body = report(server, headers={"authorization": "Bearer expired"}, **request())
    assert status == 401 and error(body) == (401, "UNAUTHENTICATED")
    status, body = report(server, headers={}, **request())
    assert status == 401
    status, body = report(server, path="/v1beta/properties/999999:runReport", **request())
    assert status == 403 and error(body) == (403, "PERMISSION_DENIED")
    status, body = report(server, headers={"authorization": "Bearer viewer-elsewhere"}, **request())
    assert status == 403
    status, body = report(server, path="/v1beta/properties/G-ABC123:runReport", **request())
    assert status == 400 and "numeric" in body["error"]["message"]
    status, body = report(server, method="GET", **request())
    assert status == 404 and error(body) == (404, "NOT_FOUND")
    server.revoke_token(DEFAULT_TOKEN)
    assert report(server, **request())[0] == 401


def test_faults_fire_on_their_schedule_in_googles_shapes(world):
    throttled = Ga4Sandbox(world=world, now=NOW, throttle_every=2)
    answers = [report(throttled, **request()) for _ in range(4)]
    assert [status for status, _ in answers] == [200, 429, 200, 429]
    assert error(answers[1][1]) == (429, "RESOURCE_EXHAUSTED") and "tokens" in answers[1][1]["error"]["message"]
    assert throttled.calls["throttled"] == 2 and throttled.calls["run_report"] == 4

    flaky = Ga4Sandbox(world=world, now=NOW, transient_every=2, server_error_every=3, malformed_every=5)
    answers = [report(flaky, **request()) for _ in range(6)]
    assert [status for status, _ in answers] == [200, 503, 500, 503, 200, 503]
    assert error(answers[1][1]) == (503, "UNAVAILABLE") and error(answers[2][1]) == (500, "INTERNAL")
    assert isinstance(answers[4][1], bytes)  # a truncated body
    assert flaky.calls["faults"] == 5


def test_reports_spend_property_tokens_until_the_hours_are_gone(world):
    server = Ga4Sandbox(world=world, now=NOW, quota_limits={"tokensPerHour": 5})
    quarter = request(start="2026-08-22", end="2026-11-19", returnPropertyQuota=True)  # 90 days: 3 tokens
    status, body = report(server, **quarter)
    assert status == 200 and body["propertyQuota"]["tokensPerHour"] == {"consumed": 3, "remaining": 2}
    status, body = report(server, **quarter)
    assert status == 429 and error(body) == (429, "RESOURCE_EXHAUSTED") and "tokens" in body["error"]["message"]
    assert report(server, **request(returnPropertyQuota=True))[0] == 200  # a week costs 1 token


def test_the_registry_builds_the_ga4_sandbox_and_ignores_other_platforms_options():
    assert "ga4" in registry.platforms()
    server = registry.create("ga4", 42, 1.0, NOW, regain_minutes=5, plan_seed=8, throttle_every=3)
    assert isinstance(server, Ga4Sandbox)
    assert server.throttle_every == 3 and server.world.plan_seed == 8 and server.world.seed == 42


# -- employee advocacy ------------------------------------------------------------------------------


def export_clicks(as_of: date) -> Counter:
    """Clicks per tagged link (source, campaign, utm_content) in the advocacy export of `as_of`."""
    shares_text, _ = export_csvs(as_of)
    clicks = Counter()
    for share in csv.DictReader(io.StringIO(shares_text)):
        tags = dict(parse_qsl(urlsplit(share["shared_url"]).query))
        if tags.get("utm_medium") == "advocacy":
            clicks[(tags["utm_source"], tags.get("utm_campaign", NOT_SET), tags["utm_content"])] += int(share["clicks"])
    return clicks


def test_the_clicks_advocates_links_gain_in_a_day_are_that_days_advocacy_sessions(server):
    dims = ["date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionManualAdContent"]
    advocacy = {"filter": {"fieldName": "sessionMedium", "stringFilter": {"value": "advocacy"}}}
    _, body = report(server, **request(start="2026-11-17", dims=dims, dimensionFilter=advocacy))
    served = Counter()
    for (day, source, medium, campaign, content), (sessions,) in rows(body):
        assert medium == "advocacy" and re.fullmatch(r"[a-z]+_[0-9a-f-]{36}", content)
        served[(day, source, campaign, content)] += int(sessions)

    expected = Counter()
    for day in (date(2026, 11, 17), date(2026, 11, 18), YESTERDAY):
        # A share older than the export window has stopped gaining clicks long before.
        gained = export_clicks(day) - export_clicks(day - timedelta(days=1))
        expected.update({(day.strftime("%Y%m%d"), *link): n for link, n in gained.items()})
    assert served == expected and sum(served.values()) > 50
    _, untagged = report(server, **request(dims=["sessionManualAdContent", "sessionMedium"]))
    assert {medium for (content, medium), _ in rows(untagged) if content == NOT_SET} >= {"social", "organic"}
    assert {medium for (content, medium), _ in rows(untagged) if content != NOT_SET} == {"advocacy"}
