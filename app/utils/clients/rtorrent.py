"""rTorrent XML-RPC client (SCGI or HTTP ``/RPC2``), through rtorrent-rpc.

Source: ``shared/specs/rtorrent/`` (``load.raw_start_verbose``, ``d.multicall2``,
``f.multicall``, ``d.erase``). The label is ruTorrent's ``d.custom1``. Removing
data never uses ``d.delete_tied``: the torrent is erased, then its files are
deleted by ``data_remover`` (over SFTP on a seedbox), which receives the
torrent's content path.
"""

from __future__ import annotations

import contextlib
import posixpath
import socket
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from rtorrent_rpc import RTorrent

from app.utils.clients.base import READ_TIMEOUT_S, ConnectionReport, not_configured, run_connection_test
from app.utils.clients.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.utils.clients.torrent import TorrentClient, TorrentFile, TorrentInfo, TorrentSource
from app.utils.settings_schema import Settings

SERVICE = "rTorrent"
#: Seconds to wait for rTorrent to show a download it was just given.
ADD_CONFIRM_S = 5.0
FIELDS = ("d.hash=", "d.name=", "d.size_bytes=", "d.completed_bytes=", "d.ratio=", "d.custom1=", "d.directory=",
          "d.base_path=", "d.complete=", "d.state=", "d.is_active=", "d.hashing=", "d.message=", "d.down.rate=",
          "d.up.rate=", "d.timestamp.started=", "d.timestamp.finished=", "d.is_multi_file=")


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) and value > 0 else None


