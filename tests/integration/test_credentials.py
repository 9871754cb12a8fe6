"""Credentials that outlive their first access token, end to end: an Airflow connection (set through
AIRFLOW_CONN_*), `nightly.connections`, the extractor, and a platform sandbox whose token endpoint
issues access tokens that die after a few requests.

"Lands everything" is checked against the same extraction with the sandbox's static token, on a
second sandbox of the same world into a second data folder."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core import storage
from core.landing import LINEAGE_FIELDS, RunContext, partition_files
from core.settings import Alerts, HttpSettings
from extractors.http import ApiEndpoint, TokenExpiredError, TokenRefreshError
from nightly.connections import endpoint_from_connection, warn_of_token_expiry
from nightly.extract import extract
from sandbox.conversions import ConversionsWorld
from sandbox.facebook import DEFAULT_TOKEN as GRAPH_TOKEN
from sandbox.ga4 import Ga4Sandbox
from sandbox.linkedin import LinkedInSandbox
from sandbox.oauth import TokenAuthority
from sandbox.youtube import YouTubeSandbox
from sources import SOURCES_BY_NAME, ga4, linkedin, youtube
from sources.config import load_config
from tests.conftest import SANDBOX_NOW

pytestmark = pytest.mark.integration

CONFIG = load_config()
TZ = CONFIG.organisation.tz
PARTITION = date(2026, 11, 19)  # the last complete day (America/Chicago) at SANDBOX_NOW
FAST = HttpSettings(backoff_base_seconds=0.001, max_backoff_seconds=0.01, usage_slowdown_seconds=0)
LINEAGE = {f.name for f in LINEAGE_FIELDS}
CLIENT_ID, CLIENT_SECRET, REFRESH = "client-123.apps", "client-secret-value", "refresh-token-value"
SERVICE_EMAIL = "pipeline@cedar-valley.iam.gserviceaccount.com"
# Each issued token dies after this many API calls: a YouTube channel's or a LinkedIn page's night
# is four calls, so its tokens die three times.
LIFETIME = 1


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _connect(monkeypatch, connection_id: str, **fields: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{connection_id.upper()}", json.dumps({"conn_type": "http", **fields}))


def _endpoint(source: str, connection_id: str) -> ApiEndpoint:
    spec = SOURCES_BY_NAME[source]
    return endpoint_from_connection(
        connection_id, spec.connection.platform, spec.connection.token_kind, spec.connection.default_api_version
    )


def _landed(source: str, entities: tuple[str, ...]) -> dict[str, list[dict]]:
    out = {}
    for entity in entities:
        rows = []
        for path in partition_files(source, entity, PARTITION):
            rows += [{k: v for k, v in r.items() if k not in LINEAGE} for r in storage.read_table(path).to_pylist()]
        out[entity] = sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))
    return out


@pytest.fixture
def started() -> Iterator[list]:
    servers: list = []
    yield servers
    for server in servers:
        server.stop()


def _extract(module, source: str, account, endpoint: ApiEndpoint) -> dict[str, int]:
    ctx = RunContext(PARTITION, f"test-{PARTITION}", SANDBOX_NOW)
    settings = SETTINGS.get(source) or getattr(CONFIG.sources, source)
    return extract(module.SPEC, account, endpoint, settings, CONFIG.windows, FAST, ctx, TZ, sleep=lambda s: None)


def _baseline(module, source, account, make, endpoint_for, entities, tmp_path, monkeypatch):
    """What the extraction lands with the sandbox's static token, and the calls it makes."""
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "static"))
    server = make()
    _extract(module, source, account, endpoint_for(server))
    return _landed(source, entities), server.total_calls


def _assert_one_refresh_per_expiry(authority: TokenAuthority, server, baseline_calls: int) -> None:
    expired = authority.calls["expired"]
    assert expired >= 2  # the night outlived its first access token, and its second
    assert authority.exchanges == 1 + expired  # one at the start, one per expiry, none more
    assert authority.calls["refused"] == 0
    # Each expiry costs exactly one rejected call, repeated once with the new token.
    assert server.total_calls == baseline_calls + expired


# -- GA4: a service account -------------------------------------------------------------------

GA4_WORLD = ConversionsWorld()
GA4_ACCOUNT = CONFIG.sources.ga4.accounts[0]
GA4_ENTITIES = ("sessions", "key_events")
# Small pages: a dozen report calls, so that tokens living two calls die several times.
SETTINGS = {"ga4": CONFIG.sources.ga4.model_copy(update={"page_size": 250})}


def _ga4_sandbox(started: list, authority: TokenAuthority | None = None) -> Ga4Sandbox:
    server = Ga4Sandbox(world=GA4_WORLD, now=SANDBOX_NOW)
    if authority is not None:
        authority.attach(server)
    started.append(server.start())
    return server


def _ga4_connection(monkeypatch, server: Ga4Sandbox, authority: TokenAuthority, key: rsa.RSAPrivateKey) -> None:
    keyfile = {
        "type": "service_account",
        "client_email": SERVICE_EMAIL,
        "private_key_id": "key-1",
        "private_key": _pem(key),
        "token_uri": authority.token_uri,
    }
    _connect(monkeypatch, GA4_ACCOUNT.connection_id, host=server.base_url, extra={"keyfile_dict": keyfile})


