"""Cedar Valley Health on Instagram: a seeded and deterministic model (`InstagramWorld`) and the
Graph API's Instagram endpoints that answer from it (`InstagramGraph`).

Instagram's Graph API lives on the same host as Facebook's, so `sandbox.facebook.GraphSandbox`
serves both: it holds an `InstagramWorld` next to the `FacebookWorld` and routes Instagram objects'
paths to `InstagramGraph`. Every value is a pure function of (seed, account, day), computed on
demand; tests use the same methods as ground truth.

Feed posts and reels grow along the Facebook world's `lifetime_fraction` curve; stories grow over
their 24 hours and are gone after that (neither listed nor measurable). Account insights per
local day are built from the media's growth within that day plus baseline profile traffic, and
become available `INSIGHTS_LAG` after the day ends (before that the API answers with empty data).

What the real API refuses is refused here too: media posted before the account became a business
account (subcode 2108006), media with too few viewers (`(#10) Not enough viewers`), a metric its
media product type does not support, and (optionally, as some accounts see) `views` for chosen
product types.

The endpoints: `GET /{version}/{ig-user-id}` (profile fields), `/{ig-user-id}/insights`
(`metric_type=total_value`, at most 30 days a call), the `/media` and `/stories` edges (cursor
paged, newest first) and `GET /{version}/{media-id}` and `/{media-id}/insights`. Calls are counted
under "ig_*" kinds, and throttles answer with codes 4, 17 and 80002 in turn."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from core.windows import DateWindow
from sandbox.base import PlatformSandbox
from sandbox.graph import (
    VERSION,
    Field,
    GraphError,
    GraphRoute,
    adjacent_windows,
    cursor_page,
    day_param,
    decode_cursor,
    graph_time,
    lifetime_insights,
    metric_list,
    no_such_object,
    nonexisting_field,
    page_limit,
    parse_fields,
)
from sandbox.world import (
    SAVE_EFFECT,
    SHARE_EFFECT,
    PlatformWorld,
    draw_message,
    lifetime_fraction,
    post_reach,
    seeded_ids,
)
from sources.instagram import Instagram

ACCOUNT_ID = seeded_ids("instagram")[0]
# The media edge reaches only this many of the most recent items.
MEDIA_REACH = 10_000
MEDIA_PAGE_LIMIT = 100
# Account insights of a local day appear this long after the day ends (the API documents up to 48 h).
INSIGHTS_LAG = timedelta(hours=24)
STORY_LIFETIME = timedelta(hours=24)
# Media insights below this many accounts reached answer `(#10) Not enough viewers`.
MIN_VIEWERS = 30
MAX_INSIGHTS_RANGE_DAYS = 30

ACCOUNT_DAY_METRICS: Mapping[str, tuple[str, str]] = {
    "reach": ("Accounts reached", "The number of unique accounts that have seen your content at least once."),
    "views": ("Views", "The number of times your content was played or displayed."),
    "accounts_engaged": ("Accounts engaged", "The number of accounts that have interacted with your content."),
    "total_interactions": (
        "Content interactions",
        "The total number of interactions (likes, comments, shares, saves) on your posts, reels and stories.",
    ),
    "likes": ("Likes", "The number of likes on your posts, reels and videos."),
    "comments": ("Comments", "The number of comments on your posts, reels and videos."),
    "shares": ("Shares", "The number of shares of your posts, stories, reels and videos."),
    "saves": ("Saves", "The number of saves of your posts, reels and videos."),
    "follows_and_unfollows": (
        "Follows and unfollows",
        "The number of accounts that followed you and that unfollowed you or left Instagram.",
    ),
    "profile_links_taps": (
        "Profile links taps",
        "The number of taps on your business address, call button, email button and text button.",
    ),
}
# Unique-people metrics: a range's total is not the sum of its days.
UNIQUE_METRICS = frozenset({"reach", "accounts_engaged"})
# Retired in v22 (April 2025): asking for them fails with a message that names them.
RETIRED_METRICS = frozenset({"impressions", "plays", "video_views", "clips_replays_count", "engagement"})

MEDIA_LIFETIME_METRICS: Mapping[str, tuple[str, str]] = {
    "reach": ("Accounts reached", "The number of unique accounts that have seen the media."),
    "views": ("Views", "The number of times the media was played or displayed."),
    "likes": ("Likes", "The number of likes on the media."),
    "comments": ("Comments", "The number of comments on the media."),
    "shares": ("Shares", "The number of shares of the media."),
    "saved": ("Saves", "The number of saves of the media."),
    "replies": ("Replies", "The number of replies to the story."),
    "total_interactions": ("Interactions", "Likes, saves, comments and shares on the media, minus unlikes etc."),
}
MEDIA_METRICS_BY_TYPE: Mapping[str, tuple[str, ...]] = {
    "FEED": ("reach", "views", "likes", "comments", "shares", "saved", "total_interactions"),
    "REELS": ("reach", "views", "likes", "comments", "shares", "saved", "total_interactions"),
    "STORY": ("reach", "views", "shares", "replies", "total_interactions"),
}

# Media ids are a base plus (account index x 10^12 + day index x 100 + rank that day), so an id
# names its account and day, and media number order equals publishing order.
_MEDIA_NUMBER_BASE = 17_900_000_000_000_000
_ACCOUNT_SLOTS = 10**12
_SLOTS_PER_DAY = 100
_SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_WEEKDAY_FACTOR = (1.04, 1.06, 1.05, 1.02, 0.98, 0.9, 0.95)  # Monday first
_POSTING_HOURS = {7: 3, 8: 4, 9: 4, 10: 3, 11: 4, 12: 6, 13: 4, 14: 3, 15: 3, 16: 3, 17: 5, 18: 6, 19: 7, 20: 6, 21: 3}
_FEED_TYPES = (("IMAGE", 55), ("CAROUSEL_ALBUM", 30), ("VIDEO", 15))
_STORY_HALF_LIFE_HOURS = 3.0


@dataclass(frozen=True)
class InstagramAccount:
    id: str
    username: str
    name: str
    website: str
    audience: int  # accounts a typical feed post can reach
    followers_at_start: int
    follows_count: int
    media_before_start: int  # media published before the world's first day (counted in media_count)
    daily_follows: float
    daily_unfollows: float


@dataclass(frozen=True, eq=False)
class Media:
    id: str
    account_id: str
    number: int
    created_time: datetime  # UTC, whole minutes
    media_type: str  # IMAGE, VIDEO, CAROUSEL_ALBUM
    media_product_type: str  # FEED, REELS, STORY
    caption: str | None
    permalink: str
    campaign_id: str | None
    intent: str  # what the media sets out to do (sandbox.world.INTENTS), the ground truth
    final: Mapping[str, int]  # lifetime values once mature (stories: at the end of their 24 hours)

    @property
    def is_story(self) -> bool:
        return self.media_product_type == "STORY"


def story_fraction(age: timedelta) -> float:
    """Share of a story's final values reached at `age`: fast at first, complete at 24 hours."""
    hours = min(age, STORY_LIFETIME).total_seconds() / 3600
    if hours <= 0:
        return 0.0
    full = STORY_LIFETIME.total_seconds() / 3600
    return (1 - math.exp(-hours / _STORY_HALF_LIFE_HOURS)) / (1 - math.exp(-full / _STORY_HALF_LIFE_HOURS))


