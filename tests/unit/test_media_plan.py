import csv
from datetime import UTC, date, datetime, timedelta

from extractors.traditional_media import CHANNEL_REQUIREMENTS, land_inbox, validate_file
from pipeline.landing import RunContext
from sandbox.media_plan import campaign_ids, write_media_plan

AS_OF = date(2026, 3, 1)


def test_the_same_as_of_and_seed_write_the_same_file(tmp_path):
    first = write_media_plan(tmp_path / "a", AS_OF)
    again = write_media_plan(tmp_path / "b", AS_OF, seed=7)
    other_seed = write_media_plan(tmp_path / "c", AS_OF, seed=8)

    assert first.name == "cedar_valley_media_plan.csv"
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other_seed.read_bytes()
    # Written to a temporary name and renamed: nothing else is left in the inbox.
    assert [p.name for p in (tmp_path / "a").iterdir()] == [first.name]


def test_the_plan_validates_and_covers_every_channel_and_campaign(tmp_path):
    rows = validate_file(write_media_plan(tmp_path, AS_OF))

    assert {r["channel"] for r in rows} == set(CHANNEL_REQUIREMENTS)
    assert {r["campaign"] for r in rows} == set(campaign_ids())
    assert min(r["start_date"] for r in rows) >= AS_OF - timedelta(days=120)
    assert max(r["end_date"] for r in rows) <= AS_OF + timedelta(days=30)
    assert any(r["start_date"] > AS_OF for r in rows)  # planned placements are part of the plan


def test_the_placements_look_like_their_channel(tmp_path):
    rows = validate_file(write_media_plan(tmp_path, AS_OF))
    for r in rows:
        days = (r["end_date"] - r["start_date"]).days + 1
        if r["channel"] == "tv":
            assert 7 <= days <= 21 and 80 <= r["grps"] <= 200 and 12_000 <= r["spend"] <= 40_000
        elif r["channel"] == "print":
            assert days == 1 and 40_000 <= r["circulation"] <= 90_000 and 2.0 <= r["readers_per_copy"] <= 2.6
        elif r["channel"] == "ooh":
            assert days == 28 and 300_000 <= r["impressions"] <= 900_000
        elif r["channel"] == "direct_mail":
            assert days == 1 and 10_000 <= r["pieces_mailed"] <= 30_000
            if r["responses"] is not None:
                assert r["responses"] <= 0.05 * r["pieces_mailed"]
        # Nothing has responded yet to a placement that has not started.
        if r["start_date"] > AS_OF:
            assert r["responses"] is None
        else:
            assert r["responses"] is not None and r["responses"] >= 0


def test_the_plan_lands_through_the_inbox(tmp_path):
    path = write_media_plan(tmp_path / "inbox", AS_OF)
    ctx = RunContext(AS_OF, "demo", datetime(2026, 3, 1, tzinfo=UTC))

    result = land_inbox(tmp_path / "inbox", tmp_path / "quarantine", ctx, landing_root=tmp_path / "landing")

    with path.open(newline="") as handle:
        assert result.rows_landed == len(list(csv.DictReader(handle)))
    assert result.files_landed == [path.name]