def test_ga4_with_a_service_account_lands_everything_through_expiring_tokens(started, tmp_path, monkeypatch):
    static = lambda server: ApiEndpoint(server.base_url, "sandbox-token-ga4", "", GA4_ACCOUNT.connection_id)  # noqa: E731
    truth, baseline_calls = _baseline(
        ga4, "ga4", GA4_ACCOUNT, lambda: _ga4_sandbox(started), static, GA4_ENTITIES, tmp_path, monkeypatch
    )
    assert baseline_calls > 10

    key = _rsa_key()
    authority = TokenAuthority("google", service_accounts={SERVICE_EMAIL: key.public_key()}, lifetime_requests=LIFETIME)
    server = _ga4_sandbox(started, authority)
    _ga4_connection(monkeypatch, server, authority, key)
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "service_account"))

    _extract(ga4, "ga4", GA4_ACCOUNT, _endpoint("ga4", GA4_ACCOUNT.connection_id))

    assert _landed("ga4", GA4_ENTITIES) == truth and truth["sessions"]
    _assert_one_refresh_per_expiry(authority, server, baseline_calls)
    assert authority.calls["urn:ietf:params:oauth:grant-type:jwt-bearer"] == authority.exchanges
    assert set(authority.scopes) == {"https://www.googleapis.com/auth/analytics.readonly"}


def test_a_service_account_key_google_does_not_know_fails_naming_the_connection(started, data_dir, monkeypatch):
    registered, other = _rsa_key(), _rsa_key()
    authority = TokenAuthority("google", service_accounts={SERVICE_EMAIL: registered.public_key()})
    server = _ga4_sandbox(started, authority)
    _ga4_connection(monkeypatch, server, authority, other)

    with pytest.raises(TokenRefreshError) as caught:
        _extract(ga4, "ga4", GA4_ACCOUNT, _endpoint("ga4", GA4_ACCOUNT.connection_id))

    message = str(caught.value)
    assert f"Re-authorise connection {GA4_ACCOUNT.connection_id}" in message
    assert "Invalid JWT Signature" in message and SERVICE_EMAIL in message
    assert "PRIVATE KEY" not in message
    assert server.total_calls == 0 and not any(data_dir.landing.rglob("*.parquet"))


# -- YouTube: an OAuth refresh token ----------------------------------------------------------

YT_ACCOUNT = CONFIG.sources.youtube.accounts[0]
YT_ENTITIES = ("channels", "videos", "video_snapshots", "channel_daily")


def _youtube_sandbox(started: list, authority: TokenAuthority | None = None) -> YouTubeSandbox:
    server = YouTubeSandbox(now=SANDBOX_NOW)
    if authority is not None:
        authority.attach(server)
    started.append(server.start())
    return server


def _youtube_connection(monkeypatch, server: YouTubeSandbox, authority: TokenAuthority, refresh: str) -> None:
    extra = {
        "api_version": "v3",
        "analytics_base_url": server.url,  # both APIs on the sandbox's one port
        "refresh_token": refresh,
        "token_uri": authority.token_uri,
    }
    _connect(
        monkeypatch, YT_ACCOUNT.connection_id, host=server.url, login=CLIENT_ID, password=CLIENT_SECRET, extra=extra
    )


def _google_clients(**kwargs: object) -> TokenAuthority:
    return TokenAuthority("google", clients={CLIENT_ID: CLIENT_SECRET}, refresh_tokens={REFRESH: CLIENT_ID}, **kwargs)


def test_youtube_with_a_refresh_token_lands_everything_through_expiring_tokens(started, tmp_path, monkeypatch):
    static = lambda server: ApiEndpoint(  # noqa: E731
        server.url, "sandbox-token-youtube", "v3", YT_ACCOUNT.connection_id, extra={"analytics_base_url": server.url}
    )
    truth, baseline_calls = _baseline(
        youtube, "youtube", YT_ACCOUNT, lambda: _youtube_sandbox(started), static, YT_ENTITIES, tmp_path, monkeypatch
    )
    authority = _google_clients(lifetime_requests=LIFETIME)
    server = _youtube_sandbox(started, authority)
    _youtube_connection(monkeypatch, server, authority, REFRESH)
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "refresh_token"))

    _extract(youtube, "youtube", YT_ACCOUNT, _endpoint("youtube", YT_ACCOUNT.connection_id))

    assert _landed("youtube", YT_ENTITIES) == truth and truth["videos"]
    # The Data and Analytics clients share the connection's credentials: one refresh serves both.
    _assert_one_refresh_per_expiry(authority, server, baseline_calls)
    assert authority.calls["refresh_token"] == authority.exchanges


