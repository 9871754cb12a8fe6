"""The sandbox world: deterministic, plausible, and internally consistent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.facebook import PAGE_DAY_METRICS, POST_FIELD_COUNTS, POST_LIFETIME_METRICS
from sandbox.facebook import FacebookWorld as SandboxWorld
from sandbox.world import lifetime_fraction, load_campaigns

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MAIN, CHILDRENS = "100200300400501", "100200300400502"


@pytest.fixture(scope="module")
def world() -> SandboxWorld:
    return SandboxWorld()


def test_the_same_seed_gives_the_same_world_and_another_seed_another(world):
    day = date(2026, 10, 1)
    again, other = SandboxWorld(), SandboxWorld(seed=7)

    def fingerprint(w):
        return [(p.id, p.created_time, p.message, dict(p.final)) for p in w.posts(MAIN, day, day, NOW)]

    assert fingerprint(again) == fingerprint(world)
    assert fingerprint(other) != fingerprint(world)
    assert again.page_insight(MAIN, "page_media_view", day) == world.page_insight(MAIN, "page_media_view", day)


def test_the_demo_pages_have_their_audiences(world):
    assert {p.id: p.name for p in world.pages.values()} == {
        MAIN: "Cedar Valley Health",
        CHILDRENS: "Cedar Valley Children's Hospital",
    }
    assert 45_000 <= world.followers_count(MAIN, NOW) <= 51_000
    assert 19_000 <= world.followers_count(CHILDRENS, NOW) <= 23_000
    assert world.fan_count(MAIN, NOW) < world.followers_count(MAIN, NOW)


def test_pages_post_one_to_three_times_a_day_at_plausible_local_hours(world):
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    for page_id in world.pages:
        posts = world.posts(page_id, start, end, NOW)
        per_day = Counter(world.local_day(p.created_time) for p in posts)
        assert set(per_day.values()) <= {1, 2, 3}
        assert len(per_day) == (end - start).days + 1
        assert all(7 <= p.created_time.astimezone(world.tz).hour <= 20 for p in posts)
        assert len({p.id for p in posts}) == len(posts)


def test_history_reaches_about_three_years_back_and_stops_at_now(world):
    assert world.posts(MAIN, date(2023, 12, 1), date(2023, 12, 1), NOW)
    assert world.posts(MAIN, world.start - timedelta(days=1), world.start - timedelta(days=1), NOW) == []
    assert all(p.created_time <= NOW for p in world.posts(MAIN, date(2026, 11, 20), date(2026, 11, 21), NOW))


def test_about_sixty_percent_of_posts_carry_a_campaign_tag_from_the_campaign_list(world):
    campaigns = {c.id for c in load_campaigns()}
    posts = world.posts(MAIN, date(2025, 1, 1), date(2025, 12, 31), NOW)
    tagged = [p for p in posts if p.campaign_id is not None]

    assert 0.5 <= len(tagged) / len(posts) <= 0.7
    assert {p.campaign_id for p in tagged} <= campaigns
    for post in tagged:
        assert parse_qs(urlsplit(post.link).query)["utm_campaign"] == [post.campaign_id]
        assert post.link in post.message
    assert all(p.link is None or "utm_campaign" not in p.link for p in posts if p.campaign_id is None)


def test_a_flu_shot_drive_only_runs_in_its_flu_season(world):
    flu = {c.id for c in load_campaigns() if c.objective == "flu_shot_drive"}
    posts = world.posts(MAIN, date(2025, 1, 1), date(2026, 11, 19), NOW) + world.posts(
        CHILDRENS, date(2025, 1, 1), date(2026, 11, 19), NOW
    )
    flu_days = {world.local_day(p.created_time) for p in posts if p.campaign_id in flu}
    assert flu_days
    assert all(d.year == 2026 and d.month >= 9 for d in flu_days)


def test_a_post_can_be_found_by_its_id_once_it_exists(world):
    post = world.posts(CHILDRENS, date(2026, 11, 2), date(2026, 11, 2), NOW)[-1]
    assert world.post(post.id, NOW) is post
    assert world.post(post.id, post.created_time - timedelta(minutes=1)) is None
    assert world.post(f"{CHILDRENS}_1", NOW) is None
    assert world.post("nonsense", NOW) is None


def test_lifetime_metrics_only_grow_and_settle_after_about_two_weeks(world):
    assert lifetime_fraction(timedelta(0)) == 0
    assert 0.75 <= lifetime_fraction(timedelta(days=2)) <= 0.95
    assert 0.95 <= lifetime_fraction(timedelta(days=12)) < 1
    assert lifetime_fraction(timedelta(days=16)) == 1

    for post in world.posts(MAIN, date(2026, 10, 1), date(2026, 10, 3), NOW):
        seen = [world.post_metrics(post, post.created_time + timedelta(hours=h)) for h in range(0, 24 * 20, 5)]
        assert set(seen[0]) == set(POST_LIFETIME_METRICS) | set(POST_FIELD_COUNTS)
        for earlier, later in zip(seen, seen[1:], strict=False):
            assert all(later[m] >= earlier[m] for m in earlier)
        assert seen[-1] == dict(post.final)
        assert seen[-1]["post_total_media_view_unique"] <= seen[-1]["post_media_view"]
        assert (seen[-1]["post_video_views"] > 0) == post.is_video


def test_page_insights_add_up_with_the_posts(world):
    day = date(2026, 11, 10)
    start, end = world.day_start(day), world.day_end(day)
    posts = world.posts(MAIN, day - timedelta(days=20), day, end)

    def growth(metric):
        return sum(world.post_metrics(p, end)[metric] - world.post_metrics(p, start)[metric] for p in posts)

    def insight(metric):
        return world.page_insight(MAIN, metric, day)

    engagement = sum(growth(m) for m in ("reactions", "comments", "shares", "post_clicks"))
    assert insight("page_post_engagements") == engagement
    assert insight("page_media_view") > growth("post_media_view") > 0
    assert insight("page_total_media_view_unique") < insight("page_media_view")
    assert insight("page_video_views") >= growth("post_video_views")
    net = insight("page_daily_follows_unique") - insight("page_daily_unfollows_unique")
    assert (
        world.page_insight(MAIN, "page_follows", day) - world.page_insight(MAIN, "page_follows", day - timedelta(1))
        == net
    )


def test_weekends_are_quieter(world):
    days = [date(2026, 6, 1) + timedelta(days=i) for i in range(12 * 7)]
    views = {d: world.page_insight(MAIN, "page_views_total", d) for d in days}
    weekday = [v for d, v in views.items() if d.weekday() < 5]
    weekend = [v for d, v in views.items() if d.weekday() >= 5]
    assert sum(weekend) / len(weekend) < sum(weekday) / len(weekday)


def test_only_current_metric_names_exist():
    assert {"page_media_view", "page_total_media_view_unique", "page_follows"} <= set(PAGE_DAY_METRICS)
    assert not {"page_impressions", "page_impressions_unique", "page_fans", "page_engaged_users"} & set(
        PAGE_DAY_METRICS
    )
    assert not {"post_impressions", "post_impressions_unique"} & set(POST_LIFETIME_METRICS)


def test_scale_multiplies_posts_and_audience():
    small, large = SandboxWorld(), SandboxWorld(scale=3)
    span = (date(2026, 9, 1), date(2026, 9, 30))
    assert len(large.posts(MAIN, *span, NOW)) > 2.5 * len(small.posts(MAIN, *span, NOW))
    assert large.pages[MAIN].audience == 3 * small.pages[MAIN].audience
