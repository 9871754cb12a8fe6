"""The Meta ads insights extractor against the Marketing API sandbox over real HTTP.

Expected values come from the sandbox world's ground truth (`MetaAdsWorld.delivery`), never from
the responses themselves."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files, write_partition
from core.settings import HttpSettings
from expectations.runner import Validator, validate_landing_partition
from extractors.http import ApiEndpoint, ResponseError, TokenExpiredError
from nightly.extract import extract
from sandbox.meta_ads import AD_ACCOUNT_ID, DEFAULT_TOKEN, MetaAdsSandbox, MetaAdsWorld
from sources.config import load_config
from sources.meta_ads import (
    META_ADS_ACTIONS,
    META_ADS_INSIGHTS,
    SOURCE,
    SPEC,
    SUITES,
    MetaAds,
    MetaAdsClient,
    ReportRunFailedError,
    ReportRunTimeoutError,
    TooMuchDataError,
    parse_count,
    parse_money,
    parse_rows,
)
from tests.conftest import SANDBOX_NOW

pytestmark = pytest.mark.integration

CONFIG = load_config()  # the demo's configuration: its ad account, windows and attribution
SOURCE_CFG = CONFIG.sources.meta_ads
ACCOUNT = SOURCE_CFG.accounts[0]
TZ = CONFIG.organisation.tz
PARTITION = date(2026, 11, 19)  # the last complete day (America/Chicago) at SANDBOX_NOW
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0)
LINEAGE = {f.name for f in LINEAGE_FIELDS}
ADS = 20  # ads in the world's account (in flu season; a paused campaign's ads deliver nothing that week)


@pytest.fixture(scope="module")
def world() -> MetaAdsWorld:
    return MetaAdsWorld()


@pytest.fixture
def make_meta(world) -> Iterator[Callable[..., MetaAdsSandbox]]:
    """Start Marketing API sandboxes (`now` defaults to SANDBOX_NOW); all are stopped at teardown."""
    started: list[MetaAdsSandbox] = []

    def make(**options: object) -> MetaAdsSandbox:
        options.setdefault("now", SANDBOX_NOW)
        options.setdefault("world", world)
        server = MetaAdsSandbox(**options).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def settings(**changes: object) -> MetaAds:
    """The configured source with quick polling (tests never wait for real)."""
    base = {"poll_initial_seconds": 0.01, "poll_max_seconds": 0.04, "poll_timeout_seconds": 5}
    return MetaAds.model_validate({**SOURCE_CFG.model_dump(), **base, **changes})


def endpoint(server: MetaAdsSandbox, token: str = DEFAULT_TOKEN) -> ApiEndpoint:
    return ApiEndpoint(server.url, token, "v24.0", ACCOUNT.connection_id)


def run(
    server: MetaAdsSandbox,
    data_dir,
    day: date = PARTITION,
    source: MetaAds | None = None,
    http: HttpSettings = FAST,
    token: str = DEFAULT_TOKEN,
    sleep: Callable[[float], None] = lambda seconds: None,
) -> dict[str, int]:
    """One nightly extraction of the configured ad account, run (as the DAG does) after the day ended."""
    ctx = RunContext(day, f"test-{day}", server.now())
    return extract(
        SPEC,
        ACCOUNT,
        endpoint(server, token),
        source or settings(),
        CONFIG.windows,
        http,
        ctx,
        TZ,
        data_dir.landing,
        sleep=sleep,
    )


def landed(data_dir, entity: str, day: date = PARTITION) -> list[dict]:
    rows = []
    for path in partition_files(SOURCE, entity, day, data_dir.landing):
        rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
    return rows


def landed_before(data_dir, day: date) -> None:
    """An earlier night's (empty) partition: the account has history, so the run reads the lookback."""
    ctx = RunContext(day, f"earlier-{day}", SANDBOX_NOW)
    write_partition(SOURCE, "ads_insights", ACCOUNT.id, [], META_ADS_INSIGHTS, ctx, data_dir.landing)


