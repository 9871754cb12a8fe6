"""The shared HTTP layer of every extractor.

`ApiClient` holds the one retry loop: a requests Session with timeouts, exponential backoff capped
by the settings (or the platform's own wait, when it says how long), pacing when the platform's
usage signals near their limit, and one error hierarchy. Each platform's policy, how its errors
and rate-limit signals read, is a subclass: `GraphClient` for the Meta Graph API family (Facebook
Pages, Instagram, Marketing API) keys retries on the Graph `error.code` (throttling comes back as
HTTP 400/403 with a code, not as 429), honours `estimated_time_to_regain_access`, and follows
`paging.next` until it is absent.

Every paging loop of every platform goes through `ApiClient.pages`, which refuses to follow a
cursor it has already followed and stops after `max_pages_per_edge` pages, so an API that links
back to a page already read fails the extraction at once instead of requesting forever.

The access token travels only in the Authorization header: never in a URL, a log line or an
error message. It comes from the endpoint's credentials (extractors/auth.py), which renew it
before it expires; a token the platform rejects mid-run is renewed once and the call repeated."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from core.settings import HttpSettings

logger = logging.getLogger(__name__)

# Platform limits (app 4, user 17, page 32, custom 613) and business-use-case limits (80000-80006).
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80007)})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 190})
_USAGE_KEYS = ("call_count", "total_cputime", "total_time", "acc_id_util_pct")
_FLAT_USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Ad-Account-Usage")
_BUC_HEADER = "X-Business-Use-Case-Usage"


def base_url(host: str, schema: str | None, port: int | None) -> str:
    """The base URL an Airflow connection's host, schema and port describe (a host may be a URL)."""
    if "://" in host:
        return host.rstrip("/")
    scheme = schema or "https"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


@dataclass(frozen=True)
class ApiEndpoint:
    """Where and as whom to call: resolved from an Airflow connection by the caller."""

    base_url: str
    token: str = field(repr=False)
    api_version: str
    connection_id: str  # named in error messages so the operator knows which connection to fix
    platform: str = "Facebook Graph API"
    token_kind: str = "Page access token"
    # Platform-specific settings from the connection's extra (e.g. a second base URL).
    extra: Mapping[str, Any] = field(default_factory=dict)
    # What mints the access token (extractors/auth.py); None: `token` as it is. Shared by the
    # endpoints `replace` derives from this one, so one refresh serves every client of a connection.
    credentials: Any = field(default=None, repr=False, compare=False)


class ApiError(RuntimeError):
    """A platform API call failed; `message` is the platform's own text, str() the full explanation."""

    retryable = False

    def __init__(
        self,
        text: str,
        *,
        message: str = "",
        code: int | str | None = None,
        subcode: int | None = None,
        trace_id: str | None = None,
        path: str = "",
        http_status: int | None = None,
        wait_seconds: float = 0.0,
    ) -> None:
        super().__init__(text)
        self.message = message or text
        self.code = code
        self.subcode = subcode
        self.trace_id = trace_id
        self.path = path
        self.http_status = http_status
        # How long the platform asked callers to stay away (usage or rate-limit headers).
        self.wait_seconds = wait_seconds

    @property
    def fbtrace_id(self) -> str | None:
        return self.trace_id

    def again(self, text: str | None = None, kind: type[ApiError] | None = None) -> ApiError:
        """The same error with a new explanation (e.g. after the retries ran out), or as another
        class (`kind`) once a client knows what the platform's code means for it."""
        return (kind or type(self))(
            str(self) if text is None else text,
            message=self.message,
            code=self.code,
            subcode=self.subcode,
            trace_id=self.trace_id,
            path=self.path,
            http_status=self.http_status,
            wait_seconds=self.wait_seconds,
        )


class TokenExpiredError(ApiError):
    """The token was rejected (Graph code 190, HTTP 401 elsewhere): a person has to re-authorise."""


