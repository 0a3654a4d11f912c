"""Owner of ``instance/pending_torrents_map.json``: the pending map and its state machine.

DESIGN.md, "The pending map": entries keyed by info hash (40 upper-case hex),
``downloading -> completed -> transferring -> transferred -> importing -> imported``
with ``transfer_failed`` / ``import_failed`` (retryable, reason and attempt count)
and ``removed``. Only this manager changes a state; a transition the machine
does not allow raises :class:`TransitionError`. Every change is appended to the
entry's history as ``{"state", "time", "detail"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.utils.events import EventBus
from app.utils.settings_schema import N_
from app.utils.stores.json_store import JsonStore

PENDING_FILE = "pending_torrents_map.json"
INFO_HASH_RE = re.compile(r"^[0-9A-F]{40}$")

STATES = ("downloading", "completed", "transferring", "transferred", "importing", "imported", "transfer_failed",
          "import_failed", "removed")
#: Allowed transitions (state -> next states).
TRANSITIONS: dict[str, frozenset[str]] = {
    "downloading": frozenset({"completed", "removed", "transfer_failed"}),
    "completed": frozenset({"transferring", "transfer_failed", "removed", "downloading"}),
    "transferring": frozenset({"transferred", "transfer_failed", "completed", "removed"}),
    "transfer_failed": frozenset({"downloading", "completed", "transferring", "removed"}),
    "transferred": frozenset({"importing", "import_failed", "removed"}),
    "importing": frozenset({"imported", "import_failed", "transferred", "removed"}),
    "import_failed": frozenset({"transferred", "importing", "removed"}),
    "imported": frozenset({"removed"}),
    "removed": frozenset(),
}
#: States in which an entry may be re-mapped (before its import, or after a failed one).
REMAPPABLE = frozenset({"downloading", "completed", "transferring", "transferred", "transfer_failed",
                        "import_failed"})
#: Fields a caller may set when adding an entry (besides the info hash and release name).
ENTRY_FIELDS = ("media_type", "title", "year", "tmdb_id", "tvdb_id", "imdb_id", "sonarr_series_id",
                "radarr_movie_id", "season", "episodes", "client", "label", "seedbox_path", "staging_path",
                "bytes_total", "indexer", "score", "audio_class", "replaces", "upgrade_id", "upgrade_audio_class")


class MappingError(ValueError):
    """Bad input for the pending map (the message says which field)."""


class TransitionError(MappingError):
    """The state machine does not allow this change."""


class EntryNotFound(MappingError):
    """No entry for that info hash."""


def detail_message(msgid: str, params: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """``(English text, {"msgid", "params"})`` of a history detail; a text that does not format with its
    params is kept as it is."""
    params = {k: v if isinstance(v, int | float) else str(v) for k, v in (params or {}).items()}
    try:
        text = msgid % params if params else msgid
    except (KeyError, TypeError, ValueError):
        text = msgid
    return text, {"msgid": msgid, "params": params}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def normalize_hash(info_hash: str) -> str:
    """Upper-case 40-hex info hash; raises :class:`MappingError`."""
    value = (info_hash or "").strip().upper()
    if not INFO_HASH_RE.match(value):
        raise MappingError(f"not an info hash: {info_hash!r}")
    return value


@dataclass(frozen=True)
class Mapping:
    """What a release is for: ``media_type`` movie or tv, external ids, *arr ids, season/episodes."""

    media_type: str
    title: str
    year: int | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    sonarr_series_id: int | None = None
    radarr_movie_id: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.media_type not in ("movie", "tv"):
            raise MappingError("media_type must be movie or tv")
        if not self.title.strip():
            raise MappingError("title is empty")
        if self.media_type == "movie" and not (self.tmdb_id or self.radarr_movie_id or self.imdb_id):
            raise MappingError("a movie needs a TMDB id, an IMDb id or a Radarr movie")
        if self.media_type == "tv" and not (self.tvdb_id or self.sonarr_series_id or self.tmdb_id):
            raise MappingError("a series needs a TVDB id, a TMDB id or a Sonarr series")


def _mapping_values(mapping: Mapping) -> dict[str, Any]:
    """The entry fields a :class:`Mapping` sets."""
    return {"media_type": mapping.media_type, "title": mapping.title, "year": mapping.year,
            "tmdb_id": mapping.tmdb_id, "tvdb_id": mapping.tvdb_id, "imdb_id": mapping.imdb_id,
            "sonarr_series_id": mapping.sonarr_series_id, "radarr_movie_id": mapping.radarr_movie_id,
            "season": mapping.season, "episodes": list(mapping.episodes)}


class MappingManager:
    """The pending map: ``{info_hash: entry}``."""

    def __init__(self, instance_path: Path | str, events: EventBus | None = None):
        #: Where state changes are published (``pipeline.added``, ``pipeline.state``), when given.
        self.events = events
        self.store = JsonStore(Path(instance_path) / PENDING_FILE, schema_version=1)

    def all(self) -> dict[str, dict[str, Any]]:
        """Every entry by info hash (the caller's own copy)."""
        return self.store.read()

    def all_shared(self) -> dict[str, dict[str, Any]]:
        """Every entry by info hash, shared with other readers (no parse while the file is unchanged):
        for read-only use, such as answering the API; never modify it."""
        return self.store.read_shared()

    def get(self, info_hash: str) -> dict[str, Any]:
        """One entry; raises :class:`EntryNotFound`."""
        entry = self.store.read().get(normalize_hash(info_hash))
        if entry is None:
            raise EntryNotFound(f"no pending entry for {info_hash}")
        return entry

    def add(self, info_hash: str, release_name: str, mapping: Mapping, **fields: Any) -> dict[str, Any]:
        """Record a release just sent to the client, in state ``downloading``.

        Adding an info hash already present (not removed) refreshes its mapping and keeps its history.
        """
        key = normalize_hash(info_hash)
        unknown = set(fields) - set(ENTRY_FIELDS)
        if unknown:
            raise MappingError(f"unknown fields: {', '.join(sorted(unknown))}")
        now = _now()
        values = {**_mapping_values(mapping), **fields}

        def apply(data: dict[str, Any]) -> dict[str, Any]:
            entry = data.get(key)
            if entry is not None and entry["state"] != "removed":
                entry.update(values, release_name=release_name, updated_at=now)
                entry["history"].append({"state": entry["state"], "time": now, "detail": "mapping updated",
                                         "msgid": N_("mapping updated"), "params": {}})
                return entry
            entry = {"info_hash": key, "release_name": release_name, "state": "downloading", "created_at": now,
                     "updated_at": now, "bytes_done": 0, "bytes_total": None, "client": None, "label": None,
                     "seedbox_path": None, "staging_path": None, "attempts": 0, "error": None, "progress": None,
                     "history": [{"state": "downloading", "time": now, "detail": "sent to the torrent client",
                                  "msgid": N_("sent to the torrent client"), "params": {}}]}
            entry.update(values)
            data[key] = entry
            return entry

        entry = self.store.update(apply)
        if self.events is not None:
            self.events.publish("pipeline.added", info_hash=key, release=release_name, title=entry.get("title"))
        return entry

    def remap(self, info_hash: str, mapping: Mapping) -> dict[str, Any]:
        """Change what an entry is for, keeping its state and history (a guarded change: only in
        :data:`REMAPPABLE` states, else :class:`TransitionError`). Raises :class:`EntryNotFound`."""
        key = normalize_hash(info_hash)
        values = _mapping_values(mapping)

        def apply(data: dict[str, Any]) -> dict[str, Any]:
            entry = data.get(key)
            if entry is None:
                raise EntryNotFound(f"no pending entry for {info_hash}")
            if entry["state"] not in REMAPPABLE:
                raise TransitionError(f"an entry in state {entry['state']} cannot be re-mapped")
            now = _now()
            old = f"{entry.get('title')} ({entry.get('media_type')})"
            entry.update(values, updated_at=now)
            text, message = detail_message(N_("re-mapped from %(old)s to %(new)s"),
                                     {"old": old, "new": f"{mapping.title} ({mapping.media_type})"})
            entry["history"].append({"state": entry["state"], "time": now, "detail": text, **message})
            return entry

        return self.store.update(apply)

    def transition(self, info_hash: str, state: str, detail: str = "", *, detail_params: dict[str, Any] | None = None,
                   **fields: Any) -> dict[str, Any]:
        """Move an entry to ``state`` (allowed by :data:`TRANSITIONS`), recording ``detail``.

        ``detail`` is a message id (English, marked with ``N_``) with ``%(name)s`` places filled from
        ``detail_params``; the history keeps the English text and the id + params, so pages show it in the
        reader's language (:func:`app.i18n.localized_detail`). ``*_failed`` states count an attempt and keep
        ``detail`` as the ``error``. Extra ``fields`` (``seedbox_path``, ``staging_path``, ``bytes_done``...)
        are stored with the change.
        """
        text, message = detail_message(detail, detail_params)
        key = normalize_hash(info_hash)
        if state not in STATES:
            raise MappingError(f"unknown state {state}")

        def apply(data: dict[str, Any]) -> dict[str, Any]:
            entry = data.get(key)
            if entry is None:
                raise EntryNotFound(f"no pending entry for {info_hash}")
            if state not in TRANSITIONS[entry["state"]]:
                raise TransitionError(f"{entry['state']} -> {state} is not allowed")
            now = _now()
            entry.update(fields, state=state, updated_at=now)
            if state.endswith("_failed"):
                entry["attempts"] = int(entry.get("attempts") or 0) + 1
                entry["error"], entry["error_message"] = text, message
            elif state not in ("removed",):
                entry["error"] = entry["error_message"] = None
            entry["history"].append({"state": state, "time": now, "detail": text, **message})
            return entry

        entry = self.store.update(apply)
        if self.events is not None:
            self.events.publish("pipeline.state", info_hash=key, state=state, release=entry.get("release_name"),
                                title=entry.get("title"), detail=message)
        return entry

    def update_progress(self, info_hash: str, **progress: Any) -> None:
        """Store progress figures (``bytes_done``, ``bytes_total``, ``progress`` dict) without a transition;
        published as ``pipeline.progress`` (the live hub keeps at most two a second per entry)."""
        key = normalize_hash(info_hash)

        def apply(data: dict[str, Any]) -> None:
            if key in data:
                data[key].update(progress, updated_at=_now())

        self.store.update(apply)
        if self.events is not None:
            self.events.publish("pipeline.progress", info_hash=key, bytes_done=progress.get("bytes_done"))

    def forget(self, info_hash: str) -> None:
        """Delete an entry entirely (the user's "forget")."""
        key = normalize_hash(info_hash)

        def apply(data: dict[str, Any]) -> None:
            if data.pop(key, None) is None:
                raise EntryNotFound(f"no pending entry for {info_hash}")

        self.store.update(apply)