class InstagramWorld(PlatformWorld[InstagramAccount, Media]):
    """The ground truth of the Instagram endpoints. `scale` multiplies media per day and audiences.

    `business_since`: media published before this instant were posted while the account was a
    personal one and have no insights (subcode 2108006); default: the world's start.
    `views_refused_for`: media product types whose insights refuse `views` (code 100)."""

    rng_namespace = "instagram"
    NOUN = "Instagram account"
    SEEDS = ("instagram", InstagramAccount)
    STREAM = "media"

    def __init__(
        self,
        business_since: datetime | None = None,
        views_refused_for: Iterable[str] = (),
        media_reach: int = MEDIA_REACH,
        **world: Any,
    ) -> None:
        super().__init__(**world)
        self.business_since = business_since if business_since is not None else self.day_start(self.start)
        self.views_refused_for = frozenset(views_refused_for)
        self.media_reach = media_reach
        # Every media (feed, reels, stories) published on a local day, oldest first.
        self.media_on = self.posts_on
        self._day_totals = lru_cache(maxsize=8192)(self._compute_day_totals)

    # -- media --------------------------------------------------------------------------------

    def publish(self, account: InstagramAccount, day: date, rng: random.Random) -> tuple[Media, ...]:
        kinds = (
            ["FEED"] * round(rng.choices((0, 1, 2), weights=(25, 55, 20))[0] * self.scale)
            + ["REELS"] * round((1 if rng.random() < 0.4 else 0) * self.scale)
            + ["STORY"] * round(rng.choices((0, 1, 2, 3, 4), weights=(20, 25, 25, 20, 10))[0] * self.scale)
        )[:_SLOTS_PER_DAY]
        hours = rng.choices(list(_POSTING_HOURS), weights=list(_POSTING_HOURS.values()), k=len(kinds))
        timed = sorted(
            (datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=self.tz), kind)
            for hour, kind in zip(hours, kinds, strict=True)
        )
        serial = list(self.accounts).index(account.id) * _ACCOUNT_SLOTS + (day - self.start).days * _SLOTS_PER_DAY
        return tuple(
            self._make_media(account, day, serial + rank, local, kind, rng) for rank, (local, kind) in enumerate(timed)
        )

    def _make_media(
        self, account: InstagramAccount, day: date, serial: int, local: datetime, kind: str, rng: random.Random
    ) -> Media:
        number = _MEDIA_NUMBER_BASE + serial
        if kind == "FEED":
            media_type = rng.choices([t for t, _ in _FEED_TYPES], weights=[w for _, w in _FEED_TYPES])[0]
        else:
            media_type = "VIDEO" if kind == "REELS" or rng.random() < 0.45 else "IMAGE"
        campaign = self.campaign_post(day, rng, 0.55) if kind != "STORY" else None
        said = draw_message(rng, campaign)
        caption: str | None = None
        if campaign is not None:
            query = urlencode({"utm_source": "instagram", "utm_medium": "social", "utm_campaign": campaign.id})
            caption = f"{said.text} {account.website}/{campaign.id}?{query}"
        elif kind != "STORY" and rng.random() < 0.92:
            caption = said.text
        shortcode = _shortcode(number)
        if kind == "STORY":
            permalink = f"https://www.instagram.com/stories/{account.username}/{number}/"
        else:
            permalink = f"https://www.instagram.com/{'reel' if kind == 'REELS' else 'p'}/{shortcode}/"
        return Media(
            id=str(number),
            account_id=account.id,
            number=number,
            created_time=local.astimezone(UTC),
            media_type=media_type,
            media_product_type=kind,
            caption=caption,
            permalink=permalink,
            campaign_id=campaign.id if campaign else None,
            intent=said.intent,
            final=self._final_values(account, kind, said.intent, rng),
        )

    @staticmethod
    def _final_values(account: InstagramAccount, kind: str, intent: str, rng: random.Random) -> dict[str, int]:
        if kind == "STORY":
            reach = account.audience * rng.uniform(0.04, 0.1)
            shares = reach * rng.uniform(0.002, 0.01) * SHARE_EFFECT[intent]
            replies = reach * rng.uniform(0.002, 0.008)
            return {
                "reach": round(reach),
                "views": round(reach * rng.uniform(1.1, 1.4)),
                "shares": round(shares),
                "replies": round(replies),
                "total_interactions": round(shares) + round(replies),
            }
        reach = post_reach(rng, account.audience, (0.3, 1.2) if kind == "REELS" else (0.12, 0.35))
        likes = reach * rng.uniform(0.03, 0.08)
        values = {
            "reach": round(reach),
            "views": round(reach * rng.uniform(1.3, 2.2)),
            "likes": round(likes),
            "comments": round(likes * rng.uniform(0.02, 0.08)),
            "shares": round(likes * rng.uniform(0.02, 0.12) * SHARE_EFFECT[intent]),
            "saved": round(likes * rng.uniform(0.03, 0.15) * SAVE_EFFECT[intent]),
        }
        values["total_interactions"] = sum(values[n] for n in ("likes", "comments", "shares", "saved"))
        return values

    def iter_media(
        self, account_id: str, since: datetime, until: datetime, now: datetime, stories: bool | None = None
    ) -> Iterator[Media]:
        """Media created in [since, until) and not after `now`, newest first. `stories`: True for
        stories only, False for feed and reels only, None for both."""
        for media in self.newest_first(account_id, since, until, now):
            if stories is None or media.is_story == stories:
                yield media

    def media_listing(self, account_id: str, now: datetime) -> Iterator[Media]:
        """What the media edge can list at `now`: feed and reels, newest first, up to the reach limit."""
        everything = self.iter_media(account_id, self.day_start(self.start), now, now, stories=False)
        for position, media in enumerate(everything):
            if position >= self.media_reach:
                return
            yield media

    def live_stories(self, account_id: str, now: datetime) -> list[Media]:
        """Stories still up at `now` (published within the last 24 hours), newest first."""
        return list(self.iter_media(account_id, now - STORY_LIFETIME + timedelta(microseconds=1), now, now, True))

    def media_between(self, account_id: str, window: DateWindow, now: datetime) -> list[Media]:
        """Feed posts and reels published on the local days of `window` that exist at `now`, oldest first."""
        found = self.iter_media(account_id, self.day_start(window.start), self.day_end(window.end), now, False)
        return list(reversed(list(found)))

    def media(self, media_id: str, now: datetime) -> Media | None:
        """The media with this id, if published by `now` (stories too, live or not)."""
        if not media_id.isdigit():
            return None
        account_index, serial = divmod(int(media_id) - _MEDIA_NUMBER_BASE, _ACCOUNT_SLOTS)
        if not 0 <= account_index < len(self.accounts):
            return None
        day_index, rank = divmod(serial, _SLOTS_PER_DAY)
        todays = self.posts_on(list(self.accounts)[account_index], self.start + timedelta(days=day_index))
        if rank < len(todays) and todays[rank].created_time <= now:
            return todays[rank]
        return None

    def media_metrics(self, media: Media, at: datetime) -> dict[str, int]:
        """Lifetime values of the media's metrics as seen at `at`."""
        age = at - media.created_time
        fraction = story_fraction(age) if media.is_story else lifetime_fraction(age)
        return {name: int(final * fraction) for name, final in media.final.items()}

    def insights_refusal(self, media: Media, now: datetime) -> str | None:
        """Why the media's insights are refused at `now`: "before_business", "not_enough_viewers", or None."""
        if media.created_time < self.business_since:
            return "before_business"
        if self.media_metrics(media, now)["reach"] < MIN_VIEWERS:
            return "not_enough_viewers"
        return None

    def story_expired(self, media: Media, now: datetime) -> bool:
        return media.is_story and now - media.created_time >= STORY_LIFETIME

    def media_count(self, account_id: str, now: datetime) -> int:
        """Feed posts and reels published by `now` (stories are not counted)."""
        published = self.iter_media(account_id, self.day_start(self.start), now, now, stories=False)
        return self.account(account_id).media_before_start + sum(1 for _ in published)

    # -- account ------------------------------------------------------------------------------

    def _compute_day_totals(self, account_id: str, day: date) -> dict[str, int]:
        account = self.account(account_id)
        growth = self.day_growth(account_id, day, self.media_metrics, MEDIA_LIFETIME_METRICS)
        rng = self._rng("account-day", account_id, day.isoformat())
        weekday = _WEEKDAY_FACTOR[day.weekday()]
        baseline = account.audience * 0.08 * weekday * rng.uniform(0.85, 1.15)
        views = growth["views"] + round(baseline)
        follows, unfollows = self._follows_on(account_id, day)
        interactions = sum(growth[n] for n in ("likes", "comments", "shares", "saved"))
        return {
            "views": views,
            "reach": min(views, round(growth["reach"] * rng.uniform(0.7, 0.85) + baseline * 0.45)),
            "accounts_engaged": round(interactions * rng.uniform(0.55, 0.75)),
            "likes": growth["likes"],
            "comments": growth["comments"],
            "shares": growth["shares"],
            "saves": growth["saved"],
            "total_interactions": interactions,
            "follows_and_unfollows": follows + unfollows,
            "profile_links_taps": round(account.audience * 0.0012 * weekday * rng.uniform(0.7, 1.3)),
        }

    def _follows_on(self, account_id: str, day: date) -> tuple[int, int]:
        """Accounts that followed and that unfollowed on local `day` (a stream of its own, so that the
        follower count does not need every day's media)."""
        account = self.account(account_id)
        rng = self._rng("follows", account_id, day.isoformat())
        follows = round(account.daily_follows * _WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.6, 1.4))
        return follows, round(account.daily_unfollows * rng.uniform(0.5, 1.5))

    def account_insight(self, account_id: str, metric: str, day: date) -> int:
        """The account's total of a daily metric for local `day` (whether yet published or not)."""
        if metric not in ACCOUNT_DAY_METRICS:
            raise KeyError(f"{metric!r} is not a valid Instagram account insights metric")
        return self._day_totals(account_id, day)[metric]

    def account_total(self, account_id: str, metric: str, days: list[date]) -> int:
        """`metric_type=total_value` over several days: a sum, except for unique-people metrics."""
        values = [self.account_insight(account_id, metric, d) for d in days]
        if metric not in UNIQUE_METRICS or not values:
            return sum(values)
        top = max(values)
        return round(top + 0.35 * (sum(values) - top))

    def insights_published(self, day: date, now: datetime) -> bool:
        """Whether account insights of local `day` are available at `now`."""
        return day >= self.start and self.day_end(day) + INSIGHTS_LAG <= now

    def followers_at_end_of(self, account_id: str, day: date) -> int:
        def net_follows(on: date) -> int:
            follows, unfollows = self._follows_on(account_id, on)
            return follows - unfollows

        return self.running_total(account_id, day, self.account(account_id).followers_at_start, net_follows)

    def account_fields(self, account_id: str, now: datetime) -> dict[str, int]:
        """followers_count (at the end of the last full day), follows_count and media_count at `now`."""
        return {
            "followers_count": self.followers_at_end_of(account_id, self.local_day(now) - timedelta(days=1)),
            "follows_count": self.account(account_id).follows_count,
            "media_count": self.media_count(account_id, now),
        }


