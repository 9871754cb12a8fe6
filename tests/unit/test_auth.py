"""Credentials (extractors/auth.py) and their resolution from a connection (nightly/connections.py).

The JWT is checked with the public half of a key generated here; the token exchanges run against the
sandbox's token endpoint (sandbox/oauth.py) over real HTTP, with the credentials' clock injected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.settings import HttpSettings
from extractors.auth import (
    GOOGLE_TOKEN_URI,
    LINKEDIN_TOKEN_URI,
    REFRESH_MARGIN_SECONDS,
    GoogleServiceAccount,
    RefreshToken,
    TokenLifetime,
    expiry_warning,
)
from extractors.http import ApiClient, ApiEndpoint, StaticToken, TokenRefreshError, TransientError
from nightly.connections import ConnectionConfigError, credentials_from_connection, endpoint_from_connection
from sandbox.faults import Fault
from sandbox.ga4 import PROPERTY_ID, Ga4Sandbox
from sandbox.oauth import TokenAuthority

EMAIL = "pipeline@cedar-valley.iam.gserviceaccount.com"
SCOPES = ("https://www.googleapis.com/auth/analytics.readonly",)
T0 = 1_790_000_000.0
# The claims are checked as of the injected clock's T0, not today: PyJWT's own time checks are off.
AT_T0 = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _keyfile(key: rsa.RSAPrivateKey, **fields: str) -> dict[str, str]:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    keyfile = {"type": "service_account", "client_email": EMAIL, "private_key_id": "kid-7", "private_key": pem.decode()}
    return keyfile | fields


# -- the JWT ----------------------------------------------------------------------------------


def test_the_assertion_carries_googles_claims_signed_with_the_service_account_key(key):
    account = GoogleServiceAccount(_keyfile(key), SCOPES, "ga4_main", "GA4 Data API", clock=Clock())

    assertion = account.assertion()

    claims = jwt.decode(assertion, key.public_key(), algorithms=["RS256"], audience=GOOGLE_TOKEN_URI, options=AT_T0)
    assert claims == {
        "iss": EMAIL,
        "scope": SCOPES[0],
        "aud": GOOGLE_TOKEN_URI,
        "iat": int(T0),
        "exp": int(T0) + 3600,
    }
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS256" and header["kid"] == "kid-7"
    assert account.grant() == {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}


def test_the_signature_does_not_verify_with_another_key(key):
    assertion = GoogleServiceAccount(_keyfile(key), SCOPES, "ga4_main", "GA4 Data API").assertion()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(assertion, other.public_key(), algorithms=["RS256"], audience=GOOGLE_TOKEN_URI, options=AT_T0)


def test_scopes_join_with_spaces_and_the_audience_is_the_token_endpoint_used(key):
    scopes = (
        "https://www.googleapis.com/auth/youtube.readonly",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
    )
    from_key = GoogleServiceAccount(_keyfile(key, token_uri="https://key.example/token"), scopes, "c", "p")
    overridden = GoogleServiceAccount(
        _keyfile(key, token_uri="https://key.example/token"), scopes, "c", "p", "https://sandbox.example/token"
    )

    for account, audience in ((from_key, "https://key.example/token"), (overridden, "https://sandbox.example/token")):
        claims = jwt.decode(
            account.assertion(), key.public_key(), algorithms=["RS256"], audience=audience, options=AT_T0
        )
        assert claims["scope"] == " ".join(scopes)
        assert account.token_uri == audience


def test_delegation_adds_the_subject(key):
    account = GoogleServiceAccount(_keyfile(key), SCOPES, "c", "p", subject="analyst@cedarvalleyhealth.org")

    claims = jwt.decode(
        account.assertion(), key.public_key(), algorithms=["RS256"], audience=GOOGLE_TOKEN_URI, options=AT_T0
    )

    assert claims["sub"] == "analyst@cedarvalleyhealth.org"


# -- exchanges against the sandbox's token endpoint --------------------------------------------

CLIENT, SECRET, REFRESH = "client-1", "client-secret-1", "refresh-token-1"
REPORT = {
    "dateRanges": [{"startDate": "2026-11-01", "endDate": "2026-11-02"}],
    "dimensions": [{"name": "date"}],
    "metrics": [{"name": "sessions"}],
}


@pytest.fixture
def google() -> Iterator[tuple[Ga4Sandbox, TokenAuthority]]:
    authority = TokenAuthority("google", clients={CLIENT: SECRET}, refresh_tokens={REFRESH: CLIENT})
    server = Ga4Sandbox(now=datetime(2026, 11, 20, 12, tzinfo=UTC))
    authority.attach(server)
    server.start()
    yield server, authority
    server.stop()


def _refreshing(authority: TokenAuthority, clock: Clock, refresh: str = REFRESH) -> RefreshToken:
    return RefreshToken(CLIENT, SECRET, refresh, "ga4_main", "GA4 Data API", authority.token_uri, clock=clock)


def test_a_token_is_kept_until_it_nears_expires_in_then_renewed(google):
    server, authority = google
    clock = Clock()
    credentials = _refreshing(authority, clock)

    first = credentials.access_token()
    clock.now += 3600 - REFRESH_MARGIN_SECONDS - 1
    assert credentials.access_token() == first
    clock.now += 1
    second = credentials.access_token()

    assert second != first and first in server.valid_tokens and second in server.valid_tokens
    assert credentials.exchanges == authority.calls["refresh_token"] == 2


def test_invalidate_fetches_a_new_token_on_the_next_use(google):
    _, authority = google
    credentials = _refreshing(authority, Clock())
    first = credentials.access_token()

    assert credentials.invalidate() is True
    assert credentials.access_token() != first
    assert StaticToken("pasted").invalidate() is False


def test_a_refused_refresh_token_raises_with_the_fix_and_without_the_secrets(google):
    _, authority = google
    credentials = _refreshing(authority, Clock(), refresh="refresh-token-revoked")

    with pytest.raises(TokenRefreshError) as caught:
        credentials.access_token()

    message = str(caught.value)
    assert "Airflow connection 'ga4_main'" in message and "invalid_grant" in message
    assert "Re-authorise connection ga4_main" in message and CLIENT in message
    assert "refresh-token-revoked" not in message and SECRET not in message
    assert caught.value.retryable is False


def test_a_token_endpoint_hiccup_is_retried_by_the_shared_loop(google):
    server, authority = google
    server.faults.add(Fault("server_error", path="^/token$", calls=2))
    credentials = _refreshing(authority, Clock())
    endpoint = ApiEndpoint(server.base_url, "", "v1beta", "ga4_main", credentials=credentials)
    fast = HttpSettings(backoff_base_seconds=0, max_backoff_seconds=0)

    with pytest.raises(TransientError):
        credentials.access_token()  # the 502 itself: retryable, not a refusal
    with ApiClient(endpoint, fast, sleep=lambda s: None) as client:
        body = client.request("POST", f"/v1beta/properties/{PROPERTY_ID}:runReport", json_body=REPORT)

    assert body["rowCount"] > 0 and credentials.exchanges == 1
    assert server.calls["run_report"] == 1  # the report itself was asked once, with the token
    assert server.faults.hits["server_error"] == 2  # the second 502 came inside the request, which retried


# -- a connection's credentials ----------------------------------------------------------------


def test_a_service_account_from_keyfile_dict_or_key_path(key, tmp_path):
    path = tmp_path / "key.json"
    path.write_text(json.dumps(_keyfile(key)))

    for extra in (
        {"keyfile_dict": _keyfile(key)},
        {"keyfile_dict": json.dumps(_keyfile(key))},
        {"key_path": str(path)},
    ):
        credentials = credentials_from_connection("ga4_main", "GA4 Data API", "token", "", "", extra)
        assert isinstance(credentials, GoogleServiceAccount)
        assert credentials.client_email == EMAIL and credentials.scopes == SCOPES
        assert credentials.token_uri == GOOGLE_TOKEN_URI


def test_refresh_tokens_default_to_the_platforms_token_endpoint():
    google = credentials_from_connection("yt", "YouTube Data API", "t", CLIENT, SECRET, {"refresh_token": REFRESH})
    linkedin = credentials_from_connection("li", "LinkedIn API", "t", CLIENT, SECRET, {"refresh_token": REFRESH})
    sandbox = credentials_from_connection(
        "li", "LinkedIn API", "t", CLIENT, SECRET, {"refresh_token": REFRESH, "token_uri": "http://127.0.0.1:1/t"}
    )

    assert isinstance(google, RefreshToken) and google.token_uri == GOOGLE_TOKEN_URI
    assert isinstance(linkedin, RefreshToken) and linkedin.token_uri == LINKEDIN_TOKEN_URI
    assert sandbox.token_uri == "http://127.0.0.1:1/t"
    assert isinstance(credentials_from_connection("fb", "Facebook Graph API", "t", "", "page-token", {}), StaticToken)


@pytest.mark.parametrize(
    ("login", "password", "extra", "says"),
    [
        ("", SECRET, {"refresh_token": REFRESH}, "client id as login"),
        (CLIENT, SECRET, {"refresh_token": REFRESH}, "token_uri"),  # X has no default token endpoint
        ("", "", {}, "needs a password"),
        ("", "", {"keyfile_dict": "not json"}, "not a JSON object"),
        ("", "", {"key_path": "/nonexistent/key.json"}, "cannot read the key file"),
        ("", "", {"keyfile_dict": {"client_email": EMAIL}, "scopes": SCOPES[0]}, "has no private_key"),
        ("", "", {"keyfile_dict": {"client_email": EMAIL, "private_key": "k"}}, "no `scopes`"),
    ],
)
def test_incomplete_connections_say_what_is_missing(login, password, extra, says):
    with pytest.raises(ConnectionConfigError, match=says) as caught:
        credentials_from_connection("x_main", "X API v2", "app-only Bearer token", login, password, extra)

    assert "x_main" in str(caught.value)


def test_credential_extras_stay_out_of_the_endpoints_extra(monkeypatch):
    extra = {"api_version": "v3", "analytics_base_url": "http://a", "refresh_token": REFRESH, "token_uri": "http://t"}
    connection = {"conn_type": "http", "host": "http://h", "login": CLIENT, "password": SECRET, "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_YT_MAIN", json.dumps(connection))

    endpoint = endpoint_from_connection("yt_main", "YouTube Data API", "OAuth access token")

    assert dict(endpoint.extra) == {"analytics_base_url": "http://a"}
    assert isinstance(endpoint.credentials, RefreshToken) and endpoint.api_version == "v3"
    assert REFRESH not in repr(endpoint) and SECRET not in repr(endpoint)


# -- a Meta token's lifetime -------------------------------------------------------------------

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_expiry_warnings_look_the_configured_days_ahead():
    def lifetime(days: float | None, data_days: float | None = None, valid: bool = True) -> TokenLifetime:
        at = None if days is None else NOW + timedelta(days=days)
        data = None if data_days is None else NOW + timedelta(days=data_days)
        return TokenLifetime(valid, at, data)

    assert expiry_warning(lifetime(None), "fb", "Page token", NOW, 7) is None
    assert expiry_warning(lifetime(7.5), "fb", "Page token", NOW, 7) is None
    soon = expiry_warning(lifetime(6), "fb", "Page token", NOW, 7)
    assert soon is not None and "expires on 2026-11-26" in soon and "in 6 days" in soon
    data = expiry_warning(lifetime(None, data_days=2), "fb", "Page token", NOW, 7)
    assert data is not None and "loses data access on 2026-11-22" in data
    dead = expiry_warning(lifetime(None, valid=False), "fb", "Page token", NOW, 7)
    assert dead is not None and "no longer valid" in dead and "connection fb" in dead
