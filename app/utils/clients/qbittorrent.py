"""qBittorrent Web API client, through qbittorrent-api (``shared/specs/qbittorrent/``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

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

SERVICE = "qBittorrent"
#: qBittorrent's states (WebUI API, torrents/info) -> MMS's.
STATES = {
    "downloading": "downloading", "forcedDL": "downloading", "metaDL": "downloading",
    "forcedMetaDL": "downloading", "stalledDL": "stalled", "uploading": "seeding", "forcedUP": "seeding",
    "stalledUP": "seeding", "pausedUP": "paused", "stoppedUP": "paused", "pausedDL": "paused",
    "stoppedDL": "paused", "queuedDL": "queued", "queuedUP": "queued", "checkingDL": "checking",
    "checkingUP": "checking", "checkingResumeData": "checking", "allocating": "checking", "moving": "checking",
    "error": "error", "missingFiles": "error",
}


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) and value > 0 else None


class QBittorrentClient(TorrentClient):
    """qBittorrent at ``qbittorrent_url`` with ``qbittorrent_username`` / ``qbittorrent_password``."""

    service = SERVICE

    def __init__(self, base_url: str, username: str, password: str,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)):
        self.base_url = base_url
        self.timeout = timeout
        self.api = qbittorrentapi.Client(
            host=base_url, username=username, password=password, REQUESTS_ARGS={"timeout": timeout},
            RAISE_NOTIMPLEMENTEDERROR_FOR_UNIMPLEMENTED_API_ENDPOINTS=True, VERIFY_WEBUI_CERTIFICATE=True,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> QBittorrentClient:
        """A client for the qBittorrent settings."""
        return cls(settings.qbittorrent_url, settings.qbittorrent_username, settings.qbittorrent_password,
                   timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s))

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """qbittorrent-api's errors -> the typed errors."""
        try:
            yield
        except (qbittorrentapi.LoginFailed, qbittorrentapi.Forbidden403Error, qbittorrentapi.Unauthorized401Error):
            raise UpstreamAuthError(SERVICE, "user name or password refused", setting="QBITTORRENT_PASSWORD") from None
        except qbittorrentapi.NotFound404Error as exc:
            raise UpstreamNotFound(SERVICE, str(exc) or "not found") from None
        except qbittorrentapi.APIConnectionError as exc:
            cause = exc.__context__ or exc
            if isinstance(cause, requests.Timeout) or "timed out" in str(exc).lower():
                raise UpstreamTimeout(SERVICE, f"no answer within {self.timeout[1]:g} s") from None
            raise UpstreamUnavailable(
                SERVICE, f"cannot connect to {self.base_url}: {describe_connection_error(exc)}") from None
        except qbittorrentapi.HTTP5XXError as exc:
            raise UpstreamServerError(SERVICE, f"server error ({exc})") from None
        except qbittorrentapi.HTTPError as exc:
            raise UpstreamBadResponse(SERVICE, f"request refused ({exc})") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise UpstreamBadResponse(SERVICE, f"unreadable answer ({type(exc).__name__})") from None

    def login(self) -> None:
        """Log in (qbittorrent-api also logs in again by itself when the session expires)."""
        with self._guard():
            self.api.auth_log_in()

    def version(self) -> str:
        """The client's version, e.g. ``v4.5.2``."""
        with self._guard():
            return str(self.api.app.version)

    def add(self, source: TorrentSource, *, label: str, save_path: str | None = None) -> str:
        """``POST /api/v2/torrents/add`` (magnet or file) with the category and save path."""
        kwargs: dict[str, Any] = {"category": label or None, "save_path": save_path or None}
        with self._guard():
            if source.torrent is not None:
                answer = self.api.torrents_add(torrent_files={f"{source.info_hash}.torrent": source.torrent}, **kwargs)
            else:
                answer = self.api.torrents_add(urls=source.magnet, **kwargs)
        if str(answer).strip().lower().startswith("fail"):
            with self._guard():
                existing = self.api.torrents_info(torrent_hashes=source.info_hash.lower())
            if not existing:
                raise UpstreamBadResponse(SERVICE, "qBittorrent refused the torrent")
        return source.info_hash

    def _info(self, raw: Any, files: tuple[TorrentFile, ...] = ()) -> TorrentInfo:
        progress = float(raw.get("progress") or 0)
        return TorrentInfo(
            info_hash=str(raw["hash"]).upper(), name=raw.get("name", ""), state=STATES.get(raw.get("state"), "unknown"),
            progress=progress, size=int(raw.get("size") or raw.get("total_size") or 0),
            downloaded=int(raw.get("completed") or raw.get("downloaded") or 0), ratio=float(raw.get("ratio") or 0),
            label=raw.get("category") or "", save_path=raw.get("save_path", ""),
            content_path=raw.get("content_path", ""), complete=progress >= 1.0 or raw.get("amount_left") == 0,
            added_at=_time(raw.get("added_on")), completed_at=_time(raw.get("completion_on")),
            download_speed=int(raw.get("dlspeed") or 0), upload_speed=int(raw.get("upspeed") or 0), files=files)

    def torrents(self, label: str | None = None) -> list[TorrentInfo]:
        """``GET /api/v2/torrents/info`` (optionally one category)."""
        with self._guard():
            return [self._info(t) for t in self.api.torrents_info(category=label)]

    def torrent(self, info_hash: str, *, with_files: bool = True) -> TorrentInfo:
        """One torrent with its files."""
        with self._guard():
            found = self.api.torrents_info(torrent_hashes=info_hash.lower())
            if not found:
                raise UpstreamNotFound(SERVICE, f"no torrent {info_hash}")
            files = tuple(TorrentFile(f["name"], int(f["size"]), float(f.get("progress") or 0))
                          for f in self.api.torrents_files(torrent_hash=info_hash.lower())) if with_files else ()
            return self._info(found[0], files)

    def remove(self, info_hash: str, *, delete_data: bool = False) -> None:
        """``POST /api/v2/torrents/delete`` (``deleteFiles`` only when asked)."""
        self.torrent(info_hash, with_files=False)
        with self._guard():
            self.api.torrents_delete(delete_files=delete_data, torrent_hashes=info_hash.lower())

    def test_connection(self) -> ConnectionReport:
        """Log in and read the version."""
        def probe() -> str:
            self.login()
            return f"qBittorrent {self.version()}"

        return run_connection_test(SERVICE, probe)

    @classmethod
    def test_settings(cls, settings: Settings) -> ConnectionReport:
        """The Configuration page's test for the saved or form settings."""
        if not settings.qbittorrent_url:
            return not_configured(SERVICE, "QBITTORRENT_URL")
        return cls.from_settings(settings).test_connection()
