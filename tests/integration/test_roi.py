"""The whole "I" and the whole return on a sandbox day: organic Facebook, Meta ads, GA4, the media
plan and the call log landed by their extractors, the warehouse built and published, and the ROI
marts checked against the inputs (investment to the cent) and against the metric contract."""

from __future__ import annotations

import calendar
import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

import duckdb
import pytest

from core.paths import PROJECT_ROOT
from expectations.reconciliation import CENT, employee_time_cost, expected_investment, mart_investment
from sources.config import load_config

SEEDS = PROJECT_ROOT / "dbt" / "seeds"


def query(paths, sql, params=None):
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def _calendar_start(paths) -> date:
    return query(paths, "select min(date_day) from fct_channel_daily")[0][0]


def test_total_investment_reconciles_to_the_cent_with_the_cost_inputs(roi_env):
    paths, ctx = roi_env
    first_day = _calendar_start(paths)
    months = [m for (m,) in query(paths, "select distinct month_start from mart_roi order by 1")]
    assert len(months) >= 3
    checked = 0
    for month in months:
        month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        # A month the calendar covers only in part is compared over the days it covers.
        period = (max(month, first_day), min(month_end, ctx.partition_date))
        expected = expected_investment(paths.landing, SEEDS, *period)
        reported = mart_investment(paths.published_warehouse, [month])
        assert expected.differences(reported) == {}, f"{month:%B %Y}: {expected} vs {reported}"
        assert expected.total > 0
        checked += 1
    whole = expected_investment(paths.landing, SEEDS, first_day, ctx.partition_date)
    assert mart_investment(paths.published_warehouse, months).total == whole.total
    # Every component is present, so a lost component would show.
    assert min(whole.media_spend, whole.staff_cost, whole.tool_cost, whole.production_cost) > 0
    assert checked == len(months)


def test_roi_roas_and_cost_per_conversion_follow_the_contract_on_every_row(roi_env):
    paths, _ = roi_env
    rows = query(
        paths,
        "select media_spend, total_investment, conversions, conversion_value, roi, roas, "
        "cost_per_conversion, zero_investment from mart_roi",
    )
    assert rows
    for media, investment, conversions, value, roi, roas, per_conversion, zero in rows:
        assert zero == (investment == 0)
        if investment:
            assert roi == pytest.approx(float((value - investment) / investment))
        else:
            assert roi is None
        assert roas == (pytest.approx(float(value / media)) if media else None)
        assert per_conversion == (pytest.approx(float(investment / conversions)) if conversions else None)


def test_platform_conversions_stay_out_of_first_party_conversions(roi_env):
    paths, _ = roi_env
    (platform_conversions, first_party, web_key_events) = query(
        paths,
        """
        select
            (select sum(platform_conversions) from mart_roi where channel = 'meta_ads'),
            (select sum(conversions) from mart_roi where channel = 'meta_ads'),
            (select sum(key_events) from stg_ga4__key_events
             where session_medium = 'paid_social'
               and date_day >= (select min(date_day) from fct_channel_daily))
        """,
    )[0]
    assert platform_conversions > 0
    # Meta ads' first-party conversions are exactly the web key events its clicks brought.
    assert first_party == web_key_events


def test_every_channel_group_returns_conversions_with_a_value(roi_env):
    paths, _ = roi_env
    rows = query(
        paths,
        "select channel_group, sum(conversions), sum(conversion_value), sum(qualified_calls) "
        "from mart_roi group by channel_group",
    )
    groups = {group: (conversions, value, calls) for group, conversions, value, calls in rows}
    assert set(groups) == {"organic_social", "paid_social", "traditional", "employee_advocacy"}
    for group, (conversions, value, _) in groups.items():
        assert conversions > 0 and value > 0, group
    assert groups["traditional"][2] > 0, "qualified calls reach the traditional channels"


def test_first_party_conversions_add_up_to_what_landed(roi_env):
    paths, _ = roi_env
    (mart_total, web, calls) = query(
        paths,
        """
        select
            (select sum(conversions) from fct_channel_daily),
            (select sum(amount) from int_web_analytics__daily
             where channel is not null and measure != 'sessions'
               and date_day between (select min(date_day) from fct_channel_daily)
                                and (select max(date_day) from fct_channel_daily)),
            (select sum(qualified_calls) from int_call_tracking__placement_daily
             where date_day between (select min(date_day) from fct_channel_daily)
                                and (select max(date_day) from fct_channel_daily))
        """,
    )[0]
    assert mart_total == web + calls
    # Unattributed traffic (search, direct) is landed but is nobody's return.
    unattributed = query(paths, "select sum(amount) from int_web_analytics__daily where channel is null")[0][0]
    assert unattributed > 0


