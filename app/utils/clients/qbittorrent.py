"""qBittorrent Web API client, through qbittorrent-api (``shared/specs/qbittorrent/``)."""

from __future__ import annotations

import qbittorrentapi
import requests

from app.utils.clients.base import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    ConnectionReport,
    describe_connection_error,
    not_configured,
    run_connection_test,
)
from app.utils.clients.errors import UpstreamAuthError, UpstreamTimeout, UpstreamUnavailable
from app.utils.settings_schema import Settings

SERVICE = "qBittorrent"


class QBittorrentClient:
    """qBittorrent at ``qbittorrent_url`` with ``qbittorrent_username`` / ``qbittorrent_password``."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        self.api = qbittorrentapi.Client(
            host=base_url,
            username=username,
            password=password,
            REQUESTS_ARGS={"timeout": (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)},
            RAISE_NOTIMPLEMENTEDERROR_FOR_UNIMPLEMENTED_API_ENDPOINTS=True,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> QBittorrentClient:
        """A client for the qBittorrent settings."""
        return cls(settings.qbittorrent_url, settings.qbittorrent_username, settings.qbittorrent_password)

    def login(self) -> None:
        """Log in; raises :class:`UpstreamAuthError`, :class:`UpstreamUnavailable`, :class:`UpstreamTimeout`."""
        try:
            self.api.auth_log_in()
        except (qbittorrentapi.LoginFailed, qbittorrentapi.Forbidden403Error, qbittorrentapi.Unauthorized401Error):
            raise UpstreamAuthError(
                SERVICE, "user name or password refused", setting="QBITTORRENT_PASSWORD"
            ) from None
        except qbittorrentapi.APIConnectionError as exc:
            cause = exc.__context__ or exc
            if isinstance(cause, requests.Timeout) or "timed out" in str(exc).lower():
                raise UpstreamTimeout(SERVICE, f"no answer within {READ_TIMEOUT_S:g} s") from None
            raise UpstreamUnavailable(
                SERVICE, f"cannot connect to {self.base_url}: {describe_connection_error(exc)}"
            ) from None
        except qbittorrentapi.HTTP5XXError as exc:
            raise UpstreamUnavailable(SERVICE, f"server error ({exc})") from None

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Log in and read the version."""
        if not settings.qbittorrent_url:
            return not_configured(SERVICE, "QBITTORRENT_URL")
        client = cls.from_settings(settings)

        def probe() -> str:
            client.login()
            return f"qBittorrent {client.api.app.version}"

        return run_connection_test(SERVICE, probe)