def _shortcode(number: int) -> str:
    chars = []
    while number:
        number, digit = divmod(number, len(_SHORTCODE_ALPHABET))
        chars.append(_SHORTCODE_ALPHABET[digit])
    return "".join(reversed(chars))


# -- the Graph API's Instagram endpoints ----------------------------------------------------------

INSTAGRAM_KINDS = frozenset(
    {"ig_user", "ig_user_insights", "ig_media", "ig_stories", "ig_media_fields", "ig_media_insights"}
)
# Graph's throttles on Instagram calls, answered in turn.
INSTAGRAM_THROTTLES = (
    (4, 400, "(#4) Application request limit reached"),
    (17, 400, "(#17) User request limit reached"),
    (80002, 403, "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again."),
)
_MEDIA_FIELDS = (
    "id",
    "timestamp",
    "media_type",
    "media_product_type",
    "permalink",
    "caption",
    "like_count",
    "comments_count",
    "shortcode",
    "username",
    "insights",
)
_USER_FIELDS = ("id", "username", "name", "website", "followers_count", "follows_count", "media_count")


class InstagramGraph:
    """The Graph API's Instagram endpoints for one `InstagramWorld`, served by `server` (the Graph
    sandbox, whose clock, URL and paging loop they use)."""

    def __init__(self, world: InstagramWorld, server: PlatformSandbox) -> None:
        self.world, self.server = world, server

    def route(self, path: str) -> GraphRoute | None:
        """Which Instagram endpoint a Graph path addresses, or None when it is not an Instagram object's."""
        parts = [p for p in path.split("/") if p]
        if len(parts) not in (2, 3) or not VERSION.match(parts[0]):
            return None
        version, object_id, edge = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
        if object_id in self.world.accounts:
            kinds = {"": "ig_user", "insights": "ig_user_insights", "media": "ig_media", "stories": "ig_stories"}
        elif self.world.media(object_id, self.server.now()) is not None:
            kinds = {"": "ig_media_fields", "insights": "ig_media_insights"}
        else:
            return None
        return GraphRoute(kinds[edge], version, object_id) if edge in kinds else None

    def account_of(self, route: GraphRoute) -> str:
        """The account a call is about, for the business-use-case usage header."""
        media = self.world.media(route.object_id, self.server.now())
        return media.account_id if media is not None else route.object_id

    def answer(self, route: GraphRoute, params: dict[str, str], token: str) -> dict[str, Any]:
        kind, now = route.kind, self.server.now()
        if kind in ("ig_media_fields", "ig_media_insights"):
            media = self.world.media(route.object_id, now)
            if media is None:
                raise no_such_object(route.object_id)
            if kind == "ig_media_insights":
                return {"data": self._media_insights(media, metric_list(params.get("metric", "")))}
            return self.media_node(media, parse_fields(params.get("fields", "id")))
        account_id = route.object_id
        if kind == "ig_user":
            return self._user_node(account_id, parse_fields(params.get("fields", "id")))
        if kind == "ig_user_insights":
            return self._user_insights(route, params, token)
        fields = parse_fields(params.get("fields", "id"))
        for f in fields:
            _check_media_field(f.name)
        if kind == "ig_stories":
            listing: Iterable[Media] = self.world.live_stories(account_id, now)
        else:
            listing = self.world.media_listing(account_id, now)
        return self._edge_page(route, listing, fields, params, token)

    def _user_node(self, account_id: str, fields: list[Field]) -> dict[str, Any]:
        account = self.world.account(account_id)
        values: dict[str, Any] = {
            "id": account.id,
            "username": account.username,
            "name": account.name,
            "website": account.website,
            **self.world.account_fields(account_id, self.server.now()),
        }
        node: dict[str, Any] = {}
        for f in fields:
            if f.name not in _USER_FIELDS:
                raise nonexisting_field(f.name, "IGUser")
            node[f.name] = values[f.name]
        node.setdefault("id", account.id)  # Graph always returns the node's id
        return node

    def _user_insights(self, route: GraphRoute, params: dict[str, str], token: str) -> dict[str, Any]:
        metrics = metric_list(params.get("metric", ""))
        for index, metric in enumerate(metrics):
            if metric in RETIRED_METRICS:
                raise GraphError(
                    f"(#100) Starting from version v22.0 and above, the {metric} metric is no longer supported for "
                    "the queried user. Please refer to the documentation at https://developers.facebook.com/docs/"
                    "instagram-api/reference/ig-user/insights for a list of supported metrics.",
                    code=100,
                )
            if metric not in ACCOUNT_DAY_METRICS:
                raise GraphError(
                    f"(#100) metric[{index}] must be one of the following values: {', '.join(ACCOUNT_DAY_METRICS)}",
                    code=100,
                )
        if params.get("period", "") != "day":
            raise GraphError("(#100) The period parameter must be one of: day", code=100)
        if params.get("metric_type") != "total_value":
            raise GraphError(
                f"(#100) The following metrics ({', '.join(metrics)}) should be specified with parameter "
                "metric_type=total_value",
                code=100,
            )
        world, now = self.world, self.server.now()
        today = world.local_day(now)
        since = day_param(world, params, "since") or today - timedelta(days=1)
        until = day_param(world, params, "until") or today
        if until <= since:
            raise GraphError("(#100) The since parameter must be before the until parameter", code=100)
        if (until - since).days > MAX_INSIGHTS_RANGE_DAYS:
            raise GraphError(
                f"(#100) There cannot be more than {MAX_INSIGHTS_RANGE_DAYS} days "
                f"({MAX_INSIGHTS_RANGE_DAYS * 86400} s) between since and until",
                code=100,
            )
        days = [since + timedelta(days=i) for i in range((until - since).days)]
        # Not yet processed (or before the account's data): the API answers with no data, not zeros.
        data = []
        if all(world.insights_published(d, now) for d in days):
            data = [
                {
                    "name": metric,
                    "period": "day",
                    "title": ACCOUNT_DAY_METRICS[metric][0],
                    "description": ACCOUNT_DAY_METRICS[metric][1],
                    "total_value": {"value": world.account_total(route.object_id, metric, days)},
                    "id": f"{route.object_id}/insights/{metric}/day",
                }
                for metric in metrics
            ]
        path = f"/{route.version}/{route.object_id}/insights"
        return {"data": data, "paging": adjacent_windows(self.server, world, path, params, since, until, token)}

    def _edge_page(
        self, route: GraphRoute, listing: Iterable[Media], fields: list[Field], params: dict[str, str], token: str
    ) -> dict[str, Any]:
        """One page of a cursor-paged media edge (newest first)."""
        limit = page_limit(params)
        after = decode_cursor(params["after"]) if "after" in params else None
        remaining = (m for m in listing if after is None or m.number < after)
        path = f"/{route.version}/{route.object_id}/{'stories' if route.kind == 'ig_stories' else 'media'}"
        return cursor_page(self.server, remaining, lambda m: self.media_node(m, fields), limit, params, path, token)

    def media_node(self, media: Media, fields: list[Field], always_id: bool = False) -> dict[str, Any]:
        now = self.server.now()
        counts = self.world.media_metrics(media, now)
        values: dict[str, Any] = {
            "id": media.id,
            "timestamp": graph_time(media.created_time),
            "media_type": media.media_type,
            "media_product_type": media.media_product_type,
            "permalink": media.permalink,
            "shortcode": media.permalink.rstrip("/").rsplit("/", 1)[-1],
            "username": self.world.account(media.account_id).username,
            "caption": media.caption,
            # Stories have no like or comment counts: the API leaves the fields out.
            "like_count": None if media.is_story else counts["likes"],
            "comments_count": None if media.is_story else counts["comments"],
        }
        node: dict[str, Any] = {}
        for f in fields:
            _check_media_field(f.name)
            if f.name == "insights":
                node["insights"] = {"data": self._media_insights(media, metric_list(f.modifiers.get("metric", "")))}
            elif values[f.name] is not None:
                node[f.name] = values[f.name]
        if always_id:
            node.setdefault("id", media.id)
        return node

    def _media_insights(self, media: Media, metrics: list[str]) -> list[dict[str, Any]]:
        world, now = self.world, self.server.now()
        supported = MEDIA_METRICS_BY_TYPE[media.media_product_type]
        for index, metric in enumerate(metrics):
            refused = metric == "views" and media.media_product_type in world.views_refused_for
            if metric in MEDIA_LIFETIME_METRICS and (metric not in supported or refused):
                raise GraphError(
                    f"(#100) The Media Insights API does not support the {metric} metric for this media product type.",
                    code=100,
                )
            if metric not in supported:
                raise GraphError(
                    f"(#100) metric[{index}] must be one of the following values: {', '.join(supported)}", code=100
                )
        refusal = world.insights_refusal(media, now)
        if refusal == "before_business":
            raise GraphError(
                "Invalid parameter",
                code=100,
                subcode=2108006,
                is_transient=False,
                user_title="Media posted before business account conversion",
                user_msg="The media was posted before the most recent time that the user's account was converted "
                "to a business account from a personal account.",
            )
        if world.story_expired(media, now):
            return []  # story insights live 24 hours: afterwards there is nothing to report
        if refusal == "not_enough_viewers":
            raise GraphError("(#10) Not enough viewers for the media to show insights", code=10)
        return lifetime_insights(media.id, metrics, world.media_metrics(media, now), MEDIA_LIFETIME_METRICS)


