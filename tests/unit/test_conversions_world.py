"""The conversions world, the ground truth of what each channel returns: deterministic, driven by
the platform worlds and the media plan, with carry-over and diminishing returns."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import pytest

from sandbox import conversions
from sandbox.advocacy import UTM_MEDIUM as ADVOCACY_MEDIUM
from sandbox.advocacy import team_sessions
from sandbox.conversions import (
    ADVOCACY_WEB,
    BASELINE,
    BASELINE_KEY,
    CHANNEL_EFFECTS,
    KEY_EVENTS,
    NOT_SET,
    ORGANIC_PLATFORMS,
    PAID_SOCIAL,
    UNTAGGED,
    ConversionsWorld,
    event_mix,
    untagged_share,
    without_effect,
)
from sandbox.facebook import FacebookWorld as SandboxWorld
from sandbox.media_plan import CHANNELS, placements_between
from sandbox.meta_ads import MetaAdsWorld

DAY = date(2026, 11, 19)
FLU = "flu-shot-2026"


@pytest.fixture(scope="module")
def world() -> ConversionsWorld:
    return ConversionsWorld()


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def contribution(world: ConversionsWorld, day: date, channel: str, campaign: str):
    return next((c for c in world.contributions(day) if c.channel == channel and c.campaign == campaign), None)


# -- the parameters ---------------------------------------------------------------------------


def test_every_tracked_channel_has_a_plausible_response_curve():
    assert set(CHANNEL_EFFECTS) == {PAID_SOCIAL, *ORGANIC_PLATFORMS, *CHANNELS}
    for effect in CHANNEL_EFFECTS.values():
        assert 0 <= effect.decay < 1 and effect.half_saturation > 0 and effect.shape >= 1
        assert 0 < effect.key_event_rate <= effect.engaged_rate < 1
        # Carry-over lasts until the weight falls under 1%, and no longer.
        assert effect.decay**effect.carryover_days < 0.01 <= effect.decay ** (effect.carryover_days - 1)
        assert (effect.max_calls > 0) == (effect.group == "traditional")
    for source in BASELINE.values():
        assert 0 < source.key_event_rate <= source.engaged_rate < 1
    for campaign in (FLU, "birth-center", NOT_SET):
        assert sum(event_mix(campaign).values()) == pytest.approx(1)


@pytest.mark.parametrize("channel", sorted(CHANNEL_EFFECTS))
def test_more_of_a_driver_brings_more_conversions_each_unit_fewer(channel):
    effect = CHANNEL_EFFECTS[channel]
    steady = [effect.adstock([effect.half_saturation * k / 2] * effect.carryover_days) for k in (1, 2, 4, 8, 16)]
    conversions = [effect.expected_key_events(a) for a in steady]

    assert conversions == sorted(conversions) and len(set(conversions)) == len(conversions)
    gains = [(b - a) / (y - x) for a, b, x, y in zip(conversions, conversions[1:], steady, steady[1:], strict=False)]
    assert gains == sorted(gains, reverse=True)  # diminishing returns
    assert effect.expected_sessions(steady[-1]) < effect.max_sessions


def test_paid_social_spend_doubled_brings_less_than_double_the_conversions():
    effect = CHANNEL_EFFECTS[PAID_SOCIAL]
    per_day = {spend: effect.expected_key_events(effect.adstock([spend] * 30)) for spend in (100, 200)}

    assert per_day[100] < per_day[200] < 2 * per_day[100]


# -- the drivers ------------------------------------------------------------------------------


def test_the_world_is_deterministic_and_call_draws_follow_only_the_plan(world):
    again = ConversionsWorld()
    other_world = ConversionsWorld(seed=43)
    other_plan = ConversionsWorld(plan_seed=8)

    sample = days(DAY - timedelta(days=6), DAY)
    assert [again.web(d) for d in sample] == [world.web(d) for d in sample]
    assert [again.calls(d) for d in sample] == [world.calls(d) for d in sample]
    assert [other_world.web(d) for d in sample] != [world.web(d) for d in sample]
    assert [other_world.calls(d) for d in sample] == [world.calls(d) for d in sample]
    assert [other_plan.calls(d) for d in sample] != [world.calls(d) for d in sample]


def test_paid_social_is_driven_by_the_ad_worlds_spend_with_carry_over(world):
    effect = CHANNEL_EFFECTS[PAID_SOCIAL]
    ads = MetaAdsWorld()
    spends = [float(ads.campaign_spend(DAY - timedelta(days=k)).get(FLU, 0)) for k in range(effect.carryover_days)]
    paid = contribution(world, DAY, PAID_SOCIAL, FLU)

    assert paid.driver == spends[0] > 0
    assert paid.adstock == pytest.approx(effect.adstock(spends)) and paid.adstock > spends[0]
    assert (paid.source, paid.medium) == ("facebook", "paid_social")
    assert paid.sessions == pytest.approx(effect.expected_sessions(paid.adstock))


def test_organic_social_is_driven_by_each_platforms_campaign_posts(world):
    facebook = SandboxWorld()
    for day in days(DAY - timedelta(days=6), DAY):
        posts = defaultdict(int)
        for page in facebook.pages:
            for post in facebook.posts_on(page, day):
                if post.campaign_id:
                    posts[post.campaign_id] += 1
        drivers = {c.campaign: c.driver for c in world.contributions(day) if c.channel == "facebook"}
        assert {k: v for k, v in drivers.items() if v} == posts
    platforms = {c.channel for d in days(DAY - timedelta(days=13), DAY) for c in world.contributions(d)}
    assert set(ORGANIC_PLATFORMS) <= platforms


def test_traditional_media_are_driven_by_each_placements_daily_gross_impressions(world):
    placement = next(p for p in placements_between(DAY - timedelta(days=60), DAY) if p.channel == "tv")
    mid_flight = placement.start + timedelta(days=2)
    tv = next(c for c in world.contributions(mid_flight) if c.placement == placement)

    daily = placement.measures["grps"] * placement.measures["universe"] / 100 / placement.flight_days
    assert tv.driver == pytest.approx(daily / 1000)
    assert (tv.source, tv.medium, tv.campaign) == (placement.vanity_host, "tv", placement.campaign)
    assert tv.calls > 0 and tv.qualified_calls == pytest.approx(tv.calls * CHANNEL_EFFECTS["tv"].qualified_share)


# -- carry-over and the baseline ----------------------------------------------------------------


def test_a_campaign_has_no_conversions_before_it_starts_only_the_baseline(world):
    before_season = date(2026, 8, 31)
    assert all(c.campaign != FLU for c in world.contributions(before_season))
    assert all(row.campaign != FLU for row in world.web(before_season))
    # Every visit that day comes from the baseline or a campaign with a driver in its carry-over window.
    for c in world.contributions(before_season):
        if c.channel in BASELINE:
            assert c.campaign == NOT_SET
        else:
            assert c.adstock > 0

    first_day = date(2026, 9, 1)
    assert contribution(world, first_day, PAID_SOCIAL, FLU).sessions > 0


def test_a_placement_draws_no_calls_before_it_starts_and_keeps_drawing_after_it_ends(world):
    mailer = next(
        p for p in placements_between(DAY - timedelta(days=90), DAY - timedelta(days=40)) if p.channel == "direct_mail"
    )
    carryover = CHANNEL_EFFECTS["direct_mail"].carryover_days

    def expected_calls(day: date) -> float:
        return sum(c.calls for c in world.contributions(day) if c.placement == mailer)

    def drawn_calls(day: date) -> int:
        return sum(r.calls for r in world.calls(day) if r.tracking_number == mailer.tracking_number)

    assert expected_calls(mailer.start - timedelta(days=1)) == 0 == drawn_calls(mailer.start - timedelta(days=1))
    tail = [expected_calls(mailer.end + timedelta(days=k)) for k in range(1, carryover)]
    assert all(tail) and tail == sorted(tail, reverse=True)
    assert expected_calls(mailer.end + timedelta(days=carryover)) == 0
    assert sum(drawn_calls(mailer.end + timedelta(days=k)) for k in range(1, carryover)) > 0


def test_paid_and_organic_effects_carry_over_after_the_season_ends(world):
    season_end = date(2026, 12, 31)
    for channel in (PAID_SOCIAL, "facebook"):
        carryover = CHANNEL_EFFECTS[channel].carryover_days
        last_day = season_end
        # The campaign's last post or ad day (a paused week or a quiet one has no contribution at all).
        while not getattr(contribution(world, last_day, channel, FLU), "driver", 0):
            last_day -= timedelta(days=1)
        tail = [contribution(world, last_day + timedelta(days=k), channel, FLU) for k in range(1, carryover)]
        assert all(c is not None and c.driver == 0 and c.sessions > 0 for c in tail)
        assert [c.sessions for c in tail] == sorted((c.sessions for c in tail), reverse=True)
        assert contribution(world, last_day + timedelta(days=carryover), channel, FLU) is None


def test_the_baseline_follows_the_weekday_and_scale():
    small, large = ConversionsWorld(), ConversionsWorld(scale=2)
    monday, saturday = date(2026, 11, 16), date(2026, 11, 21)

    def expected(w: ConversionsWorld, day: date, channel: str) -> float:
        return sum(c.sessions for c in w.contributions(day) if c.channel == channel)

    assert expected(small, monday, "organic_search") > expected(small, saturday, "organic_search")
    assert expected(large, monday, "organic_search") == pytest.approx(2 * expected(small, monday, "organic_search"))
    assert expected(large, DAY, "facebook") > 1.5 * expected(small, DAY, "facebook")
    assert expected(large, DAY, "tv") == pytest.approx(expected(small, DAY, "tv"))  # the plan does not scale


# -- the draws --------------------------------------------------------------------------------


def test_draws_are_whole_and_consistent_and_add_up_to_the_expected_values(world):
    window = days(DAY - timedelta(days=89), DAY)
    drawn = defaultdict(float)
    for day in window:
        for row in world.web(day):
            assert 0 <= sum(row.key_events.values()) <= row.engaged_sessions <= row.sessions
            assert set(row.key_events) == set(KEY_EVENTS)
            # Advocacy sessions are the advocates' clicks, not a channel effect's draws (below).
            if row.medium != ADVOCACY_MEDIUM:
                drawn[row.medium] += row.sessions
                drawn[row.medium + " key events"] += sum(row.key_events.values())
    expected = defaultdict(float)
    # Each channel's untagged shares arrive under other media (search, direct, paid social).
    for channel, values in world.expected_attributed_by_channel(window[0], window[-1]).items():
        medium = CHANNEL_EFFECTS[channel].medium if channel in CHANNEL_EFFECTS else BASELINE[channel].medium
        expected[medium] += values["sessions"]
        expected[medium + " key events"] += sum(values[e] for e in KEY_EVENTS)

    assert drawn.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(drawn[key] - value) <= 4 * math.sqrt(value) + 1, key  # Poisson noise only


def test_advocates_clicks_are_the_advocacy_sessions_and_convert_at_the_documented_rate(world):
    window = days(DAY - timedelta(days=89), DAY)
    rows = [(day, row) for day in window for row in world.web(day) if row.medium == ADVOCACY_MEDIUM]
    by_team_day = defaultdict(int)
    for day, row in rows:
        by_team_day[(day, row.ad_content.split("_", 1)[0])] += row.sessions
        assert row.source in ("linkedin", "facebook", "x") and row.ad_content != NOT_SET

    assert by_team_day == {k: v for k, v in team_sessions(window[0], window[-1]).items() if v}
    sessions = sum(row.sessions for _, row in rows)
    engaged = sum(row.engaged_sessions for _, row in rows)
    key_events = sum(sum(row.key_events.values()) for _, row in rows)
    assert sessions > 1000
    for count, rate in ((engaged, ADVOCACY_WEB["engaged_rate"]), (key_events, ADVOCACY_WEB["key_event_rate"])):
        assert abs(count - rate * sessions) <= 4 * math.sqrt(rate * (1 - rate) * sessions), (count, rate)
    # The other channels' rows are those of a world without advocates: their draws are their own.
    assert all(row.ad_content == NOT_SET for day in window[-7:] for row in world.web(day) if row.medium != "advocacy")


def test_web_rows_carry_the_utm_tags_of_their_channel(world):
    rows = {(r.source, r.medium, r.campaign) for d in days(DAY - timedelta(days=13), DAY) for r in world.web(d)}
    hosts = {p.vanity_host for p in placements_between(DAY - timedelta(days=60), DAY)}

    assert ("google", "organic", NOT_SET) in rows and ("(direct)", "(none)", NOT_SET) in rows
    assert ("facebook", "paid_social", FLU) in rows and ("facebook", "social", FLU) in rows
    for source, medium, campaign in rows:
        if medium == ADVOCACY_MEDIUM:
            continue  # content without a campaign is shared too (tested above)
        if medium == "social":
            assert source in ORGANIC_PLATFORMS and campaign != NOT_SET
        elif medium in CHANNELS:
            assert source in hosts and campaign != NOT_SET
        else:
            assert (medium == "paid_social" and source == "facebook") or campaign == NOT_SET
    assert world.web(date(2023, 10, 31)) == ()  # before the property collected data


# -- untagged shares ------------------------------------------------------------------------------

WINDOW = (date(2026, 9, 1), DAY)  # the flu season so far: every channel and campaign at work
WEB_MEASURES = ("sessions", "engaged_sessions", *KEY_EVENTS)


def test_the_documented_table_is_the_untagged_shares():
    table = {}
    for line in conversions.__doc__.splitlines():
        words = line.split()
        if words and words[0] in CHANNEL_EFFECTS and words[1].endswith("%"):
            table[words[0]] = [int(w.rstrip("%")) for w in words[1:]]
    destinations = ("organic_search", "direct", PAID_SOCIAL)

    assert set(table) == set(CHANNEL_EFFECTS) and set(UNTAGGED) <= set(CHANNEL_EFFECTS)
    for channel, percents in table.items():
        shares = UNTAGGED.get(channel, {})
        assert set(shares) <= set(destinations)
        listed = [round(100 * shares[d]) for d in destinations if d in shares]
        assert percents == [round(100 * untagged_share(channel)), *listed], channel
    assert untagged_share(PAID_SOCIAL) == 0 and untagged_share("organic_search") == 0


def test_a_contributions_web_effect_splits_into_its_tagged_share_and_the_untagged_ones(world):
    tv = next(c for d in days(*WINDOW) for c in world.contributions(d) if c.channel == "tv")
    organic = contribution(world, DAY, "instagram", FLU)

    assert [(a.credited_to, a.source, a.medium, a.campaign) for a in tv.arrivals] == [
        ("tv", tv.source, "tv", tv.campaign),
        ("organic_search", "google", "organic", NOT_SET),
        ("direct", "(direct)", "(none)", NOT_SET),
    ]
    assert [a.share for a in tv.arrivals] == pytest.approx([0.65, 0.25, 0.10])
    assert [(a.credited_to, a.source, a.medium, a.campaign) for a in organic.arrivals] == [
        ("instagram", "instagram", "social", FLU),
        ("direct", "(direct)", "(none)", NOT_SET),
        (PAID_SOCIAL, "facebook", "paid_social", FLU),
    ]
    for c in world.contributions(DAY):
        assert sum(a.share for a in c.arrivals) == pytest.approx(1)
        assert c.arrivals[0].share == pytest.approx(1 - untagged_share(c.channel))


def test_attributed_misses_the_truth_by_exactly_the_untagged_shares(world):
    truth = world.expected_by_channel(*WINDOW)
    attributed = world.expected_attributed_by_channel(*WINDOW)

    assert set(attributed) == set(truth) == {*CHANNEL_EFFECTS, *BASELINE}
    for measure in WEB_MEASURES:
        for channel in CHANNEL_EFFECTS:
            received = sum(truth[c][measure] * UNTAGGED.get(c, {}).get(channel, 0) for c in truth)
            own = truth[channel][measure] * (1 - untagged_share(channel))
            assert attributed[channel][measure] == pytest.approx(own + received), (channel, measure)
            if channel != PAID_SOCIAL:
                assert received == 0 and attributed[channel][measure] < truth[channel][measure]
        for source in BASELINE:
            lifted = sum(truth[c][measure] * UNTAGGED.get(c, {}).get(source, 0) for c in truth)
            assert lifted > 0 and attributed[source][measure] == pytest.approx(truth[source][measure] + lifted)
        # The split moves expected values between channels; their total stays.
        assert sum(r[measure] for r in attributed.values()) == pytest.approx(sum(r[measure] for r in truth.values()))
    assert attributed[PAID_SOCIAL]["appointment_request"] > truth[PAID_SOCIAL]["appointment_request"]
    for channel in CHANNELS:  # calls are tracked by number: all of them stay with their channel
        assert truth[channel]["calls"] > 0
        assert attributed[channel]["calls"] == truth[channel]["calls"]
        assert attributed[channel]["qualified_calls"] == truth[channel]["qualified_calls"]


def test_the_untagged_shares_arrive_under_search_direct_and_paid_social_tags(world):
    tagged_only = ConversionsWorld(untagged={})
    expected, all_tagged = world.expected_web(DAY), tagged_only.expected_web(DAY)
    contributions = world.contributions(DAY)

    def lifted(into: str, campaign: str | None = None) -> float:
        return sum(
            c.sessions * UNTAGGED.get(c.channel, {}).get(into, 0)
            for c in contributions
            if campaign is None or c.campaign == campaign
        )

    assert expected[("google", "organic", NOT_SET)]["sessions"] == pytest.approx(
        all_tagged[("google", "organic", NOT_SET)]["sessions"] + lifted("organic_search")
    )
    assert expected[("(direct)", "(none)", NOT_SET)]["sessions"] == pytest.approx(
        all_tagged[("(direct)", "(none)", NOT_SET)]["sessions"] + lifted("direct")
    )
    assert expected[("facebook", "paid_social", FLU)]["sessions"] == pytest.approx(
        all_tagged[("facebook", "paid_social", FLU)]["sessions"] + lifted(PAID_SOCIAL, FLU)
    )
    for key, sums in all_tagged.items():  # a channel's own tags keep the rest
        if key[1] in ("social", *CHANNELS):
            channel = key[0] if key[1] == "social" else key[1]
            assert expected[key]["sessions"] == pytest.approx(sums["sessions"] * (1 - untagged_share(channel)))
    for measure in WEB_MEASURES:
        total = sum(e[measure] for e in expected.values())
        assert total == pytest.approx(sum(e[measure] for e in all_tagged.values()))
    assert set(expected) == set(all_tagged)  # no new tags: search, direct and paid social rows exist anyway
    assert tagged_only.calls(DAY) == world.calls(DAY)


# -- other true effects ------------------------------------------------------------------------------


def test_a_world_without_radio_gets_nothing_from_radio_and_the_rest_as_before(world):
    no_radio = ConversionsWorld(effects=without_effect("radio"))
    truth, without = world.expected_by_channel(*WINDOW), no_radio.expected_by_channel(*WINDOW)
    radio_days = [d for d in days(*WINDOW) if any(c.channel == "radio" and c.driver for c in no_radio.contributions(d))]

    assert truth["radio"]["sessions"] > 0 and truth["radio"]["calls"] > 0
    assert all(value == 0 for value in without["radio"].values())
    assert radio_days  # the placements still ran: only their effect is gone
    for channel in set(truth) - {"radio"}:
        for measure, value in truth[channel].items():
            assert without[channel][measure] == pytest.approx(value), (channel, measure)
    assert not [r for d in radio_days for r in no_radio.web(d) if r.medium == "radio"]
    radio_numbers = {
        c.placement.tracking_number
        for d in radio_days
        for c in no_radio.contributions(d)
        if c.placement and c.channel == "radio"
    }
    assert not [r for d in radio_days for r in no_radio.calls(d) if r.tracking_number in radio_numbers]
    assert no_radio.expected_weekly_by_channel(date(2026, 9, 7), 8)["radio"] == [0.0] * 8


def test_a_world_is_refused_effects_or_shares_it_cannot_have():
    with pytest.raises(ValueError, match="missing \\['radio'\\]"):
        ConversionsWorld(effects={k: v for k, v in CHANNEL_EFFECTS.items() if k != "radio"})
    with pytest.raises(ValueError, match="baseline source"):
        ConversionsWorld(untagged={"tv": {"radio": 0.2}})
    with pytest.raises(ValueError, match="below 1"):
        ConversionsWorld(untagged={"tv": {"direct": 0.6, "organic_search": 0.4}})
    with pytest.raises(KeyError, match="no channel 'podcast'"):
        without_effect("podcast")


# -- weekly truth ---------------------------------------------------------------------------------


def test_weekly_truth_adds_up_to_the_truth_over_the_same_days(world):
    monday, weeks = date(2026, 9, 7), 10
    weekly = world.expected_weekly_by_channel(monday, weeks)
    attributed = world.expected_weekly_by_channel(monday, weeks, attributed=True)
    appointments = world.expected_weekly_by_channel(monday, weeks, events=["appointment_request"])
    last = monday + timedelta(weeks=weeks, days=-1)

    def key_events(totals: dict, keys) -> float:
        return sum(totals[k][e] for k in keys for e in KEY_EVENTS)

    truth = world.expected_by_channel(monday, last)
    assert set(weekly) == {*CHANNEL_EFFECTS, BASELINE_KEY} and all(len(v) == weeks for v in weekly.values())
    for channel in CHANNEL_EFFECTS:
        assert sum(weekly[channel]) == pytest.approx(key_events(truth, [channel]))
        assert sum(appointments[channel]) == pytest.approx(truth[channel]["appointment_request"])
    assert sum(weekly[BASELINE_KEY]) == pytest.approx(key_events(truth, BASELINE))
    third_week = world.expected_by_channel(monday + timedelta(weeks=2), monday + timedelta(weeks=2, days=6))
    assert weekly["tv"][2] == pytest.approx(key_events(third_week, ["tv"]))
    for week in range(weeks):  # the split moves key events between channels, never adds any
        assert sum(v[week] for v in attributed.values()) == pytest.approx(sum(v[week] for v in weekly.values()))
    assert attributed[BASELINE_KEY][0] > weekly[BASELINE_KEY][0]
    with pytest.raises(ValueError, match="Monday"):
        world.expected_weekly_by_channel(monday + timedelta(days=1), 2)


def test_two_years_of_weekly_truth_before_the_first_landed_day():
    first_landed_day = date(2026, 8, 22)  # 90 days of backfill before the sandbox clock's night
    first_monday = first_landed_day - timedelta(days=first_landed_day.weekday(), weeks=104)
    weekly = ConversionsWorld().expected_weekly_by_channel(first_monday, 104)

    assert first_monday.weekday() == 0 and first_monday > date(2024, 1, 1)  # within the media plan's calendar
    assert all(value > 0 for value in weekly[BASELINE_KEY])
    for channel in CHANNEL_EFFECTS:
        # Every channel works in each of the two years, and drives changes from week to week.
        values = weekly[channel]
        assert sum(values[:52]) > 0 and sum(values[52:]) > 0, channel
        assert len({round(v, 6) for v in values}) > 26, channel
