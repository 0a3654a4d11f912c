"""The library browser's data: a light in-memory index of each Plex section and of each account's plays.

Plex answers ``/library/sections/{id}/all`` for 20,000 movies in seconds, and per-user watched state exists
only in the play history (``accountID``), so the browser does not ask Plex on every page: it keeps, per
server and section, the light listing (:meth:`PlexClient.section_listing`) and the keys with French audio
(one ``audioLanguage=fra`` listing), and per account the keys played (:meth:`PlexClient.plays`, then only
the plays since the last read). Filtering, sorting and paging are then done here, in milliseconds.
An index older than :data:`INDEX_TTL_S` is read again; an edit updates its item at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from app.utils.clients.plex import PlexClient
from app.utils.text import fold

#: Seconds a section's index is used before it is read again from Plex.
INDEX_TTL_S = 300.0
#: Seconds an account's plays are used before the new ones are asked for.
PLAYS_TTL_S = 30.0
#: Seconds the list of sections is used before it is read again.
SECTIONS_TTL_S = 60.0
#: ISO 639-2 code Plex gives French audio streams.
FRENCH = "fra"


@dataclass
class SectionIndex:
    """One section's items (light dicts of ``section_listing`` plus ``folded`` title and ``french``)."""

    items: list[dict[str, Any]]
    by_key: dict[int, dict[str, Any]]
    built_at: float


@dataclass
class AccountPlays:
    """One account's plays: ``keys`` (movies and episodes played), ``episodes_by_show`` (show key -> episode
    keys), ``latest`` (unix s of the newest play read)."""

    keys: set[int] = field(default_factory=set)
    episodes_by_show: dict[int, set[int]] = field(default_factory=dict)
    latest: int = 0
    read_at: float = 0.0


class LibraryCache:
    """Indexes and plays, per Plex server URL; thread-safe (one build at a time per section)."""

    def __init__(self) -> None:
        self._sections: dict[tuple[str, int], SectionIndex] = {}
        self._plays: dict[tuple[str, int], AccountPlays] = {}
        self._lock = threading.Lock()
        self._build_locks: dict[tuple[str, int], threading.Lock] = {}
        self._section_lists: dict[str, tuple[float, list[Any]]] = {}

    def clear(self) -> None:
        """Forget everything (tests, a new server)."""
        with self._lock:
            self._sections.clear()
            self._plays.clear()
            self._section_lists.clear()

    def section_list(self, client: PlexClient, fresh: bool = False) -> list[Any]:
        """The server's sections (:meth:`PlexClient.sections`), read again after :data:`SECTIONS_TTL_S`."""
        with self._lock:
            found = self._section_lists.get(client.base_url)
        if found is not None and not fresh and time.monotonic() - found[0] < SECTIONS_TTL_S:
            return found[1]
        sections = client.sections()
        with self._lock:
            self._section_lists[client.base_url] = (time.monotonic(), sections)
        return sections

    def section(self, client: PlexClient, section_key: int, section_type: str, fresh: bool = False) -> SectionIndex:
        """The index of a section, read from Plex when missing, older than :data:`INDEX_TTL_S` or ``fresh``.
        Raises the client's ``UpstreamError``."""
        cache_key = (client.base_url, int(section_key))
        with self._lock:
            found = self._sections.get(cache_key)
            build_lock = self._build_locks.setdefault(cache_key, threading.Lock())
        if found is not None and not fresh and time.monotonic() - found.built_at < INDEX_TTL_S:
            return found
        with build_lock:
            with self._lock:
                again = self._sections.get(cache_key)
            if again is not None and again is not found and not fresh:
                return again
            index = _build(client, int(section_key), section_type)
            with self._lock:
                self._sections[cache_key] = index
            return index

    def update_item(self, client: PlexClient, section_key: int, rating_key: int, **values: Any) -> None:
        """Change an indexed item at once after an edit (``title`` refolds the search text)."""
        with self._lock:
            index = self._sections.get((client.base_url, int(section_key)))
            item = index.by_key.get(int(rating_key)) if index else None
            if item is not None:
                item.update(values)
                if "title" in values:
                    item["folded"] = fold(str(values["title"]))
                if "title_sort" in values:
                    item["sort_key"] = fold(str(values["title_sort"]))

    def plays(self, client: PlexClient, account_id: int) -> AccountPlays:
        """An account's plays: read whole the first time, then only the newer ones every
        :data:`PLAYS_TTL_S`. Raises the client's ``UpstreamError``."""
        cache_key = (client.base_url, int(account_id))
        with self._lock:
            known = self._plays.get(cache_key)
        if known is not None and time.monotonic() - known.read_at < PLAYS_TTL_S:
            return known
        new = client.plays(account_id, since=known.latest if known else None)
        plays = AccountPlays(set(known.keys), {k: set(v) for k, v in known.episodes_by_show.items()},
                             known.latest) if known else AccountPlays()
        for rating_key, show_key, viewed_at in new:
            plays.keys.add(rating_key)
            if show_key is not None:
                plays.episodes_by_show.setdefault(show_key, set()).add(rating_key)
            plays.latest = max(plays.latest, viewed_at)
        plays.read_at = time.monotonic()
        with self._lock:
            self._plays[cache_key] = plays
        return plays


def _build(client: PlexClient, section_key: int, section_type: str) -> SectionIndex:
    items = client.section_listing(section_key)
    if section_type == "show":
        french_keys = {e["grandparent_key"] for e in client.section_listing(section_key, "episode", FRENCH)}
    else:
        french_keys = {i["rating_key"] for i in client.section_listing(section_key, audio_language=FRENCH)}
    for item in items:
        item["folded"] = fold(item["title"])
        item["sort_key"] = fold(item["title_sort"])
        item["french"] = item["rating_key"] in french_keys
    return SectionIndex(items, {i["rating_key"]: i for i in items}, time.monotonic())


#: The process's cache (one Plex server per MMS, but keyed by URL so a changed setting starts afresh).
CACHE = LibraryCache()