class PermissionDeniedError(ApiError):
    """The token lacks a permission (Graph code 10, 200-299; HTTP 403): retrying cannot help."""


class InvalidParameterError(ApiError):
    """An invalid parameter, e.g. a metric the API no longer knows (Graph code 100). The caller decides."""


class QuotaExceededError(ApiError):
    """A daily quota is spent (YouTube quotaExceeded): nothing more today, retrying cannot help."""


class ThrottledError(ApiError):
    """Rate limited, still after every retry."""

    retryable = True


class TransientError(ApiError):
    """A transient failure (HTTP 5xx, connection errors, timeouts, Graph codes 1 and 2), still after every retry."""

    retryable = True


class ResponseError(ApiError):
    """The response body is not the JSON the platform promises."""


class UnreadableBodyError(ResponseError):
    """A 2xx answer whose body is not valid JSON: cut short on the way (a dropped proxy or load
    balancer connection), so asking again usually gets the whole answer."""

    retryable = True


class PagingLoopError(ApiError):
    """A paged edge linked back to a page already read, or went on past `max_pages_per_edge`
    pages: reading on would never end, and asking again tonight gets the same links."""


def status_error(status: int) -> type[ApiError]:
    """What an HTTP error status means by itself, for a client whose platform's error body names
    nothing more specific (a Google reason, a LinkedIn code, X's usage cap)."""
    if status == 401:
        return TokenExpiredError
    if status == 403:
        return PermissionDeniedError
    if status == 429:
        return ThrottledError
    if status == 400:
        return InvalidParameterError
    if status >= 500:
        return TransientError
    return ApiError


Cursor = str | int


# The Graph API's names for the shared errors.
GraphApiError = ApiError
GraphPermissionError = PermissionDeniedError
GraphInvalidParameterError = InvalidParameterError
GraphThrottledError = ThrottledError
GraphTransientError = TransientError
GraphResponseError = ResponseError


def _shown(cursor: str) -> str:
    # Cursors and links can be long: their start names the edge, their end holds what changes from
    # page to page (Graph puts `after` last), so both are kept.
    return repr(cursor if len(cursor) <= 200 else f"{cursor[:60]}...{cursor[-140:]}")


def retry_delay(attempt: int, wait_seconds: float, settings: HttpSettings) -> float:
    """Exponential backoff from attempt 0, or the platform's regain estimate when longer; capped."""
    delay = max(settings.backoff_base_seconds * 2**attempt, wait_seconds)
    return min(delay, settings.max_backoff_seconds)


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        logger.debug("ignoring unparsable %s header", name)
        return None


def _buc_entries(headers: Mapping[str, str]) -> list[dict[str, Any]]:
    usage = _json_header(headers, _BUC_HEADER)
    if not isinstance(usage, dict):
        return []
    return [e for entries in usage.values() if isinstance(entries, list) for e in entries if isinstance(e, dict)]


def usage_percent(headers: Mapping[str, str]) -> float:
    """The highest usage percent any Graph usage header reports (0 when none does)."""
    entries = _buc_entries(headers)
    for name in _FLAT_USAGE_HEADERS:
        usage = _json_header(headers, name)
        if isinstance(usage, dict):
            entries.append(usage)
    values = [e[k] for e in entries for k in _USAGE_KEYS if isinstance(e.get(k), int | float)]
    return float(max(values, default=0))


def regain_seconds(headers: Mapping[str, str]) -> float:
    """The longest `estimated_time_to_regain_access` (minutes in the header) as seconds."""
    minutes = [e.get("estimated_time_to_regain_access") for e in _buc_entries(headers)]
    return 60.0 * max((m for m in minutes if isinstance(m, int | float)), default=0)


