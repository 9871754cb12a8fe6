"""The fewest Graph API calls the paging allows for one extraction, from the world's ground truth.

Tests compare it with the calls the sandbox counted; `make bench` reports both."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from core.settings import FacebookPages, Windows
from core.windows import DateWindow
from sandbox.world import SandboxWorld

INSIGHTS_DAYS_PER_CALL = 90
POSTS_PER_PAGE = 100
IDS_PER_LOOKUP = 50


def posts_window(windows: Windows, has_history: bool, partition_date: date) -> DateWindow:
    """Posts are listed over the longer of the extraction window and the snapshot window."""
    days = max(windows.lookback_days if has_history else windows.backfill_days, windows.post_snapshot_days)
    return DateWindow(partition_date - timedelta(days=days - 1), partition_date)


def minimum_calls(
    world: SandboxWorld, now: datetime, source: FacebookPages, insight_days: int, window: DateWindow
) -> dict[str, int]:
    page_groups = math.ceil(len(source.page_metrics) / source.metrics_per_request)
    post_groups = math.ceil(len(source.post_metrics) / source.metrics_per_request)
    calls = {"page_insights": 0, "published_posts": 0, "ids_lookup": 0}
    for account in source.accounts:
        n_posts = len(world.posts(account.id, window.start, window.end, now))
        calls["page_insights"] += math.ceil(insight_days / INSIGHTS_DAYS_PER_CALL) * page_groups
        calls["published_posts"] += max(1, math.ceil(n_posts / POSTS_PER_PAGE))
        calls["ids_lookup"] += math.ceil(n_posts / IDS_PER_LOOKUP) * post_groups
    return calls