class RTorrentClient(TorrentClient):
    """rTorrent at ``rtorrent_url`` (``scgi://host:port`` or ``http(s)://host/RPC2``); timeout in seconds.

    ``data_remover(content_path)`` deletes a torrent's data when :meth:`remove` is asked to.
    """

    service = SERVICE

    def __init__(self, address: str, timeout: float = READ_TIMEOUT_S,
                 data_remover: Callable[[str], None] | None = None):
        self.address = address
        self.timeout = timeout
        self.rpc = RTorrent(address, timeout=timeout)
        self.data_remover = data_remover

    @classmethod
    def from_settings(cls, settings: Settings, data_remover: Callable[[str], None] | None = None) -> RTorrentClient:
        """A client for ``rtorrent_url``."""
        return cls(settings.rtorrent_url, settings.service_timeout_s, data_remover)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except TimeoutError:
            raise UpstreamTimeout(SERVICE, f"no answer within {self.timeout:g} s") from None
        except (ConnectionError, socket.gaierror) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UpstreamUnavailable(SERVICE, f"cannot connect to {self.address}: {reason.lower()}") from None
        except xmlrpc.client.ProtocolError as exc:
            if exc.errcode in (401, 403):
                raise UpstreamAuthError(SERVICE, f"HTTP {exc.errcode}", setting="RTORRENT_URL") from None
            if exc.errcode >= 500:
                raise UpstreamServerError(SERVICE, f"server error (HTTP {exc.errcode})") from None
            raise UpstreamBadResponse(SERVICE, f"HTTP {exc.errcode}") from None
        except xmlrpc.client.Fault as exc:
            if "could not find info-hash" in str(exc.faultString).lower():
                raise UpstreamNotFound(SERVICE, "no such torrent") from None
            raise UpstreamBadResponse(SERVICE, f"rTorrent refused: {exc.faultString}") from None
        except (xmlrpc.client.ResponseError, OSError, ValueError) as exc:
            raise UpstreamBadResponse(SERVICE, f"unreadable answer ({exc})") from None

    def client_version(self) -> str:
        """``system.client_version``."""
        with self._guard():
            return str(self.rpc.system.client_version())

    def add(self, source: TorrentSource, *, label: str, save_path: str | None = None) -> str:
        """``load.raw_start_verbose`` (file) or ``load.start_verbose`` (magnet), with label and folder."""
        commands = [f'd.custom1.set="{label}"'] if label else []
        if save_path:
            commands.append(f'd.directory.set="{save_path}"')
        with self._guard():
            if source.torrent is not None:
                self.rpc.rpc.load.raw_start_verbose("", xmlrpc.client.Binary(source.torrent), *commands)
            else:
                self.rpc.rpc.load.start_verbose("", source.magnet, *commands)
        # rTorrent answers 0 even when it drops what it was given (a bad file, a magnet without
        # trackers and no DHT): check that the download exists.
        deadline = time.monotonic() + ADD_CONFIRM_S
        while True:
            with self._guard():
                if source.info_hash in {h.upper() for h in self.rpc.rpc.download_list("")}:
                    return source.info_hash
            if time.monotonic() > deadline:
                hint = " (a magnet without trackers needs DHT)" if source.magnet else ""
                raise UpstreamBadResponse(SERVICE, f"rTorrent did not take the torrent{hint}")
            time.sleep(0.1)

    def _info(self, row: list[Any], files: tuple[TorrentFile, ...] = ()) -> TorrentInfo:
        (info_hash, name, size, done, ratio, label, directory, base_path, complete, state, active, hashing,
         message, down, up, started, finished, multi) = row
        if hashing:
            status = "checking"
        elif message and not message.startswith("Tracker:"):  # tracker hiccups are not torrent errors
            status = "error"
        elif not state:
            status = "paused"
        elif complete:
            status = "seeding"
        else:
            status = "downloading" if active else "queued"
        save_path = posixpath.dirname(directory.rstrip("/")) if multi else directory
        return TorrentInfo(
            info_hash=info_hash.upper(), name=name, state=status, progress=(done / size) if size else 0.0,
            size=size, downloaded=done, ratio=ratio / 1000, label=label, save_path=save_path,
            content_path=base_path or posixpath.join(save_path, name), complete=bool(complete),
            added_at=_time(started), completed_at=_time(finished), download_speed=down, upload_speed=up, files=files)

    def torrents(self, label: str | None = None) -> list[TorrentInfo]:
        """``d.multicall2("", "main", ...)``."""
        with self._guard():
            rows = self.rpc.rpc.d.multicall2("", "main", *FIELDS)
        found = [self._info(r) for r in rows]
        return [t for t in found if label is None or t.label == label]

    def torrent(self, info_hash: str, *, with_files: bool = True) -> TorrentInfo:
        """One torrent (``d.*`` on its hash) and its files (``f.multicall``)."""
        with self._guard():
            calls = xmlrpc.client.MultiCall(self.rpc.rpc)
            for name in FIELDS:
                getattr(calls, name.rstrip("="))(info_hash.upper())
            row = list(calls())
            files: tuple[TorrentFile, ...] = ()
            if with_files:
                raw = self.rpc.rpc.f.multicall(info_hash.upper(), "", "f.path=", "f.size_bytes=",
                                               "f.completed_chunks=", "f.size_chunks=")
                files = tuple(TorrentFile(p, int(s), (c / t) if t else 0.0) for p, s, c, t in raw)
        return self._info(row, files)

    def remove(self, info_hash: str, *, delete_data: bool = False) -> None:
        """``d.erase``, then the data through ``data_remover`` when asked (never ``d.delete_tied``)."""
        info = self.torrent(info_hash, with_files=False)
        if delete_data and self.data_remover is None:
            raise UpstreamBadResponse(SERVICE, "deleting rTorrent data needs the seedbox SFTP settings")
        with self._guard():
            self.rpc.rpc.d.erase(info_hash.upper())
        if delete_data and self.data_remover is not None:
            self.data_remover(info.content_path)

    def test_connection(self) -> ConnectionReport:
        """Ask the client's version."""
        return run_connection_test(SERVICE, lambda: f"rTorrent {self.client_version()}")

    @classmethod
    def test_settings(cls, settings: Settings) -> ConnectionReport:
        """The Configuration page's test."""
        if not settings.rtorrent_url:
            return not_configured(SERVICE, "RTORRENT_URL")
        return cls.from_settings(settings).test_connection()
