"""Platform endpoints from Airflow connections: the sandbox and the real API differ only here.

A Graph API connection is an `http` connection whose host is the base URL (scheme included, e.g.
`https://graph.facebook.com`), whose password is the access token, and whose extra holds
`{"api_version": "v24.0"}`."""

from __future__ import annotations

from extractors.http import ApiEndpoint


class ConnectionConfigError(RuntimeError):
    """An Airflow connection is missing or incomplete."""


def base_url(host: str, schema: str | None, port: int | None) -> str:
    if "://" in host:
        return host.rstrip("/")
    scheme = schema or "https"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def graph_endpoint(connection_id: str, default_version: str = "v24.0") -> ApiEndpoint:
    from airflow.sdk import Connection

    try:
        connection = Connection.get(connection_id)
    except Exception as exc:  # the SDK raises its own not-found type, which varies by context
        raise ConnectionConfigError(
            f"Airflow connection '{connection_id}' not found: create it (UI, CLI, or the environment "
            f"variable AIRFLOW_CONN_{connection_id.upper()}) with the Graph API base URL as host and the "
            "Page access token as password."
        ) from exc
    if not connection.host or not connection.password:
        raise ConnectionConfigError(
            f"Airflow connection '{connection_id}' needs a host (the API base URL) and a password (the access token)."
        )
    extra = connection.extra_dejson or {}
    return ApiEndpoint(
        base_url=base_url(connection.host, connection.schema, connection.port),
        token=connection.password,
        api_version=extra.get("api_version", default_version),
        connection_id=connection_id,
    )
