"""Paging that would never end: every paging loop of every extractor goes through one guard, which
refuses a next link or cursor pointing back at a page already read, and stops at
`http.max_pages_per_edge` pages.

The platforms are the sandbox's (its `paging_loop` fault makes every later page link back to
itself); each case reads one paged edge the way its extractor does, over a window wide enough for
more than three pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from core.landing import RunContext
from core.settings import HttpSettings
from core.windows import DateWindow
from extractors.http import ApiEndpoint, GraphClient, PagingLoopError
from nightly.extract import extract
from sandbox import registry
from sandbox.base import LoopbackServer
from sandbox.facebook import DEFAULT_TOKEN as GRAPH_TOKEN
from sandbox.faults import Fault
from sandbox.linkedin import DEFAULT_TOKEN as LINKEDIN_TOKEN
from sandbox.meta_ads import DEFAULT_TOKEN as META_ADS_TOKEN
from sandbox.x import DEFAULT_TOKEN as X_TOKEN
from sandbox.youtube import DEFAULT_TOKEN as YOUTUBE_TOKEN
from sources import SOURCES_BY_NAME, facebook_pages, instagram, linkedin, meta_ads, x, youtube
from sources.config import load_config
from sources.meta_ads import MetaAds
from tests.conftest import SANDBOX_NOW

CONFIG = load_config()  # the demo's configuration: its accounts
TZ = CONFIG.organisation.tz
HTTP = HttpSettings(backoff_base_seconds=0, max_backoff_seconds=0, usage_slowdown_seconds=0)
# Wide enough for more than three pages on every platform (asserted by the last test).
WINDOW = DateWindow(date(2025, 1, 1), date(2026, 11, 19))
SINCE, UNTIL = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)


def _id(source: str) -> str:
    return getattr(CONFIG.sources, source).accounts[0].id


def _endpoint(url: str, token: str, version: str, source: str) -> ApiEndpoint:
    """The endpoint the DAG's extract task builds for the source's first account."""
    account, api = getattr(CONFIG.sources, source).accounts[0], SOURCES_BY_NAME[source]
    return ApiEndpoint(url, token, version, account.connection_id, api.connection.platform, api.connection.token_kind)


@dataclass(frozen=True)
class Edge:
    """One paged edge read as its extractor reads it: `read(server, http)` pages through it."""

    name: str
    sandbox: str  # the sandbox platform that serves it
    kind: str  # the sandbox's call count of that edge's pages
    platform: str  # the API as the error names it (the LinkedIn client names itself)
    path: str  # the edge as the error names it
    read: Callable[[LoopbackServer, HttpSettings], None]


def _graph(server: LoopbackServer, http: HttpSettings, source: str) -> GraphClient:
    if source == "meta_ads":
        return meta_ads.MetaAdsClient(_endpoint(server.url, META_ADS_TOKEN, "v24.0", source), http)
    return GraphClient(_endpoint(server.url, GRAPH_TOKEN, "v24.0", source), http)


def _facebook(server: LoopbackServer, http: HttpSettings) -> None:
    with _graph(server, http, "facebook_pages") as client:
        list(facebook_pages.posts(client, _id("facebook_pages"), WINDOW, TZ))


def _instagram(server: LoopbackServer, http: HttpSettings) -> None:
    with _graph(server, http, "instagram") as client:
        list(instagram.media(client, _id("instagram"), SINCE, UNTIL))


def _x(server: LoopbackServer, http: HttpSettings) -> None:
    endpoint = _endpoint(server.url, X_TOKEN, "2", "x")
    with x.XClient(endpoint, http) as client:
        list(x.timeline(client, _id("x"), SINCE, UNTIL, page_size=100))


def _youtube(server: LoopbackServer, http: HttpSettings) -> None:
    endpoint = _endpoint(server.url, YOUTUBE_TOKEN, "v3", "youtube")
    with youtube.YouTubeClient(endpoint, http) as client:
        _, uploads = youtube.channel(client, _id("youtube"), WINDOW.end)
        list(youtube.videos(client, _id("youtube"), uploads, WINDOW, TZ))


def _linkedin(server: LoopbackServer, http: HttpSettings) -> None:
    endpoint = _endpoint(server.base_url, LINKEDIN_TOKEN, "", "linkedin")
    with linkedin.LinkedInClient(endpoint, http, CONFIG.sources.linkedin.api_version) as client:
        list(linkedin.posts(client, _id("linkedin"), WINDOW, TZ))


def _ads_settings(**changes: object) -> MetaAds:
    fast_polls = {"poll_initial_seconds": 0.001, "poll_max_seconds": 0.001, "page_size": 5}
    return CONFIG.sources.meta_ads.model_copy(update={**fast_polls, **changes})


def _meta_ads_sync(server: LoopbackServer, http: HttpSettings) -> None:
    with _graph(server, http, "meta_ads") as client:
        meta_ads.sync_rows(client, _id("meta_ads"), DateWindow(date(2026, 10, 1), date(2026, 10, 3)), _ads_settings())


def _meta_ads_report(server: LoopbackServer, http: HttpSettings) -> None:
    with _graph(server, http, "meta_ads") as client:
        window = DateWindow(date(2026, 10, 1), date(2026, 10, 3))
        meta_ads.report_rows(client, _id("meta_ads"), window, _ads_settings(), sleep=lambda seconds: None)


EDGES = [
    Edge(
        "facebook posts",
        "facebook",
        "published_posts",
        SOURCES_BY_NAME["facebook_pages"].connection.platform,
        f"/v24.0/{_id('facebook_pages')}/published_posts",
        _facebook,
    ),
    Edge(
        "instagram media",
        "facebook",
        "ig_media",
        SOURCES_BY_NAME["instagram"].connection.platform,
        f"/v24.0/{_id('instagram')}/media",
        _instagram,
    ),
    Edge("x timeline", "x", "user_tweets", x.PLATFORM, f"/2/users/{_id('x')}/tweets", _x),
    Edge(
        "youtube uploads",
        "youtube",
        "playlist_items",
        SOURCES_BY_NAME["youtube"].connection.platform,
        "/youtube/v3/playlistItems",
        _youtube,
    ),
    Edge("linkedin posts", "linkedin", "posts", linkedin.PLATFORM, "/posts", _linkedin),
    Edge(
        "meta ads insights",
        "meta_ads",
        "insights",
        meta_ads.PLATFORM,
        f"/v24.0/act_{_id('meta_ads')}/insights",
        _meta_ads_sync,
    ),
    Edge("meta ads report run", "meta_ads", "report_insights", meta_ads.PLATFORM, "/insights", _meta_ads_report),
]


@pytest.fixture
def serve() -> Iterator[Callable[..., LoopbackServer]]:
    started: list[LoopbackServer] = []

    def start(platform: str, **options: object) -> LoopbackServer:
        server = registry.create(platform, now=SANDBOX_NOW, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _cursor_named(text: str) -> str:
    found = re.search(r"cursor ('[^']*')", text)
    assert found, text
    return found.group(1)


@pytest.mark.parametrize("edge", EDGES, ids=lambda e: e.name)
def test_a_next_link_back_to_a_page_already_read_stops_the_paging_naming_platform_edge_and_cursor(serve, edge):
    # The cursor page 1 links to, as the page cap names it when it stops right after page 1.
    honest = serve(edge.sandbox)
    with pytest.raises(PagingLoopError) as capped:
        edge.read(honest, HTTP.model_copy(update={"max_pages_per_edge": 1}))
    second_page = _cursor_named(str(capped.value))

    looping = serve(edge.sandbox, paging_loop=True)
    with pytest.raises(PagingLoopError) as failure:
        edge.read(looping, HTTP)

    text = str(failure.value)
    assert looping.calls[edge.kind] == 2  # page 1, then page 2, whose next link is page 2 again
    assert not failure.value.retryable
    assert failure.value.path.endswith(edge.path) and edge.path in text
    assert text.startswith(f"{edge.platform} ")
    assert _cursor_named(text) == second_page
    assert "the next link of page 2 points back at page 2, already read" in text
    assert "Rerun the task later" in text
    assert "access_token" not in text and "sandbox-" not in text  # the token never shows


@pytest.mark.parametrize("edge", EDGES, ids=lambda e: e.name)
def test_the_page_cap_stops_a_never_repeating_edge_at_exactly_the_ceiling(serve, edge):
    server = serve(edge.sandbox)
    with pytest.raises(PagingLoopError, match=r"page 3 still links to a next page .*max_pages_per_edge is 3"):
        edge.read(server, HTTP.model_copy(update={"max_pages_per_edge": 3}))
    assert server.calls[edge.kind] == 3


@pytest.mark.parametrize("edge", EDGES, ids=lambda e: e.name)
def test_an_edge_within_the_ceiling_is_read_to_its_end(serve, edge):
    server = serve(edge.sandbox)
    edge.read(server, HTTP)
    assert server.calls[edge.kind] > 3  # the other cases' pages are really there


def test_an_empty_page_linking_to_itself_is_asked_again_and_the_paging_goes_on(serve):
    facebook = EDGES[0]
    server = serve(facebook.sandbox)
    server.faults.add(Fault("empty_page", path="published_posts", after=1, calls=1))
    facebook.read(server, HTTP)
    assert server.calls["faults"] == 1
    assert server.calls[facebook.kind] > 3  # every real page was read after the empty one


def test_an_empty_page_linking_to_itself_for_good_stops_after_the_retries(serve):
    facebook = EDGES[0]
    server = serve(facebook.sandbox)
    server.faults.add(Fault("empty_page", path="published_posts", after=1))
    with pytest.raises(PagingLoopError, match="came back empty 3 times in a row"):
        facebook.read(server, HTTP.model_copy(update={"max_retries": 2}))
    assert server.calls[facebook.kind] == 1 and server.calls["faults"] == 3


def test_a_looping_edge_fails_the_whole_extraction_with_nothing_landed(serve, data_dir):
    server = serve("x", paging_loop=True)
    account, source = CONFIG.sources.x.accounts[0], CONFIG.sources.x.model_copy(update={"page_size": 10})
    ctx = RunContext.now(date(2026, 11, 19), "test-paging-loop")
    with pytest.raises(PagingLoopError) as failure:
        extract(x.SPEC, account, _endpoint(server.url, X_TOKEN, "2", "x"), source, CONFIG.windows, HTTP, ctx, TZ)
    assert server.calls["user_tweets"] == 2
    assert not data_dir.landing.exists() or not any(data_dir.landing.rglob("*.parquet"))
    assert not failure.value.retryable


def test_the_page_ceiling_is_a_positive_number_of_pages():
    with pytest.raises(ValueError, match="max_pages_per_edge"):
        HttpSettings(max_pages_per_edge=0)
