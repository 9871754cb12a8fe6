"""The GA4 extractor against the GA4 Data API sandbox over real HTTP.

Expected values come from the conversions world's ground truth, never from the responses themselves."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files, write_partition
from core.settings import HttpSettings
from core.windows import DateWindow
from expectations.runner import Validator, validate_landing_partition
from extractors.http import ApiEndpoint, PermissionDeniedError, ResponseError, ThrottledError, TokenExpiredError
from nightly.extract import extract
from sandbox.conversions import ConversionsWorld
from sandbox.ga4 import DEFAULT_TOKEN, Ga4Sandbox
from sources.config import load_config
from sources.ga4 import GA4_KEY_EVENTS, GA4_SESSIONS, SOURCE, SPEC, GoogleAnalytics, parse_page, suites
from tests.conftest import SANDBOX_NOW

pytestmark = pytest.mark.integration

CONFIG = load_config()  # the demo's configuration: its property, key events and windows
SETTINGS = CONFIG.sources.ga4
ACCOUNT = SETTINGS.accounts[0]
TZ = CONFIG.organisation.tz
PARTITION = date(2026, 11, 19)  # the last complete day (America/Chicago) at SANDBOX_NOW
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0)
LINEAGE = {f.name for f in LINEAGE_FIELDS}
WORLD = ConversionsWorld()  # shared: its per-day cache makes every test after the first fast


@pytest.fixture
def make_ga4() -> Iterator[Callable[..., Ga4Sandbox]]:
    """Start GA4 sandboxes on the shared world (`now` defaults to SANDBOX_NOW); all stop at teardown."""
    started: list[Ga4Sandbox] = []

    def make(**kwargs: object) -> Ga4Sandbox:
        kwargs.setdefault("now", SANDBOX_NOW)
        kwargs.setdefault("world", WORLD)
        server = Ga4Sandbox(**kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def ga4(make_ga4) -> Ga4Sandbox:
    return make_ga4()


def run(
    server: Ga4Sandbox,
    day: date = PARTITION,
    settings: GoogleAnalytics = SETTINGS,
    token: str = DEFAULT_TOKEN,
    sleep=lambda seconds: None,
) -> dict[str, int]:
    """One nightly extraction of the configured property, run (as the DAG does) after the day ended."""
    endpoint = ApiEndpoint(server.base_url, token, "", ACCOUNT.connection_id)
    ctx = RunContext(day, f"test-{day}", server.now())
    return extract(SPEC, ACCOUNT, endpoint, settings, CONFIG.windows, FAST, ctx, TZ, sleep=sleep)


def _order(row: dict) -> tuple[str, ...]:
    return tuple(str(v) for v in row.values())


def landed(entity: str, day: date = PARTITION) -> list[dict]:
    rows = []
    for path in partition_files(SOURCE, entity, day):
        rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
    return sorted(rows, key=_order)


def nothing_landed(data_dir) -> bool:
    return not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def expected(first: date, last: date = PARTITION) -> dict[str, list[dict]]:
    sessions, events = [], []
    day = first
    while day <= last:
        for row in WORLD.web(day):
            keys = {
                "property_id": ACCOUNT.id,
                "date": day,
                "session_source": row.source,
                "session_medium": row.medium,
                "session_campaign_name": row.campaign,
                "session_manual_ad_content": row.ad_content,
            }
            if row.sessions:
                sessions.append({**keys, "sessions": row.sessions, "engaged_sessions": row.engaged_sessions})
            events += [
                {**keys, "event_name": event, "key_events": count}
                for event, count in row.key_events.items()
                if count and event in SETTINGS.key_events
            ]
        day += timedelta(days=1)
    return {"sessions": sorted(sessions, key=_order), "key_events": sorted(events, key=_order)}


def test_a_first_run_backfills_and_lands_the_worlds_sessions_and_key_events(ga4, data_dir):
    counts = run(ga4)

    first = PARTITION - timedelta(days=CONFIG.windows.backfill_days - 1)
    truth = expected(first)
    assert landed("sessions") == truth["sessions"]
    assert landed("key_events") == truth["key_events"]
    assert counts == {"sessions": len(truth["sessions"]), "key_events": len(truth["key_events"])}
    assert {e["event_name"] for e in truth["key_events"]} == set(SETTINGS.key_events)
    files = [p.relative_to(data_dir.landing).as_posix() for e in counts for p in partition_files(SOURCE, e, PARTITION)]
    assert files == [f"ga4/{e}/date={PARTITION}/{ACCOUNT.id}.parquet" for e in counts]
    assert ga4.calls["run_report"] == 2  # each report fits one page of the configured size


def test_small_pages_are_read_by_offset_up_to_row_count(make_ga4, data_dir, tmp_path, monkeypatch):
    run(make_ga4())
    whole = {entity: landed(entity) for entity in ("sessions", "key_events")}

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "paged"))
    server = make_ga4()
    run(server, settings=SETTINGS.model_copy(update={"page_size": 250}))

    assert {entity: landed(entity) for entity in whole} == whole
    pages = sum(math.ceil(len(rows) / 250) for rows in whole.values())
    assert server.calls["run_report"] == pages > 10


def test_a_later_run_rereads_only_the_lookback_window(ga4, data_dir):
    run(ga4, PARTITION - timedelta(days=1))
    counts = run(ga4)

    first = PARTITION - timedelta(days=SETTINGS.lookback_days - 1)
    assert landed("sessions") == expected(first)["sessions"]
    assert {r["date"] for r in landed("sessions")} == {first + timedelta(days=k) for k in range(SETTINGS.lookback_days)}
    assert counts["key_events"] == len(expected(first)["key_events"])


def test_a_rejected_token_fails_at_once_with_a_reauthorise_message_and_lands_nothing(ga4, data_dir):
    with pytest.raises(TokenExpiredError) as failure:
        run(ga4, token="an-expired-token")

    message = str(failure.value)
    assert f"Re-authorise connection {ACCOUNT.connection_id}" in message and "UNAUTHENTICATED" in message
    assert "analytics.readonly" in message and "an-expired-token" not in message
    assert ga4.total_calls == 1  # not retried
    assert nothing_landed(data_dir)


def test_a_token_without_access_to_the_property_is_refused_without_retries(make_ga4, data_dir):
    server = make_ga4(denied_tokens=["other-account"])
    with pytest.raises(PermissionDeniedError) as failure:
        run(server, token="other-account")

    assert failure.value.code == "PERMISSION_DENIED" and "Viewer" in str(failure.value)
    assert ACCOUNT.connection_id in str(failure.value)
    assert server.total_calls == 1 and nothing_landed(data_dir)


def test_spent_property_tokens_are_backed_off_and_the_run_lands_the_same_records(
    make_ga4, data_dir, tmp_path, monkeypatch
):
    run(make_ga4())
    clean = {entity: landed(entity) for entity in ("sessions", "key_events")}

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "throttled"))
    throttled = make_ga4(throttle_every=2)
    waits: list[float] = []
    run(throttled, sleep=waits.append)

    assert {entity: landed(entity) for entity in clean} == clean
    assert throttled.calls["throttled"] == 1 and waits == [FAST.backoff_base_seconds]


def test_a_persistent_throttle_gives_up_as_a_retryable_error(make_ga4, data_dir):
    server = make_ga4(throttle_every=1)
    with pytest.raises(ThrottledError) as failure:
        run(server)

    assert failure.value.retryable and "giving up after 6 retries" in str(failure.value)
    assert "RESOURCE_EXHAUSTED" in str(failure.value) and nothing_landed(data_dir)


def test_server_errors_are_retried(make_ga4, data_dir):
    server = make_ga4(transient_every=2, server_error_every=3)
    waits: list[float] = []
    counts = run(server, sleep=waits.append)

    assert counts["sessions"] == len(expected(PARTITION - timedelta(days=CONFIG.windows.backfill_days - 1))["sessions"])
    assert server.calls["faults"] == len(waits) > 0


def test_a_malformed_body_fails_naming_the_request(make_ga4, data_dir):
    with pytest.raises(ResponseError, match=f"properties/{ACCOUNT.id}:runReport"):
        run(make_ga4(malformed_every=1))
    assert nothing_landed(data_dir)


def test_values_are_parsed_from_strings_and_a_bad_value_names_the_report_and_row():
    request = {"dimensions": [{"name": "date"}, {"name": "sessionMedium"}], "metrics": [{"name": "sessions"}]}
    window = DateWindow(PARTITION - timedelta(days=2), PARTITION)

    def page(*rows: tuple[str, str, str]) -> dict:
        return {
            "dimensionHeaders": [{"name": "sessionMedium"}, {"name": "date"}],  # read by name, in any order
            "metricHeaders": [{"name": "sessions", "type": "TYPE_INTEGER"}],
            "rows": [
                {"dimensionValues": [{"value": medium}, {"value": day}], "metricValues": [{"value": n}]}
                for day, medium, n in rows
            ],
            "rowCount": 20,
        }

    parsed = parse_page(page(("20261119", "tv", "12")), "sessions", request, window, 10)
    assert parsed == [{"date": PARTITION, "sessionMedium": "tv", "sessions": 12}]
    with pytest.raises(ResponseError, match=r"GA4 sessions report row 12: sessions .* got '3\.5'"):
        parse_page(page(("20261119", "tv", "1"), ("20261118", "tv", "3.5")), "sessions", request, window, 10)
    with pytest.raises(ResponseError, match="row 11: date 2026-11-20 is outside"):
        parse_page(page(("20261120", "tv", "1")), "sessions", request, window, 10)
    with pytest.raises(ResponseError, match="rowCount"):
        parse_page({**page(("20261119", "tv", "1")), "rowCount": 5}, "sessions", request, window, 10)


def test_landed_partitions_pass_the_landing_suites_and_broken_ones_fail(ga4, data_dir):
    run(ga4)
    validator = Validator(data_dir)
    for entity, factory in suites(SETTINGS).items():
        summary = validate_landing_partition(validator, SOURCE, entity, PARTITION, factory)
        assert not summary.failures, summary.describe()

    day = PARTITION + timedelta(days=1)
    ctx = RunContext(day, "broken", SANDBOX_NOW)
    good = landed("sessions")[:2]
    broken = [{**good[0], "engaged_sessions": good[0]["sessions"] + 1}, good[1], good[1]]
    write_partition(SOURCE, "sessions", ACCOUNT.id, broken, GA4_SESSIONS, ctx, data_dir.landing)
    summary = validate_landing_partition(validator, SOURCE, "sessions", day, suites(SETTINGS)["sessions"])
    assert {f.expectation for f in summary.critical_failures} == {
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_compound_columns_to_be_unique",
    }
    event = landed("key_events")[0]
    odd = [{**event, "event_name": "page_view"}, {**event, "date": day + timedelta(days=1)}]
    write_partition(SOURCE, "key_events", ACCOUNT.id, odd, GA4_KEY_EVENTS, ctx, data_dir.landing)
    summary = validate_landing_partition(validator, SOURCE, "key_events", day, suites(SETTINGS)["key_events"])
    assert {f.expectation for f in summary.critical_failures} == {
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
    }
