"""Access tokens that stay valid for a whole night: what an `ApiClient` authenticates with.

A Google or LinkedIn access token lives an hour (Google) or 60 days (LinkedIn); what a deployment
keeps in its Airflow connection is what mints new ones:

- `StaticToken`: a token pasted into the connection (a Meta long-lived Page token, X's app-only
  Bearer token). Nothing can renew it; `graph_token_lifetime` reads when a Meta token dies, so the
  data engineers hear of it days ahead instead of on the night it fails.
- `GoogleServiceAccount`: a service-account key. A JWT with the key's `client_email` as issuer is
  signed with its private key (RS256) and exchanged at Google's token endpoint (grant type
  `urn:ietf:params:oauth:grant-type:jwt-bearer`).
- `RefreshToken`: a client id and secret with an OAuth refresh token (Google, LinkedIn), exchanged
  with `grant_type=refresh_token`.

Each gives `access_token()`, fetched when there is none or when the one held is within
`REFRESH_MARGIN_SECONDS` of its `expires_in`, and `invalidate()`, which forgets it after the
platform rejected it mid-run and says whether a new one can be fetched (`ApiClient` then repeats
the request once). Credentials are a requests auth hook: the session asks them for the token on
every request, so a refresh reaches every client that shares them (YouTube's Data and Analytics
clients do). A token endpoint that refuses the grant (invalid_grant: a revoked refresh token, a
deleted key) raises `TokenRefreshError`, naming the connection to re-authorise.

No token, refresh token, client secret or key ever goes into a log line, a URL or an error message:
the token endpoint gets them in a POST body, the APIs in the Authorization header."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
import requests

from extractors.http import Credentials, TokenRefreshError, TransientError

logger = logging.getLogger(__name__)

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
LINKEDIN_TOKEN_URI = "https://www.linkedin.com/oauth/v2/accessToken"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Google accepts assertions valid for at most an hour.
ASSERTION_LIFETIME_SECONDS = 3600
# A token this close to its expiry is renewed before use: a report call can take a while, and a
# token that dies on the way costs a rejected call and a retry.
REFRESH_MARGIN_SECONDS = 120
# What Google grants when a token endpoint says nothing about the lifetime.
DEFAULT_EXPIRES_IN = 3600
TOKEN_ENDPOINT_TIMEOUT_SECONDS = 30.0

Clock = Callable[[], float]


class _ExchangedToken(Credentials):
    """An access token from an OAuth token endpoint, held until shortly before it expires."""

    # Named in messages: which kind of credential the connection holds.
    KIND = "credential"

    def __init__(self, connection_id: str, token_uri: str, platform: str, clock: Clock = time.time) -> None:
        self.connection_id = connection_id
        self.token_uri = token_uri
        self.platform = platform
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        # Access tokens fetched so far: once at the start of a night, once per expiry after it.
        self.exchanges = 0

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - REFRESH_MARGIN_SECONDS:
                self._token, self._expires_at = self._exchange()
            return self._token

    def invalidate(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def rejected_advice(self, token_kind: str) -> str:
        return f"a freshly issued access token was rejected too: {self.fix()}"

    # -- to implement -------------------------------------------------------------------------

    def grant(self) -> dict[str, str]:
        """The form fields of one token request."""
        raise NotImplementedError

    def fix(self) -> str:
        """What a person does when the token endpoint refuses the grant."""
        raise NotImplementedError

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be repeated in a message, even if a token endpoint echoes them."""
        return ()

    # -- the exchange -------------------------------------------------------------------------

    def _exchange(self) -> tuple[str, float]:
        where = f"{self.platform} token endpoint for Airflow connection '{self.connection_id}'"
        try:
            response = requests.post(
                self.token_uri,
                data=self.grant(),
                headers={"Accept": "application/json"},
                timeout=TOKEN_ENDPOINT_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            # The exception's own text is left out: it can quote the request.
            raise TransientError(
                f"{where}: {type(exc).__name__} calling {self.token_uri}", path=self.token_uri
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransientError(
                f"{where}: HTTP {status} from {self.token_uri}", path=self.token_uri, http_status=status
            )
        token = body.get("access_token")
        if status != 200 or not isinstance(token, str) or not token:
            error = str(body.get("error") or f"HTTP {status}")
            description = self._scrubbed(str(body.get("error_description") or body.get("message") or "no description"))
            raise TokenRefreshError(
                f"{where} refused to issue an access token ({error}: {description}). Re-authorise connection "
                f"{self.connection_id}: {self.fix()}",
                message=f"{error}: {description}",
                code=error,
                path=self.token_uri,
                http_status=status,
            )
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else DEFAULT_EXPIRES_IN
        self.exchanges += 1
        self._adopt(body)
        logger.info(
            "%s: new access token for Airflow connection '%s' (%s, valid %d s)",
            self.platform,
            self.connection_id,
            self.KIND,
            lifetime,
        )
        return token, self._clock() + lifetime

    def _adopt(self, body: Mapping[str, Any]) -> None:
        """Keep what a token answer hands back besides the access token (a rotated refresh token)."""

    def _scrubbed(self, text: str) -> str:
        for secret in self.secrets():
            if secret:
                text = text.replace(secret, "[redacted]")
        return text[:300]


class GoogleServiceAccount(_ExchangedToken):
    """A Google service-account key: a signed JWT exchanged for an access token (no person involved)."""

    KIND = "service account"

    def __init__(
        self,
        key: Mapping[str, Any],
        scopes: Sequence[str],
        connection_id: str,
        platform: str,
        token_uri: str | None = None,
        subject: str | None = None,
        clock: Clock = time.time,
    ) -> None:
        missing = [name for name in ("client_email", "private_key") if not key.get(name)]
        if missing:
            raise ValueError(
                f"the service-account key of Airflow connection '{connection_id}' has no {' or '.join(missing)}: "
                "put the whole JSON key file downloaded from the Google Cloud console in the connection"
            )
        uri = token_uri or str(key.get("token_uri") or GOOGLE_TOKEN_URI)
        super().__init__(connection_id, uri, platform, clock)
        self.client_email = str(key["client_email"])
        self.scopes = tuple(scopes)
        self.subject = subject
        self._private_key = str(key["private_key"])
        self._key_id = str(key.get("private_key_id") or "") or None

    def assertion(self) -> str:
        """The signed JWT Google's token endpoint exchanges for an access token."""
        issued = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self.client_email,
            "scope": " ".join(self.scopes),
            "aud": self.token_uri,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME_SECONDS,
        }
        if self.subject:
            claims["sub"] = self.subject  # domain-wide delegation: act as this user
        headers = {"kid": self._key_id} if self._key_id else None
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers=headers)

    def grant(self) -> dict[str, str]:
        return {"grant_type": JWT_BEARER_GRANT, "assertion": self.assertion()}

    def fix(self) -> str:
        return (
            f"check that service account {self.client_email} and its key still exist (Google Cloud console > IAM > "
            "Service accounts); if the key was deleted or disabled, create a new JSON key and put it in the "
            "connection's extra (keyfile_dict, or key_path on the workers)."
        )

    def secrets(self) -> tuple[str, ...]:
        return (self._private_key,)


