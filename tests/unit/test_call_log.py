"""The demo's call-tracking export: its format, and that it is the conversions world's calls to the
numbers of the media plan written for the same day."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta

from sandbox.call_tracking import write_call_log
from sandbox.conversions import ConversionsWorld
from sandbox.media_plan import plan_placements
from sources.call_tracking import CALL_LOG

AS_OF = date(2026, 11, 19)


def read(path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_log_has_the_vendors_columns_one_row_per_number_and_day_and_validates(tmp_path):
    path = write_call_log(tmp_path / "inbox", AS_OF)

    assert path.name == "cedar_valley_call_log.csv"
    assert path.read_text().splitlines()[0] == "date,tracking_number,calls,qualified_calls"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # written under a temporary name, renamed
    rows = read(path)
    assert len({(r["date"], r["tracking_number"]) for r in rows}) == len(rows)
    assert all(int(r["calls"]) > 0 and 0 <= int(r["qualified_calls"]) <= int(r["calls"]) for r in rows)
    assert min(r["date"] for r in rows) >= (AS_OF - timedelta(days=120)).isoformat()
    assert max(r["date"] for r in rows) <= AS_OF.isoformat()
    assert len(CALL_LOG.validate_file(path)) == len(rows)


def test_the_log_is_deterministic_and_follows_the_plans_seed(tmp_path):
    first = write_call_log(tmp_path / "a", AS_OF)
    again = write_call_log(tmp_path / "b", AS_OF, seed=7)
    other = write_call_log(tmp_path / "c", AS_OF, seed=8)

    assert first.read_bytes() == again.read_bytes() != other.read_bytes()
    assert {r["tracking_number"] for r in read(other)} <= {p.tracking_number for p in plan_placements(AS_OF, 8)}


def test_every_call_goes_to_a_started_placement_of_the_plan_and_totals_match_the_world(tmp_path):
    rows = read(write_call_log(tmp_path, AS_OF))
    placements = {p.tracking_number: p for p in plan_placements(AS_OF)}
    started = {number for number, p in placements.items() if p.start <= AS_OF}

    assert {r["tracking_number"] for r in rows} <= started
    assert all(date.fromisoformat(r["date"]) >= placements[r["tracking_number"]].start for r in rows)
    logged = Counter()
    for r in rows:
        logged[r["tracking_number"]] += int(r["calls"])
    world = ConversionsWorld()
    expected = Counter()
    day = AS_OF - timedelta(days=120)
    while day <= AS_OF:
        for call in world.calls(day):
            if call.tracking_number in placements:
                expected[call.tracking_number] += call.calls
        day += timedelta(days=1)
    assert logged == expected and sum(logged.values()) > 500


def test_calls_keep_coming_after_a_flight_ends(tmp_path):
    rows = read(write_call_log(tmp_path, AS_OF))
    placements = {p.tracking_number: p for p in plan_placements(AS_OF)}
    after_end = [r for r in rows if date.fromisoformat(r["date"]) > placements[r["tracking_number"]].end]

    assert {placements[r["tracking_number"]].channel for r in after_end} >= {"print", "direct_mail", "tv"}
