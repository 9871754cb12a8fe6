from datetime import date, timedelta
from decimal import Decimal

import pytest

from sandbox.conversions import ConversionsWorld
from sandbox.demo import HISTORY_WEEKS, history_first_monday
from sandbox.marketing_history import history_csv, utm_channel, value_per_conversion, write_marketing_history
from sources.config import load_config
from sources.marketing_history import CHANNELS, NO_CHANNEL, WEEKLY_HISTORY

FIRST_MONDAY = date(2025, 3, 3)
WEEKS = 4


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    path = write_marketing_history(tmp_path_factory.mktemp("inbox"), FIRST_MONDAY, WEEKS)
    return path, WEEKLY_HISTORY.validate_file(path, FIRST_MONDAY + timedelta(weeks=WEEKS))


def test_the_file_validates_with_one_row_per_week_and_channel(history):
    _, rows = history
    assert len(rows) == WEEKS * (len(CHANNELS) + 1)
    assert {r["week_start"] for r in rows} == {FIRST_MONDAY + timedelta(weeks=w) for w in range(WEEKS)}
    none = [r for r in rows if r["channel"] == NO_CHANNEL]
    assert all(r["media_spend"] == r["total_investment"] == 0 for r in none)
    assert all(r["total_investment"] >= r["media_spend"] for r in rows)
    # Staff time and tools cost every channel every week, media or not.
    assert all(r["total_investment"] > 0 for r in rows if r["channel"] != NO_CHANNEL)


def test_the_numbers_are_the_worlds(history):
    _, rows = history
    world = ConversionsWorld()
    drivers = world.weekly_drivers(FIRST_MONDAY, WEEKS)
    by_key = {(r["week_start"], r["channel"]): r for r in rows}
    kpi = world.weekly_key_events(FIRST_MONDAY, WEEKS)
    for week in range(WEEKS):
        monday = FIRST_MONDAY + timedelta(weeks=week)
        assert float(by_key[(monday, "meta_ads")]["media_spend"]) == pytest.approx(
            drivers["paid_social"][week], abs=0.01
        )
        assert by_key[(monday, "facebook")]["posts"] == round(drivers["facebook"][week])
        assert by_key[(monday, "tv")]["impressions"] == round(drivers["tv"][week] * 1000)
        week_rows = [r for r in rows if r["week_start"] == monday]
        assert sum(r["appointment_requests"] + r["class_registrations"] for r in week_rows) == kpi[week]
    assert sum(r["media_spend"] for r in rows if r["channel"] in ("tv", "radio", "print", "ooh", "direct_mail")) > 0


def test_the_file_is_deterministic(history, tmp_path):
    path, _ = history
    history_csv.cache_clear()  # computed afresh, not the text this process already holds
    again = write_marketing_history(tmp_path, FIRST_MONDAY, WEEKS)
    assert again.read_text() == path.read_text()


def test_sessions_map_to_channels_as_the_utm_seed_does():
    assert utm_channel("facebook", "paid_social") == "meta_ads"
    assert utm_channel("instagram", "social") == "instagram"
    assert utm_channel("cvheart.org", "tv") == "tv"
    assert utm_channel("google", "organic") == NO_CHANNEL
    assert utm_channel("(direct)", "(none)") == NO_CHANNEL
    assert value_per_conversion("appointment_request", "heart-and-vascular") == Decimal("1850.00")
    assert value_per_conversion("appointment_request", "heart") == Decimal("1850.00")  # a utm spelling
    assert value_per_conversion("appointment_request", "(not set)") == Decimal("300.00")


def test_the_demo_stages_two_years_ending_where_the_warehouse_has_its_first_whole_week():
    config = load_config()
    as_of = date(2026, 11, 19)
    first_monday = history_first_monday(config, as_of)
    first_landed_day = as_of - timedelta(days=config.windows.backfill_days - 1)
    last_day = first_monday + timedelta(weeks=HISTORY_WEEKS) - timedelta(days=1)
    assert first_monday.weekday() == 0 and HISTORY_WEEKS == 104
    after = last_day + timedelta(days=1)  # the Monday the warehouse's first whole week starts
    assert after.weekday() == 0 and first_landed_day <= after < first_landed_day + timedelta(days=7)
