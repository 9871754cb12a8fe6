"""Token endpoints and expiring access tokens for the platform sandboxes.

A `TokenAuthority` attached to a platform sandbox (`authority.attach(sandbox)`) answers that
platform's token endpoint on the sandbox's own port and makes the access tokens it issues die:

- style "google" (GA4, YouTube): `POST /token`, the counterpart of
  https://oauth2.googleapis.com/token, for both grants: `refresh_token` (a client id and secret
  from `clients`, a refresh token from `refresh_tokens`) and
  `urn:ietf:params:oauth:grant-type:jwt-bearer`, whose assertion must be an RS256 JWT signed by a
  key in `service_accounts` (client_email -> public key), with `aud` this endpoint, `iss` the
  service account, a `scope`, and at most an hour between `iat` and `exp`. A sandbox on a fixed
  clock (`now=`) checks only that hour, as its clients run on the real one.
- style "linkedin": `POST /oauth/v2/accessToken`, the counterpart of
  https://www.linkedin.com/oauth/v2/accessToken, for `grant_type=refresh_token`.

An issued token joins the sandbox's `valid_tokens`; it dies after `lifetime_requests` API calls
carrying it (0: never) or `lifetime_seconds` of the sandbox's clock, whichever comes first, and is
then answered as the platform answers an expired token (the sandbox's own `expire_token`, else
`revoke_token`: Google's 401 UNAUTHENTICATED, LinkedIn's 401 EXPIRED_ACCESS_TOKEN). Tests let
tokens die after N requests, never on the wall clock.

`GraphTokenInfo` answers the Graph API's `GET /{version}/debug_token?input_token=…` from
`expiries` (token -> expires_at, data_access_expires_at as epoch seconds; 0 = never), every other
valid token never expiring.

Token-endpoint and debug_token calls are counted in the authority's own `calls`, not the platform's,
so extraction call budgets stay what they were."""

from __future__ import annotations

import base64
import re
import secrets
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import jwt

from sandbox.base import PlatformSandbox, Reply, json_reply

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATHS = {"google": "/token", "linkedin": "/oauth/v2/accessToken"}
ASSERTION_MAX_SECONDS = 3600
LINKEDIN_REFRESH_LIFETIME_SECONDS = 365 * 86400


@dataclass
class _Issued:
    issued_at: datetime
    uses: int = 0