def test_each_objective_splits_over_its_channels(roi_env):
    paths, _ = roi_env
    rows = query(
        paths,
        "select month_start, objective, sum(share_of_investment), sum(share_of_conversions) "
        "from mart_objective_performance group by 1, 2",
    )
    assert {objective for _, objective, _, _ in rows} >= {"flu_shot_drive", "service_line_growth", "new_clinic"}
    for month, objective, investment_share, conversion_share in rows:
        assert investment_share is None or investment_share == pytest.approx(1.0), (month, objective)
        assert conversion_share is None or conversion_share == pytest.approx(1.0), (month, objective)


def test_social_and_traditional_compare_on_the_three_tiers(roi_env):
    paths, ctx = roi_env
    month = date(ctx.partition_date.year, ctx.partition_date.month - 1, 1)
    rows = query(
        paths,
        "select channel_group, channel, cpm, cost_per_active_engagement, cost_per_outcome, roi, "
        "peak_measured_reach, cost_per_point, reactions from mart_social_vs_traditional where month_start = ?",
        [month],
    )
    by_channel = {row[1]: row for row in rows}
    assert {"facebook", "meta_ads", "tv", "radio", "print", "direct_mail"} <= set(by_channel)
    for channel in ("facebook", "meta_ads", "tv", "print"):
        _, _, cpm, per_active, per_outcome, roi, *_ = by_channel[channel]
        assert cpm > 0 and per_active > 0 and per_outcome > 0 and roi is not None, channel
    assert by_channel["tv"][7] > 0, "TV shows its cost per point"
    assert by_channel["tv"][8] is None, "reactions have no traditional twin"
    assert by_channel["print"][6] > 0, "print readers are a measured reach"
    # Reach is never summed: the month's peak is one measurement, not a total of days.
    daily_max = query(
        paths,
        "select max(reach) from fct_channel_daily where channel = 'facebook' and date_day >= ? "
        "and date_day < ? + interval 1 month",
        [month, month],
    )[0][0]
    assert by_channel["facebook"][6] == daily_max
    assert Decimal(0) < Decimal(str(by_channel["facebook"][2]))


def test_the_marketing_history_lands_two_years_of_weeks_before_the_warehouses_first_whole_week(roi_env):
    paths, ctx = roi_env
    weeks, rows, first, last, channels = query(
        paths,
        "select count(distinct week_start), count(*), min(week_start), max(week_start), count(distinct channel) "
        "from stg_marketing_history__weekly",
    )[0]
    # The channels seed's 12 channels (employee advocacy among them) and '(none)'.
    assert (weeks, rows, channels) == (104, 104 * 13, 13)
    assert first.weekday() == 0
    # The history ends the week before the warehouse's first whole week: the first Monday on or
    # after the first day the platforms landed (the first run's backfill).
    first_landed_day = ctx.partition_date - timedelta(days=load_config().windows.backfill_days - 1)
    first_whole_week = last + timedelta(weeks=1)
    assert first_landed_day <= first_whole_week < first_landed_day + timedelta(days=7)
    none_cost = query(
        paths,
        "select sum(media_spend + total_investment), sum(appointment_requests + class_registrations) "
        "from stg_marketing_history__weekly where channel = '(none)'",
    )[0]
    assert none_cost[0] == 0 and none_cost[1] > 0


# -- employee advocacy: a channel carried end to end -------------------------------------------


