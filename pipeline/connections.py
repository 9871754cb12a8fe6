"""Platform endpoints from Airflow connections: the sandbox and the real API differ only here.

A platform connection is an `http` connection whose host is the base URL (scheme included, e.g.
`https://graph.facebook.com`), whose password is the access token, and whose extra holds the API
version (`{"api_version": "v24.0"}`) and any platform-specific setting."""

from __future__ import annotations

from extractors.http import ApiEndpoint


class ConnectionConfigError(RuntimeError):
    """An Airflow connection is missing or incomplete."""


def base_url(host: str, schema: str | None, port: int | None) -> str:
    if "://" in host:
        return host.rstrip("/")
    scheme = schema or "https"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def endpoint_from_connection(
    connection_id: str, platform: str, token_kind: str, default_version: str = ""
) -> ApiEndpoint:
    """The endpoint an Airflow connection describes: host = base URL, password = access token,
    extra = `api_version` and platform-specific settings."""
    from airflow.sdk import Connection

    try:
        connection = Connection.get(connection_id)
    except Exception as exc:  # the SDK raises its own not-found type, which varies by context
        raise ConnectionConfigError(
            f"Airflow connection '{connection_id}' not found: create it (UI, CLI, or the environment "
            f"variable AIRFLOW_CONN_{connection_id.upper()}) with the {platform} base URL as host and the "
            f"{token_kind} as password."
        ) from exc
    if not connection.host or not connection.password:
        raise ConnectionConfigError(
            f"Airflow connection '{connection_id}' needs a host (the {platform} base URL) and a password "
            f"(the {token_kind})."
        )
    extra = dict(connection.extra_dejson or {})
    return ApiEndpoint(
        base_url=base_url(connection.host, connection.schema, connection.port),
        token=connection.password,
        api_version=str(extra.pop("api_version", default_version)),
        connection_id=connection_id,
        platform=platform,
        token_kind=token_kind,
        extra=extra,
    )


def graph_endpoint(connection_id: str, default_version: str = "v24.0") -> ApiEndpoint:
    return endpoint_from_connection(connection_id, "Facebook Graph API", "Page access token", default_version)
