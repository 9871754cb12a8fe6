"""The Meta Marketing API sandbox: its ad delivery world, and the insights shapes, paging, async report
runs, limits and errors it answers with."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from sandbox import registry
from sandbox.meta_ads import (
    AD_ACCOUNT_ID,
    ATTRIBUTION_WINDOWS,
    DEFAULT_TOKEN,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_NOT_STARTED,
    JOB_RUNNING,
    JOB_STARTED,
    MetaAdsSandbox,
    MetaAdsWorld,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)  # 06:00 on 2026-11-20 in the account's timezone
TODAY = date(2026, 11, 20)
INSIGHTS = f"/v24.0/act_{AD_ACCOUNT_ID}/insights"
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
FIELDS = (
    "date_start,date_stop,campaign_id,campaign_name,adset_id,ad_id,ad_name,account_currency,"
    "spend,impressions,reach,clicks,inline_link_clicks,actions,action_values"
)


@pytest.fixture(scope="module")
def world() -> MetaAdsWorld:
    return MetaAdsWorld()


@pytest.fixture
def make_server(world):
    started: list[MetaAdsSandbox] = []

    def make(**options) -> MetaAdsSandbox:
        server = MetaAdsSandbox(world=world, now=NOW, **options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server) -> MetaAdsSandbox:
    return make_server()


def params(since: date, until: date, **extra: object) -> dict:
    query = {
        "level": "ad",
        "time_increment": "1",
        "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
        "fields": FIELDS,
        "action_attribution_windows": json.dumps(["7d_click", "1d_view"]),
        "limit": "500",
    }
    query.update({k: str(v) for k, v in extra.items()})
    return query


def get(server: MetaAdsSandbox, path: str, query: dict | None = None, headers: dict | None = None):
    return requests.get(f"{server.url}{path}", params=query, headers=AUTH if headers is None else headers, timeout=10)


def post(server: MetaAdsSandbox, path: str, query: dict):
    return requests.post(f"{server.url}{path}", params=query, headers=AUTH, timeout=10)


def graph_error(reply: requests.Response) -> dict:
    error = reply.json()["error"]
    assert {"message", "type", "code", "fbtrace_id"} <= set(error)
    return error


# -- the world ------------------------------------------------------------------------------


def test_the_world_is_deterministic_per_seed():
    day = date(2026, 10, 6)
    first, again, other = MetaAdsWorld(seed=1), MetaAdsWorld(seed=1), MetaAdsWorld(seed=2)
    assert first.delivery(AD_ACCOUNT_ID, day) == again.delivery(AD_ACCOUNT_ID, day)
    assert first.campaign_spend(day) != other.campaign_spend(day)


def test_campaign_totals_add_up_the_ads_delivery(world):
    day = date(2026, 11, 3)
    rows = world.delivery(AD_ACCOUNT_ID, day)
    assert len(rows) == len(world.ads(AD_ACCOUNT_ID)) == 20  # the flu-shot drive is in season
    spend = world.campaign_spend(day)
    clicks = world.campaign_link_clicks(day)
    assert sum(spend.values()) == sum(r.spend for r in rows) > 0
    assert sum(clicks.values()) == sum(r.inline_link_clicks for r in rows) > 0
    # Out of flu season the flu-shot ads deliver nothing.
    assert "flu-shot-2026" not in world.campaign_spend(date(2026, 6, 2))
    for row in rows:
        assert row.spend == row.spend.quantize(Decimal("0.01"))
        assert 0 < row.reach <= row.impressions and row.inline_link_clicks <= row.clicks


def test_attribution_windows_split_the_default_attribution(world):
    rows = [r for d in world.days(date(2026, 11, 1), date(2026, 11, 14)) for r in world.delivery(AD_ACCOUNT_ID, d)]
    leads = [r for r in rows if "lead" in r.actions]
    assert leads
    for row in rows:
        for action_type, count in row.actions.items():
            split = world.attribution(row, action_type)
            assert set(split) == set(ATTRIBUTION_WINDOWS)
            assert split["7d_click"] + split["1d_view"] == count
            assert split["1d_click"] <= split["7d_click"] <= split["28d_click"]
            assert split["1d_view"] <= split["7d_view"]
    # Leads are also credited to people who only saw the ad; link clicks never are.
    assert any(world.attribution(r, "lead")["1d_view"] > 0 for r in leads)
    assert all(world.attribution(r, "link_click")["1d_view"] == 0 for r in rows)


def test_today_is_reported_in_part_and_later_days_not_at_all(world):
    full = world.delivery(AD_ACCOUNT_ID, TODAY)
    partial = world.reported(AD_ACCOUNT_ID, TODAY, NOW)
    assert [r.ad for r in partial] == [r.ad for r in full]
    assert 0 < sum(r.spend for r in partial) < sum(r.spend for r in full) / 3  # 6 of 24 hours
    assert world.reported(AD_ACCOUNT_ID, TODAY + timedelta(days=1), NOW) == ()
    assert world.reported(AD_ACCOUNT_ID, TODAY - timedelta(days=1), NOW) == world.delivery(
        AD_ACCOUNT_ID, TODAY - timedelta(days=1)
    )


# -- synchronous insights -------------------------------------------------------------------


def test_insights_come_per_ad_and_day_with_numbers_as_strings(server, world):
    day = date(2026, 11, 18)
    reply = get(server, INSIGHTS, params(day, day))

    assert reply.status_code == 200
    rows = reply.json()["data"]
    truth = {r.ad.id: r for r in world.delivery(AD_ACCOUNT_ID, day)}
    assert [r["ad_id"] for r in rows] == list(truth)
    for row in rows:
        ad_day = truth[row["ad_id"]]
        assert row["date_start"] == row["date_stop"] == "2026-11-18"
        assert row["account_currency"] == "USD"
        assert row["campaign_id"] == ad_day.ad.ad_campaign.id and row["adset_id"] == ad_day.ad.adset_id
        assert row["spend"] == str(ad_day.spend) and "." in row["spend"]
        for name in ("impressions", "reach", "clicks", "inline_link_clicks"):
            assert row[name] == str(getattr(ad_day, name))
        for entry in row["actions"]:
            split = world.attribution(ad_day, entry["action_type"])
            assert entry["value"] == str(ad_day.actions[entry["action_type"]])
            assert set(entry) - {"action_type", "value"} <= {"7d_click", "1d_view"}
            assert all(entry[w] == str(split[w]) for w in ("7d_click", "1d_view") if split[w])
            assert all(isinstance(v, str) for v in entry.values())
    with_values = [r for r in rows if "action_values" in r]
    assert with_values and all(r["action_values"][0]["action_type"] == "lead" for r in with_values)
    assert all(truth[r["ad_id"]].action_values["lead"] == Decimal(r["action_values"][0]["value"]) for r in with_values)


def test_without_attribution_windows_actions_carry_the_plain_value_only(server):
    day = date(2026, 11, 18)
    query = params(day, day)
    del query["action_attribution_windows"]
    rows = get(server, INSIGHTS, query).json()["data"]
    assert all(set(entry) == {"action_type", "value"} for row in rows for entry in row["actions"])


def test_only_the_fields_asked_for_come_back_with_the_days(server):
    day = date(2026, 11, 18)
    rows = get(server, INSIGHTS, params(day, day, fields="ad_id,spend")).json()["data"]
    assert rows and all(set(row) == {"ad_id", "spend", "date_start", "date_stop"} for row in rows)


def test_cursor_paging_ends_without_a_next_link(server, world):
    since, until = date(2026, 11, 17), date(2026, 11, 18)
    pages, query = [], params(since, until, limit=7)
    reply = get(server, INSIGHTS, query).json()
    pages.append(reply)
    while "next" in reply["paging"]:
        link = urlsplit(reply["paging"]["next"])
        assert link.path == INSIGHTS
        reply = get(server, link.path, dict(parse_qsl(link.query)), headers={}).json()  # the token is in the link
        pages.append(reply)

    assert [len(p["data"]) for p in pages] == [7, 7, 7, 7, 7, 5]
    assert all(set(p["paging"]["cursors"]) == {"before", "after"} for p in pages)
    keys = [(r["ad_id"], r["date_start"]) for p in pages for r in p["data"]]
    truth = [(r.ad.id, d.isoformat()) for d in (since, until) for r in world.delivery(AD_ACCOUNT_ID, d)]
    assert keys == truth
    # The previous link of the second page leads back to the first.
    previous = urlsplit(pages[1]["paging"]["previous"])
    back = get(server, previous.path, dict(parse_qsl(previous.query)), headers={}).json()
    assert back["data"] == pages[0]["data"]


def test_today_is_served_in_part(server, world):
    rows = get(server, INSIGHTS, params(TODAY, TODAY + timedelta(days=3))).json()["data"]
    assert {r["date_start"] for r in rows} == {TODAY.isoformat()}
    partial = {r.ad.id: r for r in world.reported(AD_ACCOUNT_ID, TODAY, NOW)}
    assert all(r["spend"] == str(partial[r["ad_id"]].spend) for r in rows)


# -- async report runs ----------------------------------------------------------------------


def test_a_report_run_goes_through_its_states_then_pages_its_rows(make_server, world):
    server = make_server(async_polls_before_done=3)
    since, until = date(2026, 10, 1), date(2026, 10, 31)
    created = post(server, INSIGHTS, params(since, until))
    assert created.status_code == 200
    run_id = created.json()["report_run_id"]
    assert run_id.isdigit()

    early = get(server, f"/v24.0/{run_id}/insights")
    assert early.status_code == 400 and graph_error(early)["code"] == 100

    seen = []
    for _ in range(5):
        status = get(server, f"/v24.0/{run_id}", {"fields": "async_status,async_percent_completion"}).json()
        assert set(status) == {"id", "async_status", "async_percent_completion"} and status["id"] == run_id
        seen.append((status["async_status"], status["async_percent_completion"]))
    assert [s for s, _ in seen] == [JOB_NOT_STARTED, JOB_STARTED, JOB_RUNNING, JOB_COMPLETED, JOB_COMPLETED]
    percents = [p for _, p in seen]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] == 100

    rows, query = [], {"limit": "250"}
    reply = get(server, f"/v24.0/{run_id}/insights", query).json()
    rows += reply["data"]
    while "next" in reply["paging"]:
        link = urlsplit(reply["paging"]["next"])
        assert link.path == f"/v24.0/{run_id}/insights"
        reply = get(server, link.path, dict(parse_qsl(link.query))).json()
        rows += reply["data"]
    synchronous = get(server, INSIGHTS, params(since, until, limit=5000)).json()["data"]
    # Every ad that delivered on each day (a campaign paused for a week has no rows that week).
    delivered = sum(len(world.delivery(AD_ACCOUNT_ID, day)) for day in world.days(since, until))
    assert rows == synchronous and len(rows) == delivered > 250
    assert server.calls["report_runs"] == 1 and server.calls["report_status"] == 5
    assert server.calls["report_insights"] == 1 + -(-delivered // 250)  # the early read, then the pages


def test_the_first_report_runs_can_be_made_to_fail(make_server):
    server = make_server(fail_async_jobs=1)
    query = params(date(2026, 10, 1), date(2026, 10, 31))
    first, second = (post(server, INSIGHTS, query).json()["report_run_id"] for _ in range(2))

    status = get(server, f"/v24.0/{first}", {"fields": "async_status"}).json()
    assert status["async_status"] == JOB_FAILED
    failed = graph_error(get(server, f"/v24.0/{first}/insights"))
    assert (failed["code"], failed["error_subcode"]) == (-2, 2490547)
    assert get(server, f"/v24.0/{second}", {"fields": "async_status"}).json()["async_status"] == JOB_COMPLETED
    assert get(server, f"/v24.0/{second}/insights").status_code == 200


def test_a_report_run_is_validated_when_it_is_submitted(server):
    reply = post(server, INSIGHTS, params(date(2026, 10, 1), date(2026, 10, 31), fields="ad_id,cpx"))
    assert reply.status_code == 400 and graph_error(reply)["code"] == 100
    assert server.report_runs == {}
    unknown = get(server, "/v24.0/6020000000009999", {"fields": "async_status"})
    assert (graph_error(unknown)["code"], graph_error(unknown)["error_subcode"]) == (100, 33)


def test_a_report_run_can_be_submitted_with_a_form_body(server):
    query = params(date(2026, 10, 1), date(2026, 10, 3))
    reply = requests.post(f"{server.url}{INSIGHTS}", data=query, headers=AUTH, timeout=10)
    run_id = reply.json()["report_run_id"]
    assert server.report_runs[run_id].query.since == date(2026, 10, 1)


# -- limits and errors ----------------------------------------------------------------------


def test_too_much_data_in_one_synchronous_call_is_refused(make_server):
    server = make_server(sync_row_limit=20 * 10)
    reply = get(server, INSIGHTS, params(date(2026, 11, 1), date(2026, 11, 11)))  # 11 days x 20 ads
    error = graph_error(reply)
    assert reply.status_code == 500
    assert (error["code"], error["error_subcode"]) == (1, 99)
    assert "reduce the amount of data" in error["message"] and error["error_user_title"]
    assert get(server, INSIGHTS, params(date(2026, 11, 1), date(2026, 11, 10))).status_code == 200
    # The same range through a report run is fine.
    assert post(server, INSIGHTS, params(date(2026, 11, 1), date(2026, 11, 11))).status_code == 200


def test_the_data_per_call_limit_is_code_100_subcode_1487534(make_server):
    server = make_server(data_per_call_limit=20 * 5)
    error = graph_error(get(server, INSIGHTS, params(date(2026, 11, 1), date(2026, 11, 6))))
    assert (error["code"], error["error_subcode"]) == (100, 1487534)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"time_range": "{since: 2026-11-01}"}, 100),
        ({"time_range": json.dumps({"since": "2026-11-05", "until": "2026-11-01"})}, 100),
        ({"time_range": json.dumps({"since": "2026-11-01", "until": "tomorrow"})}, 100),
        ({"time_range": json.dumps({"since": "2023-09-30", "until": "2023-10-30"})}, 3018),  # beyond 37 months
        ({"fields": "ad_id,spend,page_impressions"}, 100),
        ({"action_attribution_windows": json.dumps(["3d_click"])}, 100),
        ({"level": "campaign"}, 100),
        ({"time_increment": "7"}, 100),
    ],
)
def test_bad_requests_are_refused_with_graph_errors(server, changes, code):
    reply = get(server, INSIGHTS, {**params(date(2026, 11, 1), date(2026, 11, 2)), **changes})
    assert reply.status_code == 400 and graph_error(reply)["code"] == code


def test_37_months_back_is_still_served(server):
    since = date(2023, 10, 20)  # 37 months before 2026-11-20
    assert get(server, INSIGHTS, params(since, since)).status_code == 200


def test_tokens_are_checked_in_the_header_or_as_a_parameter(server):
    day = date(2026, 11, 1)
    assert get(server, INSIGHTS, {**params(day, day), "access_token": DEFAULT_TOKEN}, headers={}).status_code == 200
    expired = get(server, INSIGHTS, params(day, day), headers={"Authorization": "Bearer stale"})
    assert expired.status_code == 400 and graph_error(expired)["code"] == 190
    server.revoke_token(DEFAULT_TOKEN)
    assert graph_error(get(server, INSIGHTS, params(day, day)))["code"] == 190


def test_unknown_accounts_and_paths(server):
    day = date(2026, 11, 1)
    error = graph_error(get(server, "/v24.0/act_999/insights", params(day, day)))
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert graph_error(get(server, "/v24.0/act_1/campaigns"))["code"] == 2500
    assert graph_error(requests.post(f"{server.url}/v24.0/6020000000000001", headers=AUTH, timeout=10))["code"] == 100


def test_throttles_cycle_through_the_marketing_api_codes_with_usage_headers(make_server):
    server = make_server(throttle_every=1, regain_minutes=3)
    day = date(2026, 11, 1)
    seen = []
    for _ in range(6):
        reply = get(server, INSIGHTS, params(day, day))
        assert reply.status_code == 400
        error = graph_error(reply)
        seen.append((error["code"], error.get("error_subcode")))
        usage = json.loads(reply.headers["X-Business-Use-Case-Usage"])[AD_ACCOUNT_ID][0]
        assert usage["type"] == "ads_insights" and usage["estimated_time_to_regain_access"] == 3
        assert json.loads(reply.headers["x-fb-ads-insights-throttle"])["acc_id_util_pct"] == 100
    assert seen == [(4, 1504022), (4, 1504039), (17, 2446079), (613, 1487742), (80000, 2446079), (80004, 2446079)]
    assert server.calls["throttled"] == 6 and server.calls["insights"] == 6


def test_other_faults_come_on_their_schedules(make_server):
    day = date(2026, 11, 1)
    transient = make_server(transient_every=1)
    error = graph_error(get(transient, INSIGHTS, params(day, day)))
    assert (error["code"], error["error_subcode"]) == (2, 1504043) and error["is_transient"] is True
    broken = make_server(server_error_every=1)
    assert get(broken, INSIGHTS, params(day, day)).status_code == 502
    malformed = make_server(malformed_every=1)
    with pytest.raises(ValueError):
        get(malformed, INSIGHTS, params(day, day)).json()


def test_usage_rises_towards_the_next_throttle(make_server):
    server = make_server(throttle_every=5)
    day = date(2026, 11, 1)
    percents = [
        json.loads(get(server, INSIGHTS, params(day, day)).headers["X-Ad-Account-Usage"])["acc_id_util_pct"]
        for _ in range(4)
    ]
    assert percents == [20, 40, 60, 80]


def test_calls_are_counted_per_endpoint(server):
    day = date(2026, 11, 1)
    get(server, INSIGHTS, params(day, day))
    run_id = post(server, INSIGHTS, params(day, day)).json()["report_run_id"]
    get(server, f"/v24.0/{run_id}", {"fields": "async_status"})
    get(server, f"/v24.0/{run_id}/insights")
    counted = requests.get(f"{server.url}/__sandbox/calls", timeout=10).json()
    assert counted == {"insights": 1, "report_runs": 1, "report_status": 1, "report_insights": 1}


def test_the_registry_builds_the_sandbox_with_the_options_it_knows():
    assert "meta_ads" in registry.platforms()
    server = registry.create(
        "meta_ads", 7, 0.5, NOW, async_polls_before_done=4, fail_async_jobs=2, sync_row_limit=99, no_such_option=1
    )
    assert isinstance(server, MetaAdsSandbox)
    assert (server.async_polls_before_done, server.fail_async_jobs, server.sync_row_limit) == (4, 2, 99)
    assert server.world.seed == 7 and server.world.scale == 0.5 and server.now() == NOW