def test_the_advocacy_programs_investment_is_licence_admin_and_employee_time_to_the_cent(roi_env):
    paths, ctx = roi_env
    first_day = _calendar_start(paths)
    minutes = load_config().sources.employee_advocacy.minutes_per_share
    rates = {
        row["team_code"]: Decimal(row["hourly_rate"]) for row in csv.DictReader((SEEDS / "advocacy_teams.csv").open())
    }
    by_team_day = query(
        paths,
        "select date_day, team_code, shares, employee_time_cost, licence_cost, admin_cost, program_investment "
        "from int_employee_advocacy__team_daily",
    )
    assert by_team_day and sum(row[2] for row in by_team_day) > 300
    for day, team, shares, employee_time, licence, admin, investment in by_team_day:
        assert employee_time == (Decimal(shares * minutes) * rates.get(team, 0) / 60).quantize(CENT, ROUND_FLOOR)
        assert investment == employee_time + licence + admin, (day, team)
    # The teams add up to the channel's day exactly, and the channel to its cost inputs.
    channel_days = dict(
        query(
            paths,
            "select date_day, sum(total_investment) from fct_channel_daily where channel = 'employee_advocacy' group by 1",
        )
    )
    team_days = defaultdict(Decimal)
    for day, _, _, _, _, _, investment in by_team_day:
        team_days[day] += investment
    assert team_days == channel_days
    licence = Decimal(
        next(r for r in csv.DictReader((SEEDS / "tool_costs.csv").open()) if r["tool"] == "advocacy_platform")[
            "monthly_cost"
        ]
    )
    october = [row for row in by_team_day if row[0].month == 10]
    assert sum(row[4] for row in october) == licence, "a whole month's licence, to the cent"
    expected_time = employee_time_cost(paths.landing, SEEDS, first_day, ctx.partition_date, minutes)
    assert sum(row[3] for row in by_team_day) == expected_time > 0
    [(staff, tools, media)] = query(
        paths,
        "select sum(staff_cost), sum(tool_cost), sum(media_spend) from mart_roi where channel = 'employee_advocacy'",
    )
    assert staff == sum(row[3] + row[5] for row in by_team_day) and tools == sum(row[4] for row in by_team_day)
    assert media == 0


def test_employee_advocacy_returns_conversions_and_an_roi_in_mart_roi(roi_env):
    paths, ctx = roi_env
    month = date(ctx.partition_date.year, ctx.partition_date.month - 1, 1)
    [(group, investment, conversions, value, roi)] = query(
        paths,
        "select channel_group, sum(total_investment), sum(conversions), sum(conversion_value), "
        "(sum(conversion_value) - sum(total_investment)) / sum(total_investment) "
        "from mart_roi where channel = 'employee_advocacy' and month_start = ? group by 1",
        [month],
    )
    assert group == "employee_advocacy"
    assert investment > 0 and conversions > 0 and value > 0 and roi is not None
    [(sessions, web_events)] = query(
        paths,
        "select sum(sessions), sum(conversions) from int_employee_advocacy__team_daily where date_trunc('month', date_day) = ?",
        [month],
    )
    assert web_events == conversions, "the channel's conversions are its links' key events, by team"
    assert sessions > 10 * conversions
    [(active, reactions, impressions, clicks)] = query(
        paths,
        "select sum(active_engagements), sum(reactions), sum(impressions), sum(clicks) from fct_channel_daily "
        "where channel = 'employee_advocacy' and date_trunc('month', date_day) = ?",
        [month],
    )
    [(reach, team_clicks, comments, reshares, team_reactions)] = query(
        paths,
        "select sum(potential_reach), sum(clicks), sum(comments), sum(reshares), sum(reactions) "
        "from int_employee_advocacy__team_daily where date_trunc('month', date_day) = ?",
        [month],
    )
    assert impressions == reach > 0, "impressions are the shares' potential reach"
    assert active == team_clicks + comments + reshares and clicks == team_clicks and reactions == team_reactions
    tiers = query(
        paths,
        "select cpm, cost_per_active_engagement, cost_per_outcome, roi from mart_social_vs_traditional "
        "where channel = 'employee_advocacy' and month_start = ?",
        [month],
    )
    assert tiers and all(value is not None for value in tiers[0])


def test_advocacy_sessions_reach_their_team_and_unknown_codes_go_to_unknown(roi_env):
    paths, _ = roi_env
    by_code = dict(
        query(
            paths,
            "select split_part(ad_content, '_', 1), sum(amount) from int_web_analytics__daily "
            "where channel = 'employee_advocacy' and measure = 'sessions' "
            "and date_day >= (select min(date_day) from int_reporting_calendar) group by 1",
        )
    )
    by_team = dict(query(paths, "select team_code, sum(sessions) from int_employee_advocacy__team_daily group by 1"))
    assert sum(by_code.values()) == sum(by_team.values()) > 0
    known = {row["team_code"] for row in csv.DictReader((SEEDS / "advocacy_teams.csv").open())}
    for code, sessions in by_code.items():
        assert by_team[code if code in known else "(unknown)"] >= sessions
    # Teams, never people: the model has no advocate key.
    columns = {
        name
        for (name,) in query(
            paths,
            "select column_name from information_schema.columns where table_name = 'int_employee_advocacy__team_daily'",
        )
    }
    assert not {c for c in columns if "advocate" in c or "user" in c}
