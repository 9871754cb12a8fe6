"""Platform endpoints from Airflow connections: the sandbox and the real API differ only here.

A platform connection is an `http` connection whose host is the base URL (scheme included, e.g.
`https://graph.facebook.com`) and whose extra holds the API version (`{"api_version": "v24.0"}`)
and any platform-specific setting. What the connection authenticates with is one of three kinds
(extractors/auth.py), told apart by the extra:

- a Google service account: extra `keyfile_dict` (the JSON key, as an object or a string) or
  `key_path` (the key file on the workers), optional `scopes` and `subject`; no password;
- an OAuth refresh token: login = client id, password = client secret, extra `refresh_token`;
- otherwise the password is the access token itself (Meta Page tokens, X Bearer tokens).

Every kind takes an optional extra `token_uri`: the token endpoint (Google's and LinkedIn's by
default), which is how the sandbox serves its own."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.settings import Alerts, HttpSettings
from extractors.auth import (
    GOOGLE_TOKEN_URI,
    LINKEDIN_TOKEN_URI,
    GoogleServiceAccount,
    RefreshToken,
    expiry_warning,
    graph_token_lifetime,
)
from extractors.http import ApiEndpoint, ApiError, Credentials, StaticToken, base_url
from nightly import DAG_ID

logger = logging.getLogger(__name__)

# By the platform names of sources/__init__.py: where their refresh tokens are exchanged, and the
# scopes a service account asks for when the connection names none.
DEFAULT_TOKEN_URIS = {
    "GA4 Data API": GOOGLE_TOKEN_URI,
    "YouTube Data API": GOOGLE_TOKEN_URI,
    "LinkedIn API": LINKEDIN_TOKEN_URI,
}
GOOGLE_SCOPES = {
    "GA4 Data API": ("https://www.googleapis.com/auth/analytics.readonly",),
    "YouTube Data API": (
        "https://www.googleapis.com/auth/youtube.readonly",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
    ),
}
# Their tokens are pasted in and die on a date that debug_token tells.
META_PLATFORMS = frozenset({"Facebook Graph API", "Instagram Graph API", "Meta Marketing API"})
# Extra fields that hold credentials: taken out of the endpoint's extra, which is logged freely.
CREDENTIAL_FIELDS = ("keyfile_dict", "key_path", "scopes", "subject", "refresh_token", "token_uri")


class ConnectionConfigError(RuntimeError):
    """An Airflow connection is missing or incomplete."""


class VariableConfigError(RuntimeError):
    """An Airflow Variable a source needs is not set."""


def variable(name: str, purpose: str) -> str:
    """The value of the Airflow Variable `name` (the secrets backend, the metadata DB or the
    environment variable AIRFLOW_VAR_<NAME>), or VariableConfigError saying what it is for
    (`purpose`) and how to set it. The value is never logged (Airflow masks it in task logs)."""
    from airflow.sdk import Variable

    try:
        value = Variable.get(name, default=None)
    except Exception:  # the SDK raises its own not-found type, which varies by context
        value = None
    if not value or not str(value).strip():
        raise VariableConfigError(
            f"Airflow Variable '{name}' is not set: it holds {purpose}. Set it in the UI (Admin > Variables), "
            f"with `airflow variables set {name} <value>`, in the secrets backend, or as the environment "
            f"variable AIRFLOW_VAR_{name.upper()} on every worker; then rerun the day."
        )
    return str(value)


def endpoint_from_connection(
    connection_id: str, platform: str, token_kind: str, default_version: str = ""
) -> ApiEndpoint:
    """The endpoint an Airflow connection describes: host = base URL, extra = `api_version`,
    platform-specific settings and what the credentials need (see the module docstring)."""
    from airflow.sdk import Connection

    try:
        connection = Connection.get(connection_id)
    except Exception as exc:  # the SDK raises its own not-found type, which varies by context
        raise ConnectionConfigError(
            f"Airflow connection '{connection_id}' not found: create it (UI, CLI, or the environment "
            f"variable AIRFLOW_CONN_{connection_id.upper()}) with the {platform} base URL as host and the "
            f"{token_kind} as password (or a refresh token or service account: see the README)."
        ) from exc
    if not connection.host:
        raise ConnectionConfigError(f"Airflow connection '{connection_id}' needs a host (the {platform} base URL).")
    extra = dict(connection.extra_dejson or {})
    secrets = {name: extra.pop(name) for name in CREDENTIAL_FIELDS if name in extra}
    credentials = credentials_from_connection(
        connection_id, platform, token_kind, connection.login or "", connection.password or "", secrets
    )
    return ApiEndpoint(
        base_url=base_url(connection.host, connection.schema, connection.port),
        # A refresh-token connection's password is the client secret, not a token.
        token=connection.password if isinstance(credentials, StaticToken) else "",
        api_version=str(extra.pop("api_version", default_version)),
        connection_id=connection_id,
        platform=platform,
        token_kind=token_kind,
        extra=extra,
        credentials=credentials,
    )


def credentials_from_connection(
    connection_id: str, platform: str, token_kind: str, login: str, password: str, extra: dict[str, Any]
) -> Credentials:
    """The credentials a connection's login, password and credential extras describe."""
    token_uri = str(extra.get("token_uri") or "") or None
    if "keyfile_dict" in extra or "key_path" in extra:
        key = _service_account_key(connection_id, extra)
        scopes = _scopes(extra.get("scopes")) or GOOGLE_SCOPES.get(platform, ())
        if not scopes:
            raise ConnectionConfigError(
                f"Airflow connection '{connection_id}' holds a service account but no `scopes` in its extra, and "
                f"{platform} has no default: add the OAuth scopes the {platform} needs."
            )
        try:
            return GoogleServiceAccount(
                key, scopes, connection_id, platform, token_uri, subject=str(extra.get("subject") or "") or None
            )
        except ValueError as exc:
            raise ConnectionConfigError(str(exc)) from None
    if "refresh_token" in extra:
        uri = token_uri or DEFAULT_TOKEN_URIS.get(platform)
        if not login or not password or not extra.get("refresh_token") or not uri:
            raise ConnectionConfigError(
                f"Airflow connection '{connection_id}' holds a refresh token: it also needs the OAuth client id as "
                "login and the client secret as password"
                + ("" if uri else f", and the extra `token_uri` ({platform} has no default token endpoint)")
                + "."
            )
        return RefreshToken(login, password, str(extra["refresh_token"]), connection_id, platform, uri)
    if not password:
        raise ConnectionConfigError(
            f"Airflow connection '{connection_id}' needs a password (the {token_kind}), or a refresh token or "
            "service-account key in its extra (see the README)."
        )
    return StaticToken(password, connection_id)


