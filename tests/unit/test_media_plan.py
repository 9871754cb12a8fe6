import csv
import re
from datetime import UTC, date, datetime, timedelta

from core.landing import RunContext
from sandbox.media_plan import campaign_ids, placements_between, plan_placements, write_media_plan
from sources.traditional_media import CHANNEL_REQUIREMENTS, MEDIA_PLAN

AS_OF = date(2026, 11, 19)  # in flu season, so every campaign buys media


def read(path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


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
    rows = MEDIA_PLAN.validate_file(write_media_plan(tmp_path, AS_OF))

    assert {r["channel"] for r in rows} == set(CHANNEL_REQUIREMENTS)
    assert {r["campaign"] for r in rows} == set(campaign_ids())
    assert min(r["start_date"] for r in rows) >= AS_OF - timedelta(days=120)
    assert max(r["end_date"] for r in rows) <= AS_OF + timedelta(days=30)
    assert any(r["start_date"] > AS_OF for r in rows)  # planned placements are part of the plan


def test_the_placements_look_like_their_channel(tmp_path):
    rows = MEDIA_PLAN.validate_file(write_media_plan(tmp_path, AS_OF))
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
            if r["responses"] is not None:  # reply cards and QR scans: a few percent at most
                assert r["responses"] <= 0.05 * r["pieces_mailed"]
        # Nothing has responded yet to a placement that has not started.
        if r["start_date"] > AS_OF:
            assert r["responses"] is None
        else:
            assert r["responses"] is not None and r["responses"] >= 0


def test_every_placement_has_its_own_tracking_number_and_its_campaigns_vanity_url(tmp_path):
    rows = read(write_media_plan(tmp_path, AS_OF))

    numbers = [r["tracking_number"] for r in rows]
    assert all(re.fullmatch(r"\+1319555\d{4}", n) for n in numbers)
    assert len(set(numbers)) == len(rows)
    for r in rows:
        host, _, path = r["vanity_url"].partition("/")
        assert re.fullmatch(r"cvh[a-z]+\.org", host) and path in {"tv", "radio", "print", "billboard", "mail"}
    # One host per campaign, so web analytics can tell campaigns apart by session source.
    hosts = {r["campaign"]: r["vanity_url"].split("/")[0] for r in rows}
    assert len(set(hosts.values())) == len(hosts)
    assert {r["vanity_url"] for r in rows if r["campaign"] == "flu-shot-2026" and r["channel"] == "tv"} <= {
        "cvhflu.org/tv"
    }


def test_placements_stay_the_same_whichever_day_the_plan_is_written(tmp_path):
    earlier = {r["placement_id"]: r for r in read(write_media_plan(tmp_path / "a", AS_OF - timedelta(days=30)))}
    later = {r["placement_id"]: r for r in read(write_media_plan(tmp_path / "b", AS_OF))}

    both = earlier.keys() & later.keys()
    assert len(both) >= 20
    for placement_id in both:
        fixed = ("channel", "vendor", "campaign", "start_date", "end_date", "spend", "tracking_number", "vanity_url")
        assert {k: earlier[placement_id][k] for k in fixed} == {k: later[placement_id][k] for k in fixed}
    assert [p.placement_id for p in plan_placements(AS_OF)] == list(later)


def test_flu_shot_placements_run_only_in_flu_season():
    flu = [p for p in placements_between(date(2025, 1, 1), date(2027, 12, 31)) if p.campaign == "flu-shot-2026"]

    assert len(flu) >= 5
    assert all(p.start >= date(2026, 9, 1) and p.end <= date(2026, 12, 31) for p in flu)
    spring = plan_placements(date(2026, 4, 1))
    assert spring and all(p.campaign != "flu-shot-2026" for p in spring)


def test_vendor_responses_accrue_over_the_response_period():
    mailer = next(p for p in plan_placements(AS_OF) if p.channel == "direct_mail" and p.start <= AS_OF - timedelta(28))
    counts = [mailer.vendor_responses(mailer.start + timedelta(days=d)) for d in (-1, 0, 13, 27, 60)]

    assert counts[0] is None
    assert counts[1] <= counts[2] <= counts[3] == counts[4]
    assert counts[3] == round(mailer.gross_impressions * mailer.vendor_response_rate)


def test_the_plan_lands_through_the_inbox(tmp_path):
    path = write_media_plan(tmp_path / "inbox", AS_OF)
    ctx = RunContext(AS_OF, "demo", datetime(2026, 11, 20, tzinfo=UTC))

    result = MEDIA_PLAN.land(tmp_path / "inbox", tmp_path / "quarantine", ctx, landing_root=tmp_path / "landing")

    assert result.rows_landed == len(read(path))
    assert result.files_landed == [path.name]