def nothing_landed(data_dir) -> bool:
    return not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def expected_insights(world: MetaAdsWorld, first: date, last: date) -> list[dict]:
    return [
        {
            "ad_account_id": AD_ACCOUNT_ID,
            "date": row.day,
            "campaign_id": row.ad.ad_campaign.id,
            "campaign_name": row.ad.ad_campaign.name,
            "adset_id": row.ad.adset_id,
            "ad_id": row.ad.id,
            "ad_name": row.ad.name,
            "account_currency": "USD",
            "spend": row.spend,
            "impressions": row.impressions,
            "reach": row.reach,
            "clicks": row.clicks,
            "inline_link_clicks": row.inline_link_clicks,
        }
        for day in days(first, last)
        for row in world.delivery(AD_ACCOUNT_ID, day)
    ]


def expected_actions(world: MetaAdsWorld, first: date, last: date) -> list[dict]:
    return [
        {
            "ad_account_id": AD_ACCOUNT_ID,
            "date": row.day,
            "ad_id": row.ad.id,
            "action_type": action_type,
            "value": float(count),
            "action_value": row.action_values.get(action_type),
        }
        for day in days(first, last)
        for row in world.delivery(AD_ACCOUNT_ID, day)
        for action_type, count in row.actions.items()
    ]


def by_key(rows: list[dict], *key: str) -> list[dict]:
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in key))


def spend_per_day(rows) -> dict[date, Decimal]:
    totals: Counter = Counter()
    for row in rows:
        totals[row["date"]] += row["spend"]
    return dict(totals)


def assert_lands_the_world(data_dir, world: MetaAdsWorld, first: date, last: date, day: date = PARTITION) -> None:
    insights = landed(data_dir, "ads_insights", day)
    expected = expected_insights(world, first, last)
    assert by_key(insights, "ad_id", "date") == by_key(expected, "ad_id", "date")
    assert spend_per_day(insights) == {
        d: sum((r.spend for r in world.delivery(AD_ACCOUNT_ID, d)), Decimal(0)) for d in days(first, last)
    }
    actions = landed(data_dir, "ads_actions", day)
    keys = ("ad_id", "date", "action_type")
    assert by_key(actions, *keys) == by_key(expected_actions(world, first, last), *keys)


# -- reading and landing --------------------------------------------------------------------


def test_a_later_run_rereads_28_days_with_one_get_and_lands_the_worlds_delivery(make_meta, world, data_dir):
    server = make_meta()
    source = settings(async_threshold_days=28)
    landed_before(data_dir, PARTITION - timedelta(days=1))

    counts = run(server, data_dir, source=source)

    first = PARTITION - timedelta(days=27)
    assert_lands_the_world(data_dir, world, first, PARTITION)
    insights = landed(data_dir, "ads_insights")
    # Every ad on every day it delivered (a campaign paused for a week has no rows that week).
    delivered = len(expected_insights(world, first, PARTITION))
    assert counts == {"ads_insights": delivered, "ads_actions": len(landed(data_dir, "ads_actions"))}
    # The strings became typed values: decimals to the cent, integers, NULL where there is no value.
    assert all(isinstance(r["spend"], Decimal) and r["spend"].as_tuple().exponent == -2 for r in insights)
    assert all(isinstance(r["impressions"], int) and r["reach"] <= r["impressions"] for r in insights)
    actions = landed(data_dir, "ads_actions")
    assert {r["action_value"] is None for r in actions} == {True, False}
    assert all(r["action_value"] is not None for r in actions if r["action_type"] == "lead")
    assert dict(server.calls) == {"insights": math.ceil(delivered / source.page_size)}