def error_from_body(error: Mapping[str, Any], path: str, http_status: int | None) -> GraphApiError:
    """The exception class matching a Graph error body's code."""
    code, subcode = error.get("code"), error.get("error_subcode")
    message = str(error.get("message", "")) or "no message"
    if code in TOKEN_CODES:
        cls: type[GraphApiError] = TokenExpiredError
    elif code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        cls = GraphPermissionError
    elif code == 100:
        cls = GraphInvalidParameterError
    elif code in THROTTLE_CODES:
        cls = GraphThrottledError
    elif code in TRANSIENT_CODES or error.get("is_transient") is True or (http_status or 0) >= 500:
        cls = GraphTransientError
    else:
        cls = GraphApiError
    codes = f"{code}/{subcode}" if subcode is not None else f"{code}"
    fbtrace_id = error.get("fbtrace_id")
    return cls(
        f"GET {path}: {message} (code {codes}, fbtrace_id {fbtrace_id})",
        message=message,
        code=code,
        subcode=subcode,
        trace_id=fbtrace_id,
        path=path,
        http_status=http_status,
    )


def without_access_token(url: str) -> tuple[str, list[tuple[str, str]]]:
    """A paging URL's path and query parameters, minus any access_token the API put in it."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"]
    return parts.path, params


def tokenless_link(url: Any) -> str | None:
    """A paging URL as `path?query` without its host and access_token (None when there is no URL):
    what is followed, compared and named in errors."""
    if not isinstance(url, str) or not url:
        return None
    path, params = without_access_token(url)
    return f"{path}?{urlencode(params)}" if params else path


# The credentials interface lives beside the client that calls it; extractors.auth holds the
# credentials that renew themselves.
class TokenRefreshError(TokenExpiredError):
    """The token endpoint refused to issue an access token (invalid_grant, invalid_client):
    repeating cannot help, a person has to re-authorise the connection."""


class Credentials(requests.auth.AuthBase):
    """What an `ApiClient` authenticates with; see the module docstring."""

    connection_id: str = ""

    def access_token(self) -> str:
        raise NotImplementedError

    def invalidate(self) -> bool:
        """Forget the access token the platform just rejected; True when a new one can be fetched."""
        return False

    def rejected_advice(self, token_kind: str) -> str:
        """What to do once the platform rejected even a freshly issued token."""
        return f"generate a new {token_kind} and update the connection."

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        return request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(connection_id={self.connection_id!r})"


class StaticToken(Credentials):
    """A token kept as it is in the connection: nothing here can renew it."""

    def __init__(self, token: str, connection_id: str = "") -> None:
        self._token = token
        self.connection_id = connection_id

    def access_token(self) -> str:
        return self._token


class ApiClient:
    """Requests against one platform endpoint with the shared retry loop. Subclasses say how the
    platform's errors and usage signals read (`error_for`, `observe`)."""

    def __init__(
        self,
        endpoint: ApiEndpoint,
        settings: HttpSettings,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self._sleep = sleep
        self._slow_down = False
        self.credentials = endpoint.credentials or StaticToken(endpoint.token, endpoint.connection_id)
        self._session = requests.Session()
        # The credentials set the Authorization header on every request, with a token refreshed when due.
        self._session.auth = self.credentials
        self._session.headers.update({"Accept": "application/json", **(headers or {})})

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the platform's policy --------------------------------------------------------------

    def error_for(self, response: requests.Response, body: Any, path: str) -> ApiError | None:
        """The error a response carries in the platform's own format, or None."""
        return None

    def observe(self, response: requests.Response) -> bool:
        """Read the platform's usage signals; True asks the next call to wait a little."""
        return False

    # -- paging -----------------------------------------------------------------------------

    def pages(
        self,
        path: str,
        fetch: Callable[[Cursor | None], dict[str, Any]],
        next_cursor: Callable[[dict[str, Any], Cursor | None], Cursor | None],
        items: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every page of the paged edge `path`, lazily: `fetch(None)` reads the first page,
        `fetch(cursor)` a later one, and `next_cursor(page, cursor)` says where the page after
        `page` (read with `cursor`) is, None after the last.

        A cursor already followed is refused, and so is a page past `max_pages_per_edge`, with a
        PagingLoopError: an API that links back to a page already read would be read forever.
        One exception: a page whose `items` came back empty and that links to itself is asked
        again, up to `max_retries` times in a row, since nothing of it has been read yet."""
        ceiling = self.settings.max_pages_per_edge
        followed: dict[str, int] = {}  # cursor -> number of the page it was followed to
        cursor: Cursor | None = None
        number, empty_again = 1, 0
        while True:
            page = fetch(cursor)
            yield page
            following = next_cursor(page, cursor)
            if following is None or following == "":
                return
            key = str(following)
            empty_self_link = cursor is not None and key == str(cursor) and items is not None and not items(page)
            empty_again = empty_again + 1 if empty_self_link else 0
            if key in followed and not (empty_self_link and empty_again <= self.settings.max_retries):
                again = f"; it came back empty {empty_again} times in a row" if empty_again else ""
                raise self._paging_error(
                    path,
                    f"the next link of page {number} points back at page {followed[key]}, already read "
                    f"(cursor {_shown(key)}){again}",
                    "Nothing was landed for this account. Rerun the task later; if the loop persists, "
                    f"report the looping edge to {self.endpoint.platform}'s developer support.",
                )
            if number >= ceiling:
                raise self._paging_error(
                    path,
                    f"page {number} still links to a next page (cursor {_shown(key)}), and "
                    f"http.max_pages_per_edge is {ceiling}",
                    "Nothing was landed for this account. If the account really holds that much, raise "
                    "http.max_pages_per_edge in config/pipeline.yml; otherwise the API is paging without "
                    f"end: rerun later and report the edge to {self.endpoint.platform}'s developer support.",
                )
            number += 1
            followed.setdefault(key, number)
            cursor = following

    def _paging_error(self, path: str, what: str, todo: str) -> PagingLoopError:
        return PagingLoopError(
            f"{self.endpoint.platform} {path}: {what}; stopped paging. {todo}", message=what, path=path
        )

    # -- the shared loop --------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        params: list[tuple[str, Any]] | Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> dict[str, Any]:
        """One call to `base_url + path`, retried while the error says it may help."""
        params = list(params.items()) if isinstance(params, Mapping) else list(params or [])
        url = self.endpoint.base_url.rstrip("/") + path
        retries = self.settings.max_retries
        for attempt in range(retries + 1):
            self._pace()
            try:
                return self._authorised(method, url, path, params, json_body)
            except ApiError as exc:
                if not exc.retryable:
                    raise
                error = exc
            if attempt == retries:
                break
            delay = retry_delay(attempt, error.wait_seconds, self.settings)
            logger.warning(
                "%s %s failed (%s); retry %d/%d in %.1f s", method, path, error.message, attempt + 1, retries, delay
            )
            self._sleep(delay)
        raise error.again(f"{method} {path}: giving up after {retries} retries; last error: {error}") from error

    def pace_seconds(self) -> float:
        """How long the next call waits once `observe` asked to slow down (e.g. until a rate-limit reset)."""
        return self.settings.usage_slowdown_seconds

    def _pace(self) -> None:
        seconds = self.pace_seconds() if self._slow_down else 0.0
        if seconds > 0:
            logger.info(
                "%s usage at or above %.0f%%: waiting %.1f s before the next call",
                self.endpoint.platform,
                self.settings.usage_slowdown_percent,
                seconds,
            )
            self._sleep(seconds)

    def _authorised(
        self, method: str, url: str, path: str, params: list[tuple[str, Any]], json_body: Any
    ) -> dict[str, Any]:
        """`_send`, repeated once with a new access token when the platform says the one sent has
        expired (an hour-long Google token runs out in the middle of a night)."""
        try:
            return self._send(method, url, path, params, json_body)
        except TokenRefreshError:
            raise
        except TokenExpiredError:
            if not self.credentials.invalidate():
                raise
        logger.info(
            "%s rejected the access token of connection '%s' on %s %s: fetched a new one, repeating the call",
            self.endpoint.platform,
            self.endpoint.connection_id,
            method,
            path,
        )
        return self._send(method, url, path, params, json_body)

    def _send(self, method: str, url: str, path: str, params: list[tuple[str, Any]], json_body: Any) -> dict[str, Any]:
        try:
            response = self._session.request(
                method, url, params=params, json=json_body, timeout=self.settings.timeout_seconds
            )
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientError(f"{method} {path}: {type(exc).__name__}: {exc}", path=path) from exc
        self._slow_down = self.observe(response)
        try:
            body = response.json()
        except ValueError:
            body = None
            if 200 <= response.status_code < 300:
                raise self._unreadable(method, path, response) from None
        error = self.error_for(response, body, path)
        if error is not None:
            if isinstance(error, TokenExpiredError):
                raise self._token_error(error) from None
            raise error
        if response.status_code >= 500:
            raise TransientError(
                f"{method} {path}: HTTP {response.status_code} from the server",
                path=path,
                http_status=response.status_code,
            )
        if not isinstance(body, dict):
            raise ResponseError(
                f"{method} {path}: HTTP {response.status_code} with a body that is not a JSON object: "
                f"{response.text[:200]!r}",
                path=path,
                http_status=response.status_code,
            )
        if response.status_code >= 400:
            raise ApiError(
                f"{method} {path}: HTTP {response.status_code}: {response.text[:300]}",
                path=path,
                http_status=response.status_code,
            )
        return body

    def _unreadable(self, method: str, path: str, response: requests.Response) -> UnreadableBodyError:
        return UnreadableBodyError(
            f"{self.endpoint.platform} {method} {path}: HTTP {response.status_code} with a body that is not valid "
            f"JSON ({len(response.content)} bytes, cut short on the way?): {response.text[:200]!r}. If it persists, "
            f"rerun the task later and check the network or proxy between the workers and "
            f"{urlsplit(self.endpoint.base_url).netloc or self.endpoint.base_url}.",
            path=path,
            http_status=response.status_code,
        )

    def _token_error(self, error: ApiError) -> TokenExpiredError:
        endpoint = self.endpoint
        codes = f"{error.code}/{error.subcode}" if error.subcode is not None else f"{error.code}"
        return error.again(
            f"{endpoint.platform} rejected the token of Airflow connection '{endpoint.connection_id}' "
            f"(code {codes}: {error.message}). Re-authorise connection {endpoint.connection_id}: "
            f"{self.credentials.rejected_advice(endpoint.token_kind)}",
            TokenExpiredError,
        )


class GraphClient(ApiClient):
    """The Meta Graph API: versioned paths, errors keyed on `error.code`, usage headers."""

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One call to `/{version}{path}`, e.g. path "/{page-id}/insights"; returns the JSON body."""
        full_path = f"/{self.endpoint.api_version}/{path.lstrip('/')}"
        return self.request("GET", full_path, params)

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every page of a cursor-paged edge, following `paging.next` until it is absent.

        Not for insights: their `paging.next` always points at the next time window."""

        def fetch(link: Cursor | None) -> dict[str, Any]:
            # Only the path and query are taken from the link: the token is sent to the configured
            # host alone, and never as a URL parameter.
            return self.get(path, params) if link is None else self.request("GET", *without_access_token(str(link)))

        edge = f"/{self.endpoint.api_version}/{path.lstrip('/')}"
        return self.pages(
            edge,
            fetch,
            lambda page, _: tokenless_link((page.get("paging") or {}).get("next")),
            items=lambda page: page.get("data"),
        )

    def error_for(self, response: requests.Response, body: Any, path: str) -> ApiError | None:
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error = error_from_body(body["error"], path, response.status_code)
            error.wait_seconds = regain_seconds(response.headers)
            return error
        return None

    def observe(self, response: requests.Response) -> bool:
        return usage_percent(response.headers) >= self.settings.usage_slowdown_percent
