"""Employee advocacy as a channel in the seeds marketing ops maintain: its web traffic, its channel
group, its metrics and its costs."""

from __future__ import annotations

import csv

from core.paths import PROJECT_ROOT
from sandbox.advocacy import NETWORKS, TEAMS
from sandbox.marketing_history import utm_channel
from sources.config import load_config

SEEDS = PROJECT_ROOT / "dbt" / "seeds"


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_advocacy_link_is_the_employee_advocacy_channel_whatever_the_network():
    rows = [r for r in seed("utm_channels") if r["session_medium"] == "advocacy"]
    assert rows == [{"session_source": "*", "session_medium": "advocacy", "channel": "employee_advocacy"}]
    assert {utm_channel(network, "advocacy") for network in (*NETWORKS, "threads")} == {"employee_advocacy"}
    assert utm_channel("linkedin", "social") == "linkedin"  # the brand's own posts stay theirs


def test_employee_advocacy_is_a_channel_group_of_its_own():
    [channel] = [r for r in seed("channels") if r["channel"] == "employee_advocacy"]
    assert channel["channel_group"] == "employee_advocacy"
    assert "potential reach" in channel["engagement_definition"]


def test_a_shares_metrics_are_mapped_once_potential_reach_as_impressions():
    mapped = {r["source_metric"]: r["metric"] for r in seed("social_metric_map") if r["level"] == "share"}
    assert mapped == {
        "audience_size": "impressions",
        "clicks": "clicks",
        "reactions": "reactions",
        "comments": "comments",
        "reshares": "shares",
    }
    assert {r["platform"] for r in seed("social_metric_map") if r["level"] == "share"} == {"employee_advocacy"}


def test_the_programs_licence_admin_hours_and_team_rates_are_seeded():
    assert [r for r in seed("tool_allocations") if r["channel"] == "employee_advocacy"] == [
        {"tool": "advocacy_platform", "channel": "employee_advocacy", "share": "1.00"}
    ]
    assert {r["tool"] for r in seed("tool_costs")} >= {"advocacy_platform"}
    assert [r["role"] for r in seed("staff_time") if r["channel"] == "employee_advocacy"]
    teams = {r["team"]: r["team_code"] for r in seed("advocacy_teams")}
    # Every department the platform exports and every code its links carry, plus (unknown).
    assert teams == {**{t.department: t.code for t in TEAMS}, "(unknown)": "(unknown)"}
    assert load_config().sources.employee_advocacy.minutes_per_share == 5