def test_a_first_run_backfills_through_an_async_report_then_later_runs_reread_28_days(make_meta, world, data_dir):
    server = make_meta()
    backfill = CONFIG.windows.backfill_days

    counts = run(server, data_dir)

    first = PARTITION - timedelta(days=backfill - 1)
    assert_lands_the_world(data_dir, world, first, PARTITION)
    assert counts["ads_insights"] == len(expected_insights(world, first, PARTITION))
    assert dict(server.calls) == {
        "report_runs": 1,
        "report_status": 1,
        "report_insights": math.ceil(counts["ads_insights"] / SOURCE_CFG.page_size),
    }

    # The next night re-reads the lookback, as the attribution window keeps changing recent days.
    next_day = PARTITION + timedelta(days=1)
    server.fixed_now = SANDBOX_NOW + timedelta(days=1)
    server.reset_calls()
    run(server, data_dir, day=next_day)

    lookback = SOURCE_CFG.lookback_days
    assert lookback == 28
    assert {r["date"] for r in landed(data_dir, "ads_insights", next_day)} == set(
        days(next_day - timedelta(days=lookback - 1), next_day)
    )
    assert_lands_the_world(data_dir, world, next_day - timedelta(days=lookback - 1), next_day, day=next_day)
    assert server.calls["report_runs"] == 1  # 28 days > async_threshold_days (7)


def test_a_failed_report_run_is_submitted_again(make_meta, world, data_dir, caplog):
    server = make_meta(fail_async_jobs=2)
    with caplog.at_level(logging.WARNING, logger="sources.meta_ads"):
        run(server, data_dir)

    backfill = CONFIG.windows.backfill_days
    assert_lands_the_world(data_dir, world, PARTITION - timedelta(days=backfill - 1), PARTITION)
    assert server.calls["report_runs"] == 3 and server.calls["report_status"] == 3
    assert sum("submitting it again" in r.getMessage() for r in caplog.records) == 2


def test_report_runs_that_keep_failing_stop_the_run_with_a_clear_error(make_meta, data_dir):
    server = make_meta(fail_async_jobs=10)
    with pytest.raises(ReportRunFailedError) as failure:
        run(server, data_dir)

    message = str(failure.value)
    assert f"act_{AD_ACCOUNT_ID}" in message and "failed 3 times" in message and "Job Failed" in message
    assert server.calls["report_runs"] == 3
    assert nothing_landed(data_dir)


def test_the_rows_of_a_failed_report_run_are_a_report_failure_not_a_transient_error(make_meta):
    server = make_meta(fail_async_jobs=1)
    with MetaAdsClient(endpoint(server), FAST, sleep=lambda s: None) as client:
        run_id = client.post(f"/act_{AD_ACCOUNT_ID}/insights", {"level": "ad", "time_increment": 1})["report_run_id"]
        client.get(f"/{run_id}", {"fields": "async_status"})
        with pytest.raises(ReportRunFailedError) as failure:
            client.get(f"/{run_id}/insights")
    assert (failure.value.code, failure.value.subcode) == (-2, 2490547)
    assert server.calls["report_insights"] == 1  # not retried


def test_a_slow_report_run_is_polled_with_doubling_waits(make_meta, world, data_dir):
    server = make_meta(async_polls_before_done=4)
    waits: list[float] = []
    run(server, data_dir, source=settings(poll_initial_seconds=0.01, poll_max_seconds=0.04), sleep=waits.append)

    assert waits == [0.01, 0.02, 0.04, 0.04]
    assert server.calls["report_status"] == 5
    backfill = CONFIG.windows.backfill_days
    assert_lands_the_world(data_dir, world, PARTITION - timedelta(days=backfill - 1), PARTITION)


def test_a_report_run_that_never_finishes_times_out(make_meta, data_dir):
    server = make_meta(async_polls_before_done=1000)
    waits: list[float] = []
    source = settings(poll_initial_seconds=1, poll_max_seconds=4, poll_timeout_seconds=10)
    with pytest.raises(ReportRunTimeoutError) as failure:
        run(server, data_dir, source=source, sleep=waits.append)

    assert waits == [1, 2, 4, 3]  # 10 s of waiting in all
    assert server.calls["report_status"] == 5
    assert "poll_timeout_seconds" in str(failure.value) and f"act_{AD_ACCOUNT_ID}" in str(failure.value)
    assert nothing_landed(data_dir)


