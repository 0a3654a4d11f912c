"""Sending releases to the seedbox's torrent client and tracking them in the pending map.

A route, a job and a test call these same functions. Each release of a batch is
sent in its own try/except with a pause between client calls; one failure never
stops the others, and the report says, per item, sent or failed and why.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from app.extensions import managers
from app.i18n import localized_detail, say, upstream_message
from app.search.service import result_cache
from app.utils.clients.errors import UpstreamError
from app.utils.clients.qbittorrent import QBittorrentClient
from app.utils.clients.rtorrent import RTorrentClient
from app.utils.clients.sftp import SftpClient, remove_tree
from app.utils.clients.torrent import TorrentClient, TorrentSource, TorrentSourceError, fetch_source
from app.utils.media.releases import parse_release, score_release
from app.utils.messages import N_, Refusal
from app.utils.settings_schema import Settings
from app.utils.stores.mapping_manager import Mapping, MappingError


def pending_entries(page: int = 1, page_size: int | None = None, state: str | None = None) -> dict[str, Any]:
    """One page of the pending map, newest first (read-only entries, for display), the way Sonarr pages
    its queue: ``{"entries", "total" (after the state filter), "page", "page_size", "counts" (by state,
    over all entries)}``; ``page_size`` ``None`` means every entry."""
    everything = managers().mapping.all_shared().values()
    counts: dict[str, int] = {}
    for entry in everything:
        counts[entry["state"]] = counts.get(entry["state"], 0) + 1
    chosen = [e for e in everything if state is None or e["state"] == state]
    chosen.sort(key=lambda e: e["created_at"], reverse=True)
    start = (page - 1) * page_size if page_size else 0
    shown = chosen[start:start + page_size] if page_size else chosen
    settings = managers().settings.load()
    shown = [_localized(e, settings) for e in shown]
    return {"entries": shown, "total": len(chosen), "page": page, "page_size": page_size or len(chosen),
            "counts": counts}


def _localized(entry: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A copy of a pending entry for display: its error and history details in the reader's language,
    ``next_try_at`` for a failed one."""
    shown = {**entry, "error": localized_detail(entry.get("error_message"), entry.get("error")),
             "history": [{**h, "detail": localized_detail(h, h.get("detail"))} for h in entry.get("history") or []]}
    if entry["state"].endswith("_failed"):
        shown["next_try_at"] = next_try_at(entry, settings)
    return shown


#: Seconds before a failed transfer is tried again on its own, doubled per attempt.
RETRY_BASE_S = 30


def next_try_at(entry: dict[str, Any], settings: Settings) -> str | None:
    """When the pipeline tries a failed entry again on its own (ISO 8601 UTC), or ``None``: a failed import,
    or a transfer out of attempts, waits for the user's retry."""
    attempts = int(entry.get("attempts") or 0)
    if entry["state"] != "transfer_failed" or attempts >= settings.transfer_max_attempts \
            or not entry.get("seedbox_path"):
        return None
    wait = RETRY_BASE_S * 2 ** max(attempts - 1, 0)
    return (datetime.fromisoformat(entry["updated_at"]) + timedelta(seconds=wait)).isoformat(timespec="seconds")


def remap_entry(info_hash: str, mapping: Mapping) -> dict[str, Any]:
    """Change what an entry is for, keeping its state and history. Raises ``EntryNotFound`` /
    ``TransitionError`` (a removed, importing or imported entry)."""
    return managers().mapping.remap(info_hash, mapping)


def forget_entry(info_hash: str) -> None:
    """Forget an entry (the torrent stays in the client). Raises ``EntryNotFound``."""
    managers().mapping.forget(info_hash)


def torrent_client(settings: Settings | None = None) -> TorrentClient:
    """The configured client; for rTorrent, data is deleted over SFTP (never ``d.delete_tied``)."""
    settings = settings or managers().settings.load()
    if settings.torrent_client == "rtorrent":
        remover = None
        if settings.sftp_host and settings.sftp_username:
            sftp = SftpClient.from_settings(settings, managers().host_keys)
            root = settings.sftp_remote_path

            def remover(path: str) -> None:
                remove_tree(sftp, path, root)

        return RTorrentClient.from_settings(settings, data_remover=remover)
    return QBittorrentClient.from_settings(settings)


@dataclass(frozen=True)
class SendItem:
    """One release to send: a search result id, a magnet or .torrent URL, or uploaded .torrent bytes."""

    result_id: str | None = None
    link: str | None = None
    torrent: bytes | None = None
    name: str | None = None


class SendError(Refusal):
    """A release could not be sent; the reason (``msgid`` + ``params``) is shown to the user in their
    language (:func:`app.i18n.say`); ``reason`` is it in English."""

    @property
    def reason(self) -> str:
        """The reason in English."""
        return str(self)


