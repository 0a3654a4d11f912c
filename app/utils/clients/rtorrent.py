"""rTorrent XML-RPC client (SCGI or HTTP ``/RPC2``), through rtorrent-rpc.

Source: ``shared/specs/rtorrent/`` (``system.client_version``).
"""

from __future__ import annotations

import socket
import xmlrpc.client

from rtorrent_rpc import RTorrent

from app.utils.clients.base import READ_TIMEOUT_S, ConnectionReport, not_configured, run_connection_test
from app.utils.clients.errors import UpstreamAuthError, UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from app.utils.settings_schema import Settings

SERVICE = "rTorrent"


class RTorrentClient:
    """rTorrent at ``rtorrent_url`` (``scgi://host:port`` or ``http(s)://host/RPC2``); timeout in seconds."""

    def __init__(self, address: str, timeout: float = READ_TIMEOUT_S):
        self.address = address
        self.timeout = timeout
        self.rpc = RTorrent(address, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> RTorrentClient:
        """A client for ``rtorrent_url``."""
        return cls(settings.rtorrent_url, settings.service_timeout_s)

    def client_version(self) -> str:
        """``system.client_version``; raises an :class:`UpstreamError`."""
        try:
            return str(self.rpc.system.client_version())
        except TimeoutError:
            raise UpstreamTimeout(SERVICE, f"no answer within {self.timeout:g} s") from None
        except (ConnectionError, socket.gaierror) as exc:
            raise UpstreamUnavailable(SERVICE, f"cannot connect to {self.address}: {exc.strerror or exc}") from None
        except xmlrpc.client.ProtocolError as exc:
            if exc.errcode in (401, 403):
                raise UpstreamAuthError(SERVICE, f"HTTP {exc.errcode}", setting="RTORRENT_URL") from None
            raise UpstreamUnavailable(SERVICE, f"HTTP {exc.errcode}") from None
        except (xmlrpc.client.Fault, xmlrpc.client.ResponseError, OSError, ValueError) as exc:
            raise UpstreamBadResponse(SERVICE, f"unreadable answer ({exc})") from None

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Ask the client's version."""
        if not settings.rtorrent_url:
            return not_configured(SERVICE, "RTORRENT_URL")
        client = cls.from_settings(settings)
        return run_connection_test(SERVICE, lambda: f"rTorrent {client.client_version()}")
