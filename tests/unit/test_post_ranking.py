"""How the reports rank posts (reports.queries.rank_posts): within their platform, so a platform
whose rates are low or spread wide does not fill the bottom (or the top) of the list."""

from __future__ import annotations

from datetime import date, timedelta

from reports.queries import MIN_POST_AGE_DAYS, Post, rank_posts

THROUGH = date(2026, 10, 31)


def _post(platform: str, number: int, rate: float, age_days: int = 20) -> Post:
    return Post(
        platform, f"{platform}-{number}", THROUGH - timedelta(days=age_days), "(none)", "", 10, 1000, rate, None
    )


def test_each_platforms_best_and_worst_come_first_whatever_its_spread():
    # Instagram's rates sit close to its median; X's spread wide around a far lower one.
    instagram = [_post("instagram", n, rate) for n, rate in enumerate([0.050, 0.055, 0.060, 0.065, 0.070])]
    x = [_post("x", n, rate) for n, rate in enumerate([0.001, 0.003, 0.005, 0.010, 0.020])]
    ranked = rank_posts(instagram + x, THROUGH)
    assert {post.platform for post in ranked[:2]} == {"instagram", "x"}
    assert {post.platform for post in ranked[-2:]} == {"instagram", "x"}
    best_x = next(post for post in ranked if post.platform == "x")
    assert best_x.post_id == "x-4" and best_x.relative_rate == 4.0  # 0.020 against X's median 0.005


def test_young_and_unmeasured_posts_are_not_ranked():
    posts = [
        _post("facebook", 1, 0.02),
        _post("facebook", 2, 0.03, age_days=MIN_POST_AGE_DAYS - 1),
        _post("facebook", 3, None),
    ]
    assert [post.post_id for post in rank_posts(posts, THROUGH)] == ["facebook-1"]
    assert rank_posts(posts, None) == []
