"""``instance/trailer_database.json``: the trailer chosen (locked) or proposed for each movie and show.

Keys are ``movie_<tmdb_id>`` and ``tv_<tvdb_id>`` (DESIGN.md, JSON stores): the external ids other features
key on, never an *arr or Plex id. An entry::

    {"media_type", "external_id", "title", "year",
     "locked": None | {"video_id", "url", "title", "channel", "thumbnail", "duration_s", "language",
                       "source", "score", "locked_at"},
     "candidates": [same shape, best first, the last search's],
     "download": None | {"state": "done" | "failed", "path", "size", "error", "attempts", "at"}}

Status: ``LOCKED`` (a video chosen and kept), ``UNLOCKED`` (candidates found, none chosen), ``NONE``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.utils.stores.json_store import JsonStore

TRAILER_FILE = "trailer_database.json"
STATUSES = ("LOCKED", "UNLOCKED", "NONE")
KEY_RE = re.compile(r"^(movie|tv)_\d{1,10}$")


def trailer_key(media_type: str, external_id: int | str) -> str:
    """``movie_<tmdb_id>`` / ``tv_<tvdb_id>``; ``ValueError`` for another type or an id that is not a number."""
    if media_type not in ("movie", "tv"):
        raise ValueError(f"media type {media_type!r} is not movie or tv")
    key = f"{media_type}_{str(external_id).strip()}"
    if not KEY_RE.match(key):
        raise ValueError(f"{external_id!r} is not an external id")
    return key


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class TrailerManager:
    """The trailer database (one JSON store, FileLock-guarded writes; copies handed out)."""

    def __init__(self, instance_path: Path | str):
        self.store = JsonStore(Path(instance_path) / TRAILER_FILE, schema_version=1)

    def get_trailer_info(self, key: str) -> dict[str, Any] | None:
        """The entry of ``key`` (a copy), or ``None``."""
        return self.store.read().get(key)

    def get_trailer_status(self, key: str) -> str:
        """``LOCKED``, ``UNLOCKED`` or ``NONE``."""
        return status_of(self.store.read_shared().get(key))

    def statuses(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """``{key: {"status", "on_disk"}}`` for many keys at once (one read)."""
        data = self.store.read_shared()
        return {k: {"status": status_of(data.get(k)), "on_disk": on_disk(data.get(k))} for k in keys}

    def all_shared(self) -> dict[str, dict[str, Any]]:
        """Every entry, shared with other readers: read only."""
        return self.store.read_shared()

    def is_trailer_locked(self, key: str) -> bool:
        """Whether a video is locked for ``key``."""
        return self.get_trailer_status(key) == "LOCKED"

    def _entry(self, data: dict[str, Any], key: str, media: dict[str, Any]) -> dict[str, Any]:
        entry = data.setdefault(key, {"locked": None, "candidates": [], "download": None})
        entry.update({k: media[k] for k in ("media_type", "external_id", "title", "year") if k in media})
        return entry

    def set_candidates(self, key: str, media: dict[str, Any], candidates: list[dict[str, Any]]) -> dict[str, Any]:
        """Keep the last search's candidates (best first); the locked video is untouched."""
        def apply(data: dict[str, Any]) -> dict[str, Any]:
            entry = self._entry(data, key, media)
            entry["candidates"] = candidates
            return entry

        return self.store.update(apply)

    def lock_trailer(self, key: str, media: dict[str, Any], video: dict[str, Any]) -> dict[str, Any]:
        """Choose ``video`` (its metadata kept) for ``key``; a download of another video is forgotten."""
        def apply(data: dict[str, Any]) -> dict[str, Any]:
            entry = self._entry(data, key, media)
            previous = (entry.get("locked") or {}).get("video_id")
            entry["locked"] = {**video, "locked_at": _now()}
            if previous != video.get("video_id"):
                entry["download"] = None
            return entry

        return self.store.update(apply)

    def unlock_trailer(self, key: str) -> dict[str, Any] | None:
        """Forget the chosen video (the candidates stay); the entry, or ``None`` when there is none."""
        def apply(data: dict[str, Any]) -> dict[str, Any] | None:
            entry = data.get(key)
            if entry is not None:
                entry["locked"] = None
            return entry

        return self.store.update(apply)

    def set_download(self, key: str, **download: Any) -> dict[str, Any]:
        """Record a download's result: ``state`` done/failed, ``path``, ``size`` (bytes), ``error``;
        ``attempts`` counts the failures in a row."""
        def apply(data: dict[str, Any]) -> dict[str, Any]:
            entry = data[key]
            attempts = (entry.get("download") or {}).get("attempts", 0)
            attempts = attempts + 1 if download.get("state") == "failed" else 0
            entry["download"] = {"path": None, "size": None, "error": None, **download, "attempts": attempts,
                                 "at": _now()}
            return entry

        return self.store.update(apply)


def status_of(entry: dict[str, Any] | None) -> str:
    """The status of an entry (``NONE`` for no entry)."""
    if not entry:
        return "NONE"
    if entry.get("locked"):
        return "LOCKED"
    return "UNLOCKED" if entry.get("candidates") else "NONE"


def on_disk(entry: dict[str, Any] | None) -> bool:
    """Whether the entry's downloaded file is there now."""
    path = ((entry or {}).get("download") or {}).get("path")
    return bool(path) and Path(path).is_file()
