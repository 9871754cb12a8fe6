"""What the sandbox's posts say: every post of every platform has an intent the world knows, its
text reads like that intent, and helpful posts earn more shares and saves than promotional ones by
the documented factor."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from statistics import fmean

import pytest

from sandbox.facebook import FacebookWorld
from sandbox.instagram import InstagramWorld
from sandbox.linkedin import LinkedInWorld
from sandbox.world import INTENTS, SAVE_EFFECT, SHARE_EFFECT, true_ratio
from sandbox.x import XWorld
from sandbox.youtube import YouTubeWorld

FIRST, LAST = date(2025, 1, 1), date(2026, 10, 31)


def _days(first: date, last: date):
    return (date.fromordinal(d) for d in range(first.toordinal(), last.toordinal() + 1))


@pytest.fixture(scope="module")
def facebook() -> FacebookWorld:
    return FacebookWorld()


@pytest.fixture(scope="module")
def instagram() -> InstagramWorld:
    return InstagramWorld()


@pytest.fixture(scope="module")
def x() -> XWorld:
    return XWorld()


@pytest.mark.parametrize("world_type", [FacebookWorld, InstagramWorld, XWorld, LinkedInWorld, YouTubeWorld])
def test_every_post_has_an_intent_and_every_intent_is_posted(world_type):
    world = world_type()
    intents = {}
    for account in world.accounts:
        intents.update(world.true_intents(account, date(2026, 1, 1), date(2026, 10, 31)))
    assert intents and set(intents.values()) == set(INTENTS)
    again = world_type()
    account = next(iter(world.accounts))
    day = date(2026, 10, 5)
    assert again.true_intents(account, day, day) == world.true_intents(account, day, day)


def test_the_text_says_what_the_intent_is(facebook):
    """A promotional post asks for a booking or a call or names a price; a helpful one does not."""
    posts = [p for page in facebook.pages for d in _days(date(2026, 6, 1), LAST) for p in facebook.posts_on(page, d)]
    calls_to_action = re.compile(r"\b(book|schedule|call today)\b|% off|\$\d", re.IGNORECASE)

    def sells(text: str) -> bool:
        return calls_to_action.search(re.sub(r"https?://\S+", "", text)) is not None

    promotional = [p.message for p in posts if p.intent == "promotional" and p.message]
    helpful = [p.message for p in posts if p.intent == "helpful" and p.message]
    assert promotional and helpful
    assert fmean(sells(t) for t in promotional) > 0.9
    assert fmean(sells(t) for t in helpful) < 0.05


def _ratio(items, key, rate) -> float:
    """Mean `rate` of helpful items over that of promotional ones, within each `key` (the format),
    averaged over the formats weighted by their helpful items."""
    by = defaultdict(lambda: defaultdict(list))
    for item in items:
        by[key(item)][item.intent].append(rate(item))
    pairs = [
        (len(g["helpful"]), fmean(g["helpful"]) / fmean(g["promotional"])) for g in by.values() if g["promotional"]
    ]
    return sum(n * r for n, r in pairs) / sum(n for n, _ in pairs)


def test_helpful_posts_draw_twice_the_shares_of_promotional_ones_on_facebook(facebook):
    posts = [p for page in facebook.pages for d in _days(FIRST, LAST) for p in facebook.posts_on(page, d)]
    ratio = _ratio(posts, lambda p: p.status_type, lambda p: p.final["shares"] / p.final["post_media_view"])
    assert true_ratio(SHARE_EFFECT) == pytest.approx(2.0)
    assert ratio == pytest.approx(true_ratio(SHARE_EFFECT), rel=0.15)


def test_helpful_media_draw_more_shares_and_saves_on_instagram(instagram):
    media = [
        m
        for account in instagram.accounts
        for d in _days(FIRST, LAST)
        for m in instagram.media_on(account, d)
        if not m.is_story
    ]
    kind = lambda m: m.media_product_type  # noqa: E731
    shares = _ratio(media, kind, lambda m: m.final["shares"] / m.final["views"])
    saves = _ratio(media, kind, lambda m: m.final["saved"] / m.final["views"])
    assert shares == pytest.approx(true_ratio(SHARE_EFFECT), rel=0.15)
    assert true_ratio(SAVE_EFFECT) == pytest.approx(2.5)
    assert saves == pytest.approx(true_ratio(SAVE_EFFECT), rel=0.15)


def test_helpful_posts_draw_more_reposts_and_bookmarks_on_x(x):
    posts = [p for account in x.accounts for d in _days(FIRST, LAST) for p in x.posts_on(account, d)]
    per_impression = lambda name: lambda p: p.final[name] / max(1, p.final["impression_count"])  # noqa: E731
    assert _ratio(posts, lambda p: 0, per_impression("retweet_count")) == pytest.approx(2.0, rel=0.15)
    assert _ratio(posts, lambda p: 0, per_impression("bookmark_count")) == pytest.approx(2.5, rel=0.15)


def test_likes_do_not_depend_on_the_intent(facebook):
    posts = [p for page in facebook.pages for d in _days(FIRST, LAST) for p in facebook.posts_on(page, d)]
    ratio = _ratio(posts, lambda p: p.status_type, lambda p: p.final["reactions"] / p.final["post_media_view"])
    assert ratio == pytest.approx(1.0, rel=0.1)
