"""mart_ambassadors and mart_advocacy_content against the sandbox's advocacy world: two nights of
the advocacy inbox (the exports of 1 October and 20 November) and the organisation's Facebook pages
landed, gated and built. The teams that stand on their own carry the world's own October figures;
no row describes fewer than the configured number of advocates, and the rows add up to every
staged share."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import duckdb
import pytest

from core.paths import data_paths
from sandbox.advocacy import TEAMS, team_period, write_advocacy_export
from sandbox.demo import DEMO_PSEUDONYM_KEY
from sources import source_dbt_vars
from sources.config import load_config
from tests.conftest import SANDBOX_NOW, SandboxServer, land_api_sources

SNAPSHOT_DAYS = (date(2026, 10, 1), date(2026, 11, 20))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
LEAST = 5  # sources.employee_advocacy.min_team_advocates, the default
DEPARTMENTS = {team.department: team.code for team in TEAMS}
SMALL_AT_SCALE_1 = {"Foundation", "Facilities"}  # fewer than 5 advocates ever enrolled


def _logical_date(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(10, 30), tzinfo=UTC)


@pytest.fixture(scope="module")
def ambassadors(tmp_path_factory):
    """The built warehouse's rows of both marts (as dicts) and the staged shares per month."""
    from core.landing import RunContext
    from extractors.inbox import done_marker
    from nightly import tasks
    from warehouse import build as warehouse

    root = tmp_path_factory.mktemp("ambassadors") / "data"
    with pytest.MonkeyPatch.context() as patch, SandboxServer(now=SANDBOX_NOW) as graph:
        patch.setenv("PIPELINE_DATA_DIR", str(root))
        patch.setenv("AIRFLOW_VAR_ADVOCACY_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY)
        paths = data_paths()
        config = load_config()
        for day in SNAPSHOT_DAYS:
            for path in write_advocacy_export(paths.inbox / config.sources.employee_advocacy.inbox, day):
                done_marker(path).touch()
            tasks.extract_inbox("employee_advocacy", _logical_date(day), f"manual__{day}")
        last = SNAPSHOT_DAYS[-1]
        pages = RunContext.now(last, f"manual__{last}")
        land_api_sources(paths, config, pages, [("facebook_pages", graph.url, "sandbox-page-token")])
        tasks.landing_gate(_logical_date(last), f"manual__{last}", paths)
        warehouse.build(paths, config, last, docs=False)
        with duckdb.connect(str(paths.build_warehouse), read_only=True) as connection:
            rows = _rows(connection, "select * from mart_ambassadors order by month_start, team")
            content = _rows(connection, "select * from mart_advocacy_content order by month_start, content_id")
            program = {
                month: (investment, conversions)
                for month, investment, conversions in connection.execute(
                    "select date_trunc('month', date_day)::date, sum(program_investment), sum(conversions) "
                    "from int_employee_advocacy__team_daily group by 1"
                ).fetchall()
            }
            staged = dict(
                connection.execute(
                    "select date_trunc('month', share_day)::date, count(*) from stg_employee_advocacy__shares group by 1"
                ).fetchall()
            )
    return rows, staged, content, paths, program


def _rows(connection, sql: str) -> list[dict]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_teams_on_their_own_carry_the_worlds_october(ambassadors):
    rows, _, _, _, _ = ambassadors
    october = [row for row in rows if row["month_start"] == OCTOBER[0]]
    truth = team_period(*OCTOBER, as_of=SNAPSHOT_DAYS[-1])
    alone = [row for row in october if row["team"] in DEPARTMENTS]
    # Half the advocates share nothing in a month: at scale 1 only nursing and physicians have 5
    # sharers in October, and pharmacy (5 enrolled, nobody shared) stands as a team too.
    assert {row["team"] for row in alone} >= {"Nursing", "Physicians & APPs", "Pharmacy"}, october
    for row in alone:
        team = truth[DEPARTMENTS[row["team"]]]
        assert row["teams"] == 1
        # The 1 October snapshot says who was opted in that morning, opt-outs since included.
        assert row["enrolled_advocates"] == team.enrolled_at_start, row["team"]
        assert (row["active_advocates"], row["shares"], row["clicks"]) == (
            team.active_advocates,
            team.shares,
            team.clicks,
        ), row["team"]
        assert row["participation_rate"] == pytest.approx(team.active_advocates / team.enrolled_at_start)
        assert row["days_covered"] == 31
    # The teams too small to stand are in the roll-up, with whoever it had to take in.
    [rolled] = [row for row in october if row["team"] == "(smaller teams)"]
    missing = {code for department, code in DEPARTMENTS.items() if department not in {r["team"] for r in alone}}
    assert {DEPARTMENTS[name] for name in SMALL_AT_SCALE_1} <= missing
    assert rolled["teams"] == len(missing)
    assert rolled["shares"] == sum(truth[code].shares for code in missing)
    assert rolled["active_advocates"] == sum(truth[code].active_advocates for code in missing)


def test_no_row_describes_fewer_than_the_threshold_and_nothing_is_lost(ambassadors):
    rows, staged, _, _, _ = ambassadors
    assert rows
    for row in rows:
        if row["team"] == "(not by team)" and row["active_advocates"] == 0:
            continue  # costs and visits no team can be credited with: no one
        assert row["active_advocates"] >= LEAST or (
            row["active_advocates"] == 0 and row["enrolled_advocates"] >= LEAST
        ), row
        assert row["team"] not in SMALL_AT_SCALE_1
    by_month: dict[date, int] = {}
    for row in rows:
        by_month[row["month_start"]] = by_month.get(row["month_start"], 0) + row["shares"]
    assert by_month == staged
    # The export's window starts in July: that month is partial, and says so.
    first = min(by_month)
    assert first == date(2026, 7, 1)
    assert all(0 < row["days_covered"] < 31 for row in rows if row["month_start"] == first)


def test_the_teams_add_up_to_the_programs_investment_and_conversions(ambassadors):
    rows, _, _, _, program = ambassadors
    by_month: dict[date, list] = {}
    for row in rows:
        by_month.setdefault(row["month_start"], []).append(row)
    for month, team_rows in by_month.items():
        investment, conversions = program.get(month, (0, 0))
        # To the cent: nothing is lost in the roll-up, and no team's cost is counted twice.
        assert sum(row["program_investment"] for row in team_rows) == investment, month
        assert sum(row["conversions"] for row in team_rows) == conversions, month
    october = [row for row in by_month[OCTOBER[0]] if row["program_investment"]]
    assert october and all(row["employee_time_cost"] > 0 for row in october if row["shares"])
    for row in october:
        if row["potential_reach"]:
            assert row["cost_per_thousand_potential_reach"] == pytest.approx(
                float(row["program_investment"]) * 1000 / row["potential_reach"]
            )


def test_content_rows_each_carry_enough_sharers_and_name_the_own_post(ambassadors):
    _, staged, content, _, _ = ambassadors
    assert content
    by_month: dict[date, int] = {}
    for row in content:
        assert row["advocates"] >= LEAST, row
        by_month[row["month_start"]] = by_month.get(row["month_start"], 0) + row["shares"]
    # Every share is in a row: a month is left out only when all its sharers together are too few.
    assert set(by_month) <= set(staged) and all(by_month[month] == staged[month] for month in by_month)
    assert set(staged) - set(by_month) <= {date(2026, 7, 1)}
    # Items curated from a Facebook page named by its username are found by permalink.
    facebook = [row for row in content if row["own_post_platform"] == "facebook"]
    assert facebook and all(row["own_post_impressions"] is not None for row in facebook)
    assert all(row["own_post_id"] is None for row in content if row["items"] > 1)


def test_the_mart_gate_passes_the_rows_and_refuses_them_under_a_higher_threshold(ambassadors):
    from expectations import marts
    from expectations.runner import Validator

    _, _, _, paths, _ = ambassadors

    def read_table(table: str):
        with duckdb.connect(str(paths.build_warehouse), read_only=True) as connection:
            return connection.sql(f"select * from {table}").fetch_arrow_table()

    people = marts.people_described(read_table)
    validator = Validator(paths)
    assert not validator.validate(marts.small_groups_suite(LEAST), people, "as built").critical_failures
    # Under a threshold of 12, most rows (October's nursing with its 11 sharers among them) describe
    # too few people, and the refusal names them.
    refused = validator.validate(marts.small_groups_suite(12), people, "as built, under 12")
    [failure] = refused.critical_failures
    assert "mart_ambassadors 2026-10-01 Nursing" in set(people["key"][people["people"] < 12])
    assert failure.unexpected_count == int((people["people"] < 12).sum()) > 0
    assert "mart_ambassadors 2026-07-01" in refused.describe()


def test_the_threshold_is_a_setting_the_build_passes_to_dbt():
    config = load_config()
    assert source_dbt_vars(config)["advocacy_min_team_advocates"] == LEAST
    raised = config.sources.employee_advocacy.model_copy(update={"min_team_advocates": 8})
    assert raised.dbt_vars()["advocacy_min_team_advocates"] == 8
    with pytest.raises(ValueError, match="min_team_advocates"):
        type(raised).model_validate({"min_team_advocates": 1})


def test_advocacy_clicks_arrive_as_sessions_and_a_broken_tag_warns(roi_env):
    """On the roi_env night (GA4 and the advocacy export landed): the sandbox's clicks arrive as
    sessions, so the mart gate's check passes; a night where most of them went missing (links'
    tags broken) publishes with a warning naming both counts."""
    from expectations import marts
    from expectations.runner import Validator

    paths, _ = roi_env

    def read_table(table: str):
        with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
            return connection.sql(f"select * from {table}").fetch_arrow_table()

    frame = marts.advocacy_clicks_and_sessions(read_table)
    [row] = frame.to_dict("records")
    # The sandbox's clicks all arrive, on the days they happen; counted by share day and by
    # session day over the same window, the two agree within 10%.
    assert row["clicks"] > 100 and 0.9 <= row["sessions_per_click"] <= 1.1, row
    quality = load_config().quality
    validator = Validator(paths)
    assert not validator.validate(marts.advocacy_sessions_suite(quality), frame, "as landed").warnings
    broken = frame.assign(sessions=frame["sessions"] // 5, sessions_per_click=frame["sessions_per_click"] / 5)
    warned = validator.validate(marts.advocacy_sessions_suite(quality), broken, "tags broken")
    assert warned.warnings and not warned.critical_failures
    assert "clicks on shares" in warned.describe()