def _check_media_field(name: str) -> None:
    if name not in _MEDIA_FIELDS:
        raise nonexisting_field(name, "ShadowIGMedia")


# -- the call budget ------------------------------------------------------------------------------


def minimum_calls(
    world: InstagramWorld, now: datetime, source: Instagram, insight_days: int, media_window: DateWindow
) -> dict[str, int]:
    """The fewest calls one run can make for every account of `source`, from the world's ground truth.

    Per account: one profile read; account insights one day per call (`metric_type=total_value`
    gives one total for the whole range) in groups of `metrics_per_request`; the media edge newest
    first, `MEDIA_PAGE_LIMIT` a page, until an item older than the window's start shows (or the
    edge ends); the stories edge; one insights call per feed post or reel of the window and per
    live story (a product-type-refused metric, a 2108006 or a "not enough viewers" is per media)."""
    groups = math.ceil(len(dict.fromkeys(source.account_metrics)) / source.metrics_per_request)
    since = world.day_start(media_window.start)
    calls = {"ig_user": 0, "ig_user_insights": 0, "ig_media": 0, "ig_stories": 0, "ig_media_insights": 0}
    for account in source.accounts:
        listing = list(world.media_listing(account.id, now))
        newer = sum(m.created_time >= since for m in listing)
        older_listed = newer < len(listing)
        stories = world.live_stories(account.id, now)
        calls["ig_user"] += 1
        calls["ig_user_insights"] += insight_days * groups
        # A full last page cannot tell that nothing newer than `since` follows: one more page is read.
        calls["ig_media"] += newer // MEDIA_PAGE_LIMIT + 1 if older_listed else max(1, -(-newer // MEDIA_PAGE_LIMIT))
        calls["ig_stories"] += max(1, -(-len(stories) // MEDIA_PAGE_LIMIT))
        calls["ig_media_insights"] += len(world.media_between(account.id, media_window, now)) + len(stories)
    return calls