class RefreshToken(_ExchangedToken):
    """An OAuth client (id and secret) with a refresh token a person granted once."""

    KIND = "refresh token"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        connection_id: str,
        platform: str,
        token_uri: str,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(connection_id, token_uri, platform, clock)
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token

    def grant(self) -> dict[str, str]:
        return {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }

    def fix(self) -> str:
        return (
            f"the refresh token was revoked or has expired (LinkedIn's last 365 days, Google's end when the user "
            f"revokes access or the consent screen is in testing). Authorise the app (client id {self.client_id}) "
            f"again and put the new refresh token in the extra `refresh_token` of connection {self.connection_id}; "
            "if the client secret was rotated, update the connection's password too."
        )

    def secrets(self) -> tuple[str, ...]:
        return (self._refresh_token, self._client_secret)

    def _adopt(self, body: Mapping[str, Any]) -> None:
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != self._refresh_token:
            self._refresh_token = rotated
            logger.warning(
                "%s issued a new refresh token for Airflow connection '%s': it is used for the rest of this run; "
                "the one in the connection keeps working until it expires",
                self.platform,
                self.connection_id,
            )


# -- Meta: when does a long-lived token die? --------------------------------------------------


@dataclass(frozen=True)
class TokenLifetime:
    """What the Graph API's debug_token says of a token. None: never expires (Graph's 0)."""

    is_valid: bool
    expires_at: datetime | None
    data_access_expires_at: datetime | None

    def dies_at(self) -> datetime | None:
        """The earlier of the token's expiry and the end of its data access."""
        moments = [m for m in (self.expires_at, self.data_access_expires_at) if m is not None]
        return min(moments, default=None)


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def graph_token_lifetime(
    base_url: str, api_version: str, token: str, connection_id: str, timeout_seconds: float
) -> TokenLifetime:
    """`GET /{version}/debug_token?input_token=…` with the token inspecting itself (a Page token may).

    The Graph API takes the token to inspect only as the `input_token` query parameter, so this one
    call carries it in its URL; nothing here repeats that URL."""
    path = f"/{api_version}/debug_token" if api_version else "/debug_token"
    where = f"Graph API debug_token for Airflow connection '{connection_id}'"
    try:
        response = requests.get(
            base_url.rstrip("/") + path,
            params={"input_token": token},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout_seconds,
        )
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise TransientError(f"{where}: {type(exc).__name__}", path=path) from None
    data = body.get("data") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(data, dict):
        error = body.get("error") if isinstance(body, dict) else None
        message = str(error.get("message")) if isinstance(error, dict) else f"HTTP {response.status_code}"
        raise TransientError(f"{where}: {message.replace(token, '[redacted]')[:300]}", path=path)
    return TokenLifetime(
        is_valid=data.get("is_valid") is True,
        expires_at=_epoch(data.get("expires_at")),
        data_access_expires_at=_epoch(data.get("data_access_expires_at")),
    )


def expiry_warning(
    lifetime: TokenLifetime, connection_id: str, token_kind: str, now: datetime, days: int
) -> str | None:
    """The warning to send when the token is invalid or dies within `days` of `now`; None when it lives on."""
    if not lifetime.is_valid:
        return (
            f"The {token_kind} of Airflow connection '{connection_id}' is no longer valid (debug_token is_valid "
            f"false): generate a new long-lived {token_kind} and update connection {connection_id}."
        )
    dies = lifetime.dies_at()
    if dies is None or (dies - now).total_seconds() > days * 86400:
        return None
    what = "expires" if dies == lifetime.expires_at else "loses data access"
    left = max(0, (dies - now).days)
    return (
        f"The {token_kind} of Airflow connection '{connection_id}' {what} on {dies:%Y-%m-%d %H:%M} UTC "
        f"(in {left} day{'s' if left != 1 else ''}): generate a new long-lived {token_kind} and update connection "
        f"{connection_id} before then, or the extraction fails from that night on."
    )