def _service_account_key(connection_id: str, extra: dict[str, Any]) -> dict[str, Any]:
    raw = extra.get("keyfile_dict")
    where = "the extra `keyfile_dict`"
    if raw is None:
        path = Path(str(extra["key_path"]))
        where = f"the key file {path} (extra `key_path`)"
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConnectionConfigError(
                f"Airflow connection '{connection_id}': cannot read {where}: {exc.strerror}. Put the service "
                "account's JSON key there on every worker, or paste it into the extra `keyfile_dict`."
            ) from None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, dict):
        raise ConnectionConfigError(
            f"Airflow connection '{connection_id}': {where} is not a JSON object; it must be the JSON key file "
            "downloaded from the Google Cloud console (IAM > Service accounts > Keys)."
        )
    return raw


def _scopes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.replace(",", " ").split())
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


def warn_of_token_expiry(
    endpoint: ApiEndpoint,
    http: HttpSettings,
    alerts: Alerts,
    run_id: str,
    task_id: str,
    now: datetime | None = None,
) -> str | None:
    """For a Meta connection, ask debug_token when its token dies; within
    `http.token_expiry_warning_days` (or already invalid) log a warning and send a warning alert,
    so that someone renews it before the night it fails. Returns the warning, None when there is none.

    The check never fails the task: a token that no longer works fails the extraction itself."""
    if endpoint.platform not in META_PLATFORMS:
        return None
    try:
        lifetime = graph_token_lifetime(
            endpoint.base_url,
            endpoint.api_version,
            endpoint.credentials.access_token() if endpoint.credentials else endpoint.token,
            endpoint.connection_id,
            http.timeout_seconds,
        )
    except ApiError as exc:
        logger.warning("could not check when the token of connection '%s' expires: %s", endpoint.connection_id, exc)
        return None
    warning = expiry_warning(
        lifetime, endpoint.connection_id, endpoint.token_kind, now or datetime.now(UTC), http.token_expiry_warning_days
    )
    if warning is None:
        return None
    logger.warning("%s", warning)
    from nightly.alerts import Alert, send

    send(
        Alert(
            severity="warning",
            dag_id=DAG_ID,
            task_id=task_id,
            run_id=run_id,
            headline=f"the {endpoint.token_kind} of connection '{endpoint.connection_id}' needs renewing"[:200],
            detail=warning,
        ),
        alerts,
    )
    return warning