def test_a_revoked_refresh_token_fails_naming_the_connection_and_the_fix(started, data_dir, monkeypatch, caplog):
    authority = _google_clients()
    server = _youtube_sandbox(started, authority)
    _youtube_connection(monkeypatch, server, authority, "refresh-token-revoked-by-the-user")

    with caplog.at_level(logging.DEBUG), pytest.raises(TokenExpiredError) as caught:
        _extract(youtube, "youtube", YT_ACCOUNT, _endpoint("youtube", YT_ACCOUNT.connection_id))

    message = str(caught.value)
    assert isinstance(caught.value, TokenRefreshError)
    assert f"Airflow connection '{YT_ACCOUNT.connection_id}'" in message and "invalid_grant" in message
    assert f"Re-authorise connection {YT_ACCOUNT.connection_id}" in message and "refresh_token" in message
    for secret in ("refresh-token-revoked-by-the-user", CLIENT_SECRET):
        assert secret not in message and secret not in caplog.text
    assert authority.calls["refused"] == 1  # refused once, not asked again
    assert server.total_calls == 0 and not any(data_dir.landing.rglob("*.parquet"))


# -- LinkedIn: an OAuth refresh token ---------------------------------------------------------

LI_SOURCE = CONFIG.sources.linkedin
LI_ACCOUNT = LI_SOURCE.accounts[0]
LI_ENTITIES = ("organization_daily", "network_sizes", "posts")


def _linkedin_sandbox(started: list, authority: TokenAuthority | None = None) -> LinkedInSandbox:
    server = LinkedInSandbox(now=SANDBOX_NOW)
    if authority is not None:
        authority.attach(server)
    started.append(server.start())
    return server


def test_linkedin_with_a_refresh_token_lands_everything_through_expiring_tokens(started, tmp_path, monkeypatch):
    static = lambda server: ApiEndpoint(  # noqa: E731
        server.base_url, "sandbox-token-linkedin", LI_SOURCE.api_version, LI_ACCOUNT.connection_id
    )
    truth, baseline_calls = _baseline(
        linkedin, "linkedin", LI_ACCOUNT, lambda: _linkedin_sandbox(started), static, LI_ENTITIES, tmp_path, monkeypatch
    )
    authority = TokenAuthority(
        "linkedin", clients={CLIENT_ID: CLIENT_SECRET}, refresh_tokens={REFRESH: CLIENT_ID}, lifetime_requests=LIFETIME
    )
    server = _linkedin_sandbox(started, authority)
    extra = {"refresh_token": REFRESH, "token_uri": authority.token_uri}
    _connect(
        monkeypatch,
        LI_ACCOUNT.connection_id,
        host=server.base_url,
        login=CLIENT_ID,
        password=CLIENT_SECRET,
        extra=extra,
    )
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "refresh_token"))

    _extract(linkedin, "linkedin", LI_ACCOUNT, _endpoint("linkedin", LI_ACCOUNT.connection_id))

    assert _landed("linkedin", LI_ENTITIES) == truth and truth["posts"]
    _assert_one_refresh_per_expiry(authority, server, baseline_calls)


# -- Meta: a long-lived token's expiry, days ahead --------------------------------------------


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's naming)
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook(monkeypatch) -> Iterator[list[dict]]:
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(
        "AIRFLOW_CONN_TOKEN_WEBHOOK",
        json.dumps({"conn_type": "http", "host": f"http://127.0.0.1:{server.server_port}/hooks/tokens"}),
    )
    _Webhook.received = []
    yield _Webhook.received
    server.shutdown()
    server.server_close()


FB_ACCOUNT = CONFIG.sources.facebook_pages.accounts[0]
ALERTS = Alerts(webhook_conn_id="token_webhook")


@pytest.mark.parametrize("days_left", [3, 30])
def test_a_meta_token_that_dies_within_the_warning_days_is_announced(
    make_sandbox, webhook, monkeypatch, caplog, days_left
):
    graph = make_sandbox()
    expires_at = SANDBOX_NOW + timedelta(days=days_left)
    graph.oauth.expiries[GRAPH_TOKEN] = (int(expires_at.timestamp()), 0)
    extra = {"api_version": "v24.0"}
    _connect(monkeypatch, FB_ACCOUNT.connection_id, host=graph.url, password=GRAPH_TOKEN, extra=extra)
    endpoint = _endpoint("facebook_pages", FB_ACCOUNT.connection_id)
    assert FAST.token_expiry_warning_days == 7  # the default

    with caplog.at_level(logging.WARNING, logger="nightly.connections"):
        warning = warn_of_token_expiry(endpoint, FAST, ALERTS, "run-1", "extract_facebook_pages", now=SANDBOX_NOW)

    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert graph.oauth.calls["debug_token"] == 1
    if days_left == 30:
        assert warning is None and warned == [] and webhook == []
        return
    assert warning is not None
    assert f"Airflow connection '{FB_ACCOUNT.connection_id}'" in warning
    assert f"expires on {expires_at:%Y-%m-%d}" in warning and "in 3 days" in warning
    assert warned == [warning]
    assert len(webhook) == 1 and FB_ACCOUNT.connection_id in webhook[0]["text"]
    assert GRAPH_TOKEN not in warning and GRAPH_TOKEN not in json.dumps(webhook)