class AlreadyPending(SendError):
    """The release, or episodes of its season pack, are already in the pipeline; ``conflicts`` lists them.
    Nothing was sent: send again with ``confirm`` to go on."""

    def __init__(self, conflicts: list[str]):
        super().__init__(N_("already in the pipeline: %(items)s"), items="; ".join(conflicts))
        self.conflicts = conflicts


def pending_conflicts(info_hash: str | None, mapping: Mapping, release_name: str) -> list[str]:
    """What the pipeline already holds of this release: the same info hash (not removed), or, for a
    season pack of a series, entries of the same series and season with episodes (not removed)."""
    entries = managers().mapping.all_shared()
    found: list[str] = []
    if info_hash:
        same = entries.get(info_hash.upper())
        if same is not None and same["state"] != "removed":
            found.append(f"{same['release_name']} ({same['state']})")
    parsed = parse_release(release_name)
    season = mapping.season if mapping.season is not None else parsed.season
    if mapping.media_type == "tv" and season is not None and not (mapping.episodes or parsed.episodes):
        for entry in entries.values():
            same_series = (mapping.tvdb_id and entry.get("tvdb_id") == mapping.tvdb_id) or (
                mapping.sonarr_series_id and entry.get("sonarr_series_id") == mapping.sonarr_series_id)
            if (same_series and entry.get("season") == season and entry.get("episodes")
                    and entry["state"] != "removed" and entry["info_hash"] != (info_hash or "").upper()):
                episodes = ", ".join(f"E{e:02d}" for e in entry["episodes"])
                found.append(f"{entry['release_name']}: S{season:02d} {episodes} ({entry['state']})")
    return found


def inspect_source(link: str | None = None, torrent: bytes | None = None) -> dict[str, Any]:
    """What an added link or .torrent is, before the mapping dialog: ``name``, ``info_hash`` (``None``
    for a URL not fetched yet), the parsed ``title``/``year``/``season``/``episodes``, a ``media_type``
    guess and ``pending`` (what the pipeline already holds). Raises :class:`SendError` for a file that
    is not a .torrent or a text that is neither a magnet link nor an http(s) URL."""
    try:
        if torrent is not None:
            source = TorrentSource.from_torrent(torrent)
            name, info_hash = source.name, source.info_hash
        elif link and link.strip().startswith("magnet:"):
            source = TorrentSource.from_magnet(link.strip())
            name, info_hash = source.name, source.info_hash
        elif link and link.strip().startswith(("http://", "https://")):
            path = link.strip().split("?")[0].rstrip("/")
            name, info_hash = path.rsplit("/", 1)[-1].removesuffix(".torrent") or link.strip(), None
        else:
            raise SendError(N_("not a magnet link (magnet:?xt=urn:btih:…) nor an http(s) URL of a .torrent"))
    except TorrentSourceError as exc:
        raise SendError(exc.msgid, **exc.params) from None
    parsed = parse_release(name)
    pending = managers().mapping.all_shared().get((info_hash or "").upper()) if info_hash else None
    return {"name": name, "info_hash": info_hash, "title": parsed.title, "year": parsed.year,
            "season": parsed.season, "episodes": list(parsed.episodes),
            "media_type": "tv" if parsed.season is not None or parsed.episodes else "movie",
            "pending": {"state": pending["state"], "title": pending["title"]} if pending and
            pending["state"] != "removed" else None}


def _source(item: SendItem, settings: Settings) -> tuple[TorrentSource, str, dict[str, Any]]:
    extra: dict[str, Any] = {}
    if item.result_id:
        release = result_cache().get(item.result_id)
        if release is None:
            raise SendError(N_("this search result has expired: search again"))
        link = release.magnet_url if release.magnet_url and not release.download_url else release.download_url
        source = fetch_source(link or release.magnet_url, timeout=(3.05, settings.service_timeout_s))
        extra = {"indexer": release.indexer}
        return source, release.title, extra
    source = fetch_source(item.link, item.torrent, timeout=(3.05, settings.service_timeout_s))
    return source, item.name or source.name, extra