class TokenAuthority:
    """One platform's OAuth token endpoint and the lifetimes of the tokens it issues."""

    def __init__(
        self,
        style: str,
        clients: Mapping[str, str] | None = None,
        refresh_tokens: Mapping[str, str] | None = None,
        service_accounts: Mapping[str, Any] | None = None,
        lifetime_seconds: int = 3600,
        lifetime_requests: int = 0,
    ) -> None:
        if style not in TOKEN_PATHS:
            raise ValueError(f"unknown token endpoint style {style!r}; known: {', '.join(TOKEN_PATHS)}")
        self.style = style
        self.token_path = TOKEN_PATHS[style]
        self.clients = dict(clients or {})  # client id -> client secret
        self.refresh_tokens = dict(refresh_tokens or {})  # refresh token -> client id
        self.service_accounts = dict(service_accounts or {})  # client_email -> public key
        self.lifetime_seconds = lifetime_seconds
        self.lifetime_requests = lifetime_requests
        self.calls: Counter[str] = Counter()  # token requests by grant, "expired" tokens
        self.scopes: list[str] = []  # the scope of every jwt-bearer grant, in order
        self._issued: dict[str, _Issued] = {}
        self._lock = threading.Lock()
        self.server: PlatformSandbox | None = None

    def attach(self, server: PlatformSandbox) -> PlatformSandbox:
        server.oauth = self
        self.server = server
        return server

    @property
    def token_uri(self) -> str:
        """What a connection's extra `token_uri` is set to."""
        assert self.server is not None, "attach the authority to a sandbox first"
        return self.server.url + self.token_path

    @property
    def exchanges(self) -> int:
        """Access tokens issued."""
        return sum(n for grant, n in self.calls.items() if grant not in ("expired", "refused"))

    # -- requests -----------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply | None:
        if path == self.token_path:
            return self._token_request(method, headers, body)
        self._use(headers)
        return None

    def _use(self, headers: dict[str, str]) -> None:
        """Count one API call carrying an issued token; past its lifetime, the platform expires it."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        server = self.server
        if scheme.lower() != "bearer" or server is None:
            return
        with self._lock:
            issued = self._issued.get(token)
            if issued is None:
                return
            issued.uses += 1
            too_old = (server.now() - issued.issued_at).total_seconds() >= self.lifetime_seconds
            if not too_old and not (0 < self.lifetime_requests < issued.uses):
                return
            del self._issued[token]
            self.calls["expired"] += 1
        expire = getattr(server, "expire_token", None) or server.revoke_token
        expire(token)

    def _token_request(self, method: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "POST":
            return self._refused(405, "invalid_request", "The token endpoint takes POST requests only.")
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        grant = form.get("grant_type", "")
        if grant == "refresh_token":
            refused = self._check_refresh(form, headers)
        elif grant == JWT_BEARER_GRANT and self.style == "google":
            refused = self._check_assertion(form.get("assertion", ""))
        else:
            refused = self._refused(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
        if refused is not None:
            return refused
        return self._issue(grant)

    def _check_refresh(self, form: dict[str, str], headers: dict[str, str]) -> Reply | None:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, basic = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            client_id, _, client_secret = base64.b64decode(basic.strip()).decode().partition(":")
        if self.clients.get(client_id) != client_secret or not client_id:
            if self.style == "linkedin":
                return self._refused(401, "invalid_client", "Client authentication failed")
            return self._refused(401, "invalid_client", "The OAuth client was not found.")
        if self.refresh_tokens.get(form.get("refresh_token", "")) != client_id:
            if self.style == "linkedin":
                return self._refused(
                    400,
                    "invalid_request",
                    "The provided authorization grant or refresh token is invalid, expired or revoked",
                )
            return self._refused(400, "invalid_grant", "Token has been expired or revoked.")
        return None

    def _check_assertion(self, assertion: str) -> Reply | None:
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return self._refused(400, "invalid_grant", "Invalid JWT: the assertion is not a JWT.")
        public_key = self.service_accounts.get(str(issuer))
        if public_key is None:
            return self._refused(400, "invalid_grant", "Invalid grant: account not found")
        try:
            claims = jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256"],
                audience=self.token_uri,
                options={"require": ["iss", "aud", "iat", "exp"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            return self._refused(400, "invalid_grant", "Invalid JWT Signature.")
        except jwt.PyJWTError as exc:
            return self._refused(400, "invalid_grant", f"Invalid JWT: {exc}")
        short_lived = 0 < claims["exp"] - claims["iat"] <= ASSERTION_MAX_SECONDS
        server = self.server
        if server is not None and server.fixed_now is None:
            now = server.now().timestamp()
            short_lived = short_lived and claims["iat"] - 60 <= now <= claims["exp"]
        if not short_lived:
            return self._refused(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check "
                "your iat and exp values in the JWT claim.",
            )
        if not str(claims.get("scope") or "").strip():
            return self._refused(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        with self._lock:
            self.scopes.append(str(claims["scope"]))
        return None

    def _issue(self, grant: str) -> Reply:
        server = self.server
        assert server is not None
        token = f"sandbox-issued-{secrets.token_urlsafe(16)}"
        with self._lock:
            self._issued[token] = _Issued(server.now())
            self.calls[grant] += 1
        server.valid_tokens.add(token)
        answer: dict[str, Any] = {"access_token": token, "expires_in": self.lifetime_seconds}
        if self.style == "google":
            answer["token_type"] = "Bearer"
        else:
            answer["refresh_token_expires_in"] = LINKEDIN_REFRESH_LIFETIME_SECONDS
        return json_reply(200, answer, {"Cache-Control": "no-store"})

    def _refused(self, status: int, error: str, description: str) -> Reply:
        with self._lock:
            self.calls["refused"] += 1
        return json_reply(status, {"error": error, "error_description": description})


_DEBUG_TOKEN = re.compile(r"^(?:/v\d+\.\d+)?/debug_token/?$")


class GraphTokenInfo:
    """The Graph API's debug_token for a Graph sandbox; see the module docstring."""

    def __init__(self, expiries: Mapping[str, tuple[int, int]] | None = None) -> None:
        self.expiries = dict(expiries or {})  # token -> (expires_at, data_access_expires_at)
        self.calls: Counter[str] = Counter()
        self.server: PlatformSandbox | None = None

    def attach(self, server: PlatformSandbox) -> PlatformSandbox:
        server.oauth = self
        self.server = server
        return server

    def answer(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply | None:
        server = self.server
        if server is None or method != "GET" or not _DEBUG_TOKEN.match(path):
            return None
        self.calls["debug_token"] += 1
        params = dict(parse_qsl(query, keep_blank_values=True))
        scheme, _, caller = headers.get("authorization", "").partition(" ")
        caller = caller.strip() if scheme.lower() in ("bearer", "oauth") else params.get("access_token", "")
        if caller not in server.valid_tokens:
            return json_reply(
                400,
                {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}},
            )
        token = params.get("input_token", "")
        if not token:
            return json_reply(
                400,
                {
                    "error": {
                        "message": "(#100) The parameter input_token is required",
                        "type": "OAuthException",
                        "code": 100,
                    }
                },
            )
        valid = token in server.valid_tokens
        expires_at, data_access = self.expiries.get(token, (0, 0))
        data: dict[str, Any] = {
            "app_id": "100000000000001",
            "type": "PAGE",
            "application": "Cedar Valley Health Marketing Data",
            "data_access_expires_at": data_access,
            "expires_at": expires_at,
            "is_valid": valid,
            "scopes": ["pages_show_list", "pages_read_engagement", "read_insights", "instagram_manage_insights"],
        }
        if not valid:
            data["error"] = {"code": 190, "message": "The access token could not be decrypted", "subcode": 0}
        return json_reply(200, {"data": data})
