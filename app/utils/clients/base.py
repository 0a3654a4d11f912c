"""Shared HTTP plumbing of the clients: explicit timeouts and one error mapping.

Every HTTP client goes through :meth:`HttpClient.request`, which turns
``requests`` failures into :mod:`app.utils.clients.errors`: connection refused
-> :class:`UpstreamUnavailable`, no answer in time -> :class:`UpstreamTimeout`,
401/403 -> :class:`UpstreamAuthError` naming the setting, 404 ->
:class:`UpstreamNotFound`, 5xx -> :class:`UpstreamUnavailable`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from app.utils.clients.errors import (
    HostKeyChanged,
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

#: Seconds to open a TCP connection to a service on the LAN.
CONNECT_TIMEOUT_S = 3.05
#: Seconds to wait for an answer once connected.
READ_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class ConnectionReport:
    """Result of a "Test connection": ``ok``, a human ``message``, ``code`` of the
    failure (``refused``, ``timeout``, ``auth``, ``not_found``, ``bad_response``,
    ``not_configured``), and the round trip in milliseconds."""

    service: str
    ok: bool
    message: str
    code: str = "ok"
    elapsed_ms: int = 0
    #: For ``host_key_changed``: ``{"pinned": fingerprint, "presented": fingerprint}``.
    host_key: dict[str, str] | None = None
    #: For ``auth``: the setting to check (``SONARR_API_KEY``), when the client knows it.
    setting: str | None = None


_CODES = {
    HostKeyChanged: "host_key_changed",
    UpstreamTimeout: "timeout",
    UpstreamServerError: "server_error",
    UpstreamAuthError: "auth",
    UpstreamNotFound: "not_found",
    UpstreamBadResponse: "bad_response",
    UpstreamUnavailable: "refused",
}


def failure_code(exc: UpstreamError) -> str:
    """The connection-report ``code`` of an upstream error (``refused``, ``timeout``, ``auth``...)."""
    return next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")


def run_connection_test(service: str, probe: Callable[[], str]) -> ConnectionReport:
    """Run ``probe`` (returns a success message, raises :class:`UpstreamError`) and time it."""
    start = time.monotonic()
    try:
        message = probe()
    except UpstreamError as exc:
        code = failure_code(exc)
        keys = {"pinned": exc.pinned, "presented": exc.presented} if isinstance(exc, HostKeyChanged) else None
        return ConnectionReport(service, False, exc.message, code, int((time.monotonic() - start) * 1000), keys,
                                exc.setting if code == "auth" else None)
    return ConnectionReport(service, True, message, "ok", int((time.monotonic() - start) * 1000))


def not_configured(service: str, setting: str) -> ConnectionReport:
    """The report for a service whose address or key is empty."""
    return ConnectionReport(service, False, f"not configured: set {setting}", "not_configured")


def describe_connection_error(exc: Exception) -> str:
    """A short reason for a low-level connection failure (refused, DNS, reset)."""
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("No route to host", "no route to host"),
        ("Connection reset", "connection reset"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if needle in text:
            return reason
    return text.split(":")[-1].strip() or type(exc).__name__


#: Headers that carry credentials; never sent on to another host by a redirect.
CREDENTIAL_HEADERS = ("Authorization", "X-Plex-Token", "X-Api-Key", "Cookie", "Proxy-Authorization")


class MappedSession(requests.Session):
    """A ``requests.Session`` with a default timeout that raises the typed errors.

    Given to libraries that accept a session (python-plexapi, tmdbv3api), so they
    run unmodified while every call gets a timeout and the error mapping above.
    ``timeout`` is a (connect, read) pair in seconds; ``auth_setting`` is named
    when credentials are refused.
    """

    def __init__(self, service: str, *, auth_setting: str | None = None,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)):
        super().__init__()
        self.service = service
        self.auth_setting = auth_setting
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send one request; returns a 2xx/3xx response or raises an :class:`UpstreamError`."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.Timeout:
            raise UpstreamTimeout(self.service, f"no answer within {self.timeout[1]:g} s") from None
        except requests.ConnectionError as exc:
            base = url.split("?")[0]
            raise UpstreamUnavailable(
                self.service, f"cannot connect to {base}: {describe_connection_error(exc)}"
            ) from None
        except requests.RequestException as exc:
            raise UpstreamUnavailable(self.service, str(exc)) from None
        self.check_status(response)
        return response

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        """On a redirect to another host (requests' ``should_strip_auth``), drop every credential header,
        not only ``Authorization``: a Plex token or an *arr API key stays with its own host."""
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for header in CREDENTIAL_HEADERS:
                prepared_request.headers.pop(header, None)

    def check_status(self, response: requests.Response) -> None:
        """Raise the typed error of a 4xx/5xx answer."""
        status = response.status_code
        if status in (401, 403):
            raise UpstreamAuthError(self.service, f"HTTP {status}", setting=self.auth_setting)
        if status == 404:
            raise UpstreamNotFound(self.service, f"{urlsplit(response.url).path} not found (HTTP 404)")
        if status >= 500:
            raise UpstreamServerError(self.service, f"server error (HTTP {status})")
        if status >= 400:
            raise UpstreamBadResponse(self.service, f"request refused (HTTP {status}): {response.text[:200]}")


class HttpClient:
    """A :class:`MappedSession` bound to one service's base URL.

    ``service`` is the human name used in errors, ``auth_setting`` the setting
    named when credentials are refused, ``timeout`` a (connect, read) pair in seconds.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        auth_setting: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
    ):
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = MappedSession(service, auth_setting=auth_setting, timeout=timeout)
        self.session.headers.update(headers or {})
        self.session.params = dict(params or {})

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (relative to the base URL)."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request; returns the 2xx/3xx response or raises an :class:`UpstreamError`."""
        return self.session.request(method, self.url(path), **kwargs)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """GET ``path`` and decode JSON; raises :class:`UpstreamBadResponse` on a non-JSON body."""
        return self.json_of(self.request("GET", path, **kwargs))

    def send_json(self, method: str, path: str, body: Any, **kwargs: Any) -> Any:
        """POST/PUT ``body`` as JSON and decode the JSON answer (``None`` for an empty body)."""
        response = self.request(method, path, json=body, **kwargs)
        return self.json_of(response) if response.content else None

    def json_of(self, response: requests.Response) -> Any:
        """The decoded JSON body; raises :class:`UpstreamBadResponse`."""
        try:
            return response.json()
        except ValueError:
            raise UpstreamBadResponse(self.service, "the answer is not JSON") from None