def send_one(item: SendItem, mapping: Mapping, settings: Settings | None = None,
             client: TorrentClient | None = None, confirm: bool = False,
             fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send one release and record it in the pending map (state ``downloading``) with ``fields`` (an
    upgrade's ``replaces``...); returns the entry.

    Raises :class:`SendError` with the reason (bad .torrent, client refused, client unreachable...).
    """
    settings = settings or managers().settings.load()
    client = client or torrent_client(settings)
    _torrent_cache().clear()
    try:
        source, name, extra = _source(item, settings)
        conflicts = [] if confirm else pending_conflicts(source.info_hash, mapping, name)
        if conflicts:
            raise AlreadyPending(conflicts)
        info_hash = client.add(source, label=settings.torrent_label, save_path=settings.torrent_save_path or None)
    except TorrentSourceError as exc:
        raise SendError(exc.msgid, **exc.params) from None
    except UpstreamError as exc:
        raise SendError(N_("%(detail)s"), detail=upstream_message(exc)) from None
    parsed = parse_release(name)
    if mapping.media_type == "tv" and not mapping.episodes and mapping.season is None:
        mapping = Mapping(**{**mapping.__dict__, "season": parsed.season, "episodes": parsed.episodes})
    score = score_release(parsed, None, settings.score_weights)
    return managers().mapping.add(
        info_hash, name, mapping, client=settings.torrent_client, label=settings.torrent_label,
        bytes_total=source.size, audio_class=parsed.audio_class, score=score.total, **extra, **(fields or {}))


def send_batch(items: list[SendItem], mapping: Mapping, pause_s: float | None = None,
               confirm: bool = False) -> list[dict[str, Any]]:
    """Send several releases mapped to one media; returns one report line per item, in order:
    ``{"name", "ok", "info_hash"?, "error"?, "already_pending"?: [what]}`` (an item already in the
    pipeline is not sent unless ``confirm``). A pause (seconds, settings) separates client calls."""
    settings = managers().settings.load()
    pause = settings.batch_pause_s if pause_s is None else pause_s
    client = torrent_client(settings)
    report: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if index and pause:
            time.sleep(pause)
        label = item.name or item.link or item.result_id or "upload"
        try:
            entry = send_one(item, mapping, settings, client, confirm=confirm)
        except AlreadyPending as exc:
            report.append({"name": label, "ok": False, "error": say(exc), "already_pending": exc.conflicts})
        except SendError as exc:
            report.append({"name": label, "ok": False, "error": say(exc)})
        except MappingError as exc:
            report.append({"name": label, "ok": False, "error": str(exc)})
        else:
            report.append({"name": entry["release_name"], "ok": True, "info_hash": entry["info_hash"]})
    return report


#: Seconds a torrent list (or the client's failure) is reused: the page polls, several browsers may watch,
#: and an unreachable client would otherwise be asked (and wait its connect timeout) on every request.
TORRENT_LIST_TTL_S = 2.0


class _TorrentListCache:
    """The last torrent list (or error) per client settings, for :data:`TORRENT_LIST_TTL_S` seconds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.at = 0.0
        self.value: list[Any] | UpstreamError | None = None

    def get(self, key: tuple, fetch: Callable[[], list[Any]]) -> list[Any]:
        with self.lock:
            if self.key != key or time.monotonic() - self.at > TORRENT_LIST_TTL_S:
                try:
                    self.value = fetch()
                except UpstreamError as exc:
                    self.value = exc
                self.key, self.at = key, time.monotonic()
            value = self.value
        if isinstance(value, UpstreamError):
            raise value
        return value

    def clear(self) -> None:
        with self.lock:
            self.key = None


def _torrent_cache() -> _TorrentListCache:
    return current_app.extensions.setdefault("mms_torrent_list", _TorrentListCache())


def list_torrents() -> dict[str, Any]:
    """The client's torrents with the pending-map entry of each (the client is asked at most every
    :data:`TORRENT_LIST_TTL_S` seconds; a send or a removal asks again). Raises an :class:`UpstreamError`."""
    settings = managers().settings.load()
    pending = managers().mapping.all_shared()
    key = (settings.torrent_client, settings.qbittorrent_url, settings.qbittorrent_username,
           settings.qbittorrent_password, settings.rtorrent_url)
    torrents = _torrent_cache().get(key, lambda: torrent_client(settings).torrents())
    rows = []
    for torrent in torrents:
        entry = pending.get(torrent.info_hash)
        rows.append({
            "info_hash": torrent.info_hash, "name": torrent.name, "state": torrent.state,
            "progress": torrent.progress, "size": torrent.size, "ratio": round(torrent.ratio, 3),
            "label": torrent.label, "complete": torrent.complete, "download_speed": torrent.download_speed,
            "upload_speed": torrent.upload_speed,
            "pending": {"state": entry["state"], "title": entry["title"], "media_type": entry["media_type"],
                        "season": entry.get("season"), "episodes": entry.get("episodes")} if entry else None,
        })
    return {"torrents": rows, "client": settings.torrent_client}


def remove_torrent(info_hash: str, delete_data: bool) -> None:
    """Remove a torrent from the client (data only when asked) and mark its pending entry removed."""
    _torrent_cache().clear()
    torrent_client().remove(info_hash, delete_data=delete_data)
    mapping = managers().mapping
    entry = mapping.all().get(info_hash.upper())
    if entry is not None and entry["state"] != "removed":
        mapping.transition(info_hash, "removed", "removed from the torrent client"
                           + (" with its data" if delete_data else ""))