@pytest.mark.parametrize("limit_option", ["sync_row_limit", "data_per_call_limit"])
def test_too_much_data_splits_the_range_in_halves(make_meta, world, data_dir, caplog, limit_option):
    # 90 days x 20 ads is too much for one call; 45 days too; 23 and 22 days are not.
    server = make_meta(**{limit_option: 25 * ADS})
    source = settings(async_threshold_days=90, page_size=5000)
    with caplog.at_level(logging.WARNING, logger="sources.meta_ads"):
        counts = run(server, data_dir, source=source)

    backfill = CONFIG.windows.backfill_days
    first = PARTITION - timedelta(days=backfill - 1)
    assert_lands_the_world(data_dir, world, first, PARTITION)
    assert counts["ads_insights"] == len(expected_insights(world, first, PARTITION))
    assert dict(server.calls) == {"insights": 1 + 2 + 4}
    splits = [r.getMessage() for r in caplog.records if "apart" in r.getMessage()]
    assert len(splits) == 3
    assert f"{first}..{PARTITION}" in splits[0]
    assert f"reading {first}..{first + timedelta(days=44)} and {first + timedelta(days=45)}..{PARTITION}" in splits[0]


def test_a_single_day_that_is_still_too_much_fails_naming_the_account_and_day(make_meta, data_dir):
    server = make_meta(sync_row_limit=ADS - 1)
    with pytest.raises(TooMuchDataError) as failure:
        run(server, data_dir, source=settings(async_threshold_days=90))

    first = PARTITION - timedelta(days=CONFIG.windows.backfill_days - 1)
    assert f"act_{AD_ACCOUNT_ID}" in str(failure.value) and f"single day {first}" in str(failure.value)
    # The first halves, read first: 90, 45, 22, 11, 5, 2 and 1 days; the run stops at the first single day.
    assert server.calls["insights"] == 7
    assert nothing_landed(data_dir)


# -- errors ---------------------------------------------------------------------------------


def test_an_expired_token_fails_at_once_asking_to_reauthorise(make_meta, data_dir):
    server = make_meta()
    with pytest.raises(TokenExpiredError) as failure:
        run(server, data_dir, token="expired-token")

    message = str(failure.value)
    assert f"re-authorise connection {ACCOUNT.connection_id}" in message.lower()
    assert "expired-token" not in message
    assert server.total_calls == 1
    assert nothing_landed(data_dir)


def test_throttles_and_intermittent_errors_are_retried_and_the_same_rows_land(make_meta, world, data_dir):
    server = make_meta(throttle_every=2, transient_every=3, async_polls_before_done=2)
    waits: list[float] = []
    run(server, data_dir, sleep=waits.append)

    backfill = CONFIG.windows.backfill_days
    assert_lands_the_world(data_dir, world, PARTITION - timedelta(days=backfill - 1), PARTITION)
    assert server.calls["throttled"] >= 3 and server.calls["faults"] >= 1
    assert waits.count(FAST.backoff_base_seconds) >= 4  # each retry got through at once


def test_a_throttle_waits_for_metas_estimated_time_to_regain_access(make_meta, data_dir):
    server = make_meta(throttle_every=2, regain_minutes=1, sync_row_limit=0)
    waits: list[float] = []
    http = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=300, usage_slowdown_seconds=0)
    # One GET of two pages: the second page's call is throttled, its retry goes through.
    run(server, data_dir, source=settings(async_threshold_days=90, page_size=1000), http=http, sleep=waits.append)

    assert waits == [60]  # one minute, from X-Business-Use-Case-Usage
    assert server.calls["throttled"] == 1 and server.calls["insights"] == 3


