"""Plex Media Server client, through python-plexapi (XML API, ``X-Plex-Token``).

Source: ``shared/specs/plex/`` (``GET /`` server root: ``friendlyName``, ``version``).
"""

from __future__ import annotations

import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.server import PlexServer

from app.utils.clients.base import (
    READ_TIMEOUT_S,
    ConnectionReport,
    describe_connection_error,
    not_configured,
    run_connection_test,
)
from app.utils.clients.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.utils.settings_schema import Settings

SERVICE = "Plex"


class PlexClient:
    """A connection to one Plex Media Server (``plex_url``, ``plex_token``); ``timeout`` in seconds."""

    def __init__(self, base_url: str, token: str, timeout: float = READ_TIMEOUT_S):
        self.base_url = base_url
        self.token = token
        self.timeout = timeout
        self._server: PlexServer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PlexClient:
        """A client for ``plex_url`` / ``plex_token``."""
        return cls(settings.plex_url, settings.plex_token, settings.service_timeout_s)

    def server(self) -> PlexServer:
        """The connected :class:`plexapi.server.PlexServer`; raises an :class:`UpstreamError`."""
        if self._server is None:
            try:
                self._server = PlexServer(self.base_url, self.token, session=requests.Session(), timeout=self.timeout)
            except Unauthorized:
                raise UpstreamAuthError(SERVICE, "token refused", setting="PLEX_TOKEN") from None
            except requests.Timeout:
                raise UpstreamTimeout(SERVICE, f"no answer within {self.timeout:g} s") from None
            except requests.ConnectionError as exc:
                raise UpstreamUnavailable(
                    SERVICE, f"cannot connect to {self.base_url}: {describe_connection_error(exc)}"
                ) from None
            except NotFound:
                raise UpstreamNotFound(SERVICE, "no Plex server at this URL") from None
            except BadRequest as exc:
                raise UpstreamUnavailable(SERVICE, str(exc)[:200]) from None
            except Exception as exc:  # noqa: BLE001 - XML parse errors come in several types
                raise UpstreamBadResponse(SERVICE, f"unreadable answer ({type(exc).__name__})") from None
        return self._server

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Connect with the token and report the server's name and version."""
        if not settings.plex_url or not settings.plex_token:
            return not_configured(SERVICE, "PLEX_URL / PLEX_TOKEN")
        client = cls.from_settings(settings)

        def probe() -> str:
            server = client.server()
            return f"{server.friendlyName} (Plex {server.version})"

        return run_connection_test(SERVICE, probe)