def test_calls_are_spaced_out_as_the_ad_account_usage_nears_its_limit(make_meta, world, data_dir):
    server = make_meta(throttle_every=5, sync_row_limit=0)
    waits: list[float] = []
    http = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0.5)
    # Six pages: the fourth answer reports 80% usage, so the fifth call waits first.
    first = PARTITION - timedelta(days=CONFIG.windows.backfill_days - 1)
    page_size = -(-len(expected_insights(world, first, PARTITION)) // 6)
    run(server, data_dir, source=settings(async_threshold_days=90, page_size=page_size), http=http, sleep=waits.append)

    assert waits[0] == 0.5
    assert server.calls["insights"] == 6 + 1


# -- parsing --------------------------------------------------------------------------------


def test_numbers_are_parsed_from_strings():
    where = "ad 1 on 2026-11-01"
    assert parse_money("14.35", "spend", where) == Decimal("14.35")
    assert parse_money("14.345", "spend", where) == Decimal("14.35")  # half-up, not half-even
    assert parse_money("7", "spend", where) == Decimal("7.00")
    assert parse_money(None, "spend", where) is None
    assert parse_count("185", "impressions", where) == 185
    assert parse_count(None, "reach", where) is None
    with pytest.raises(ResponseError, match="impressions is not a whole count"):
        parse_count("18.5", "impressions", where)


def test_an_absent_metric_is_null_and_a_word_where_a_number_belongs_fails():
    raw = {
        "date_start": "2026-11-01",
        "date_stop": "2026-11-01",
        "campaign_id": "c1",
        "adset_id": "s1",
        "ad_id": "a1",
        "spend": "3.20",
        "impressions": "100",
        "actions": [{"action_type": "lead", "value": "2", "7d_click": "2"}],
        "action_values": [{"action_type": "offsite_conversion.fb_pixel_purchase", "value": "12.505"}],
    }
    insights, actions = parse_rows(AD_ACCOUNT_ID, [raw])
    assert insights[0]["reach"] is None and insights[0]["clicks"] is None and insights[0]["impressions"] == 100
    common = {"ad_account_id": AD_ACCOUNT_ID, "date": date(2026, 11, 1), "ad_id": "a1"}
    assert actions == [
        {**common, "action_type": "lead", "value": 2.0, "action_value": None},
        {
            **common,
            "action_type": "offsite_conversion.fb_pixel_purchase",
            "value": None,
            "action_value": Decimal("12.51"),
        },
    ]
    with pytest.raises(ResponseError) as failure:
        parse_rows(AD_ACCOUNT_ID, [{**raw, "clicks": "n/a"}])
    assert "clicks" in str(failure.value) and "ad a1" in str(failure.value) and "2026-11-01" in str(failure.value)
    with pytest.raises(ResponseError, match="twice"):
        parse_rows(AD_ACCOUNT_ID, [raw, raw])


# -- the landing gate -----------------------------------------------------------------------


def test_landed_partitions_pass_the_landing_suites_and_broken_ones_fail(make_meta, data_dir):
    run(make_meta(), data_dir, source=settings(async_threshold_days=90))
    validator = Validator(data_dir)
    for entity, factory in SUITES.items():
        summary = validate_landing_partition(validator, SOURCE, entity, PARTITION, factory)
        assert not summary.failures, summary.describe()

    day = PARTITION + timedelta(days=1)
    good = landed(data_dir, "ads_insights")[:3]
    broken = [
        {**good[0], "reach": good[0]["impressions"] + 1},
        good[1],
        good[1],
        {**good[2], "date": day + timedelta(days=1)},
    ]
    ctx = RunContext(day, "broken", SANDBOX_NOW)
    write_partition(SOURCE, "ads_insights", ACCOUNT.id, broken, META_ADS_INSIGHTS, ctx, data_dir.landing)
    summary = validate_landing_partition(validator, SOURCE, "ads_insights", day, SUITES["ads_insights"])
    assert {f.expectation for f in summary.critical_failures} == {
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_between",
    }
    action = {**landed(data_dir, "ads_actions")[0], "value": -1.0}
    write_partition(SOURCE, "ads_actions", ACCOUNT.id, [action, action], META_ADS_ACTIONS, ctx, data_dir.landing)
    summary = validate_landing_partition(validator, SOURCE, "ads_actions", day, SUITES["ads_actions"])
    assert {f.expectation for f in summary.critical_failures} == {
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_between",
    }
