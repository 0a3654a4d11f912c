"""Incomplete collections (TMDB's sagas: ``belongs_to_collection`` of a movie, ``/collection/{id}``): the
released movies of a collection the library holds part of, and does not hold.

The library's movies are those the quality probe measured with a TMDB id in their folder name
(:func:`app.upgrades.service.library_items`) and, when Plex is set, Plex's movies with a TMDB GUID.

TMDB has no "collections of these movies" call: each movie is one details call. A memory
(``instance/assistant_collections.json``) keeps what was read, so a report makes at most :data:`LOOKUPS`
calls: movies never looked up first, then the oldest lookups past :data:`REFRESH_DAYS`, and collections
read again after the same delay. A large library is covered over several reports (the report says how far);
after that a report costs a few calls.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from app.extensions import managers
from app.utils.clients.errors import UpstreamError, UpstreamNotFound
from app.utils.clients.plex import PlexClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.stores.json_store import JsonStore

log = logging.getLogger(__name__)
FILE = "assistant_collections.json"
#: TMDB calls per report (movie details and collections together).
LOOKUPS = 60
#: A lookup older than this is made again (a movie joins a collection, a collection gains a movie).
REFRESH_DAYS = 30


def memory() -> JsonStore:
    """``instance/assistant_collections.json``: ``{"movies": {tmdb id: {"collection": id or None, "at"}},
    "collections": {id: {"name", "parts": [{"id", "title", "year", "release_date"}], "at"}}}`` (ISO times)."""
    return managers().extra_store(FILE)


def owned_movies(settings: Any) -> tuple[set[int], str | None]:
    """TMDB ids of the library's movies, and why Plex could not be read (``None`` when it was, or is not
    set)."""
    from app.upgrades.service import library_items

    owned = {i["tmdb_id"] for i in library_items(settings) if i["media_type"] == "movie" and i.get("tmdb_id")}
    if not (settings.plex_url and settings.plex_token):
        return owned, None
    try:
        plex = PlexClient.from_settings(settings)
        owned |= {int(i.guids["tmdb"]) for i in plex.movies() if str(i.guids.get("tmdb", "")).isdigit()}
    except UpstreamError as exc:
        return owned, str(exc)
    return owned, None


def _stale(entry: Any, now: datetime) -> bool:
    if not isinstance(entry, dict) or not entry.get("at"):
        return True
    try:
        return datetime.fromisoformat(entry["at"]) < now - timedelta(days=REFRESH_DAYS)
    except ValueError:
        return True


def _look_up(tmdb: TmdbClient, owned: set[int], known: dict[str, Any], now: datetime) -> tuple[dict, dict, int]:
    """Read what is due within :data:`LOOKUPS` calls: ``(movies read, collections read, calls made)``. A
    movie TMDB no longer knows is remembered outside any collection; other failures raise ``UpstreamError``."""
    stamp = now.isoformat(timespec="seconds")
    movies, collections, calls = {}, {}, 0
    due = sorted((m for m in owned if _stale(known["movies"].get(str(m)), now)),
                 key=lambda m: ((known["movies"].get(str(m)) or {}).get("at") or "", m))
    for movie_id in due:
        if calls >= LOOKUPS:
            break
        calls += 1
        try:
            movies[str(movie_id)] = {"collection": tmdb.movie(movie_id).collection_id, "at": stamp}
        except UpstreamNotFound:
            movies[str(movie_id)] = {"collection": None, "at": stamp}
    wanted = {e["collection"] for e in {**known["movies"], **movies}.values() if e.get("collection")}
    for collection_id in sorted(wanted):
        if calls >= LOOKUPS:
            break
        if not _stale(known["collections"].get(str(collection_id)), now):
            continue
        calls += 1
        try:
            saga = tmdb.collection(collection_id)
        except UpstreamNotFound:
            continue
        collections[str(collection_id)] = {
            "name": saga.name, "at": stamp,
            "parts": [{"id": p.id, "title": p.title, "year": p.year, "release_date": p.release_date}
                      for p in saga.parts]}
    return movies, collections, calls


def incomplete(now: datetime | None = None) -> tuple[list[dict[str, Any]], str | None, dict[str, int]]:
    """The released movies missing from collections the library holds part of, as facts items (target
    ``tmdb:movie:<id>``, kind ``download``: a request for it), the error that stopped the lookups (kept
    lookups are saved), and ``{"movies", "looked_up", "calls", "collections"}`` counts."""
    now = now or datetime.now(UTC)
    counts = {"movies": 0, "looked_up": 0, "calls": 0, "collections": 0}
    settings = managers().settings.load()
    if not settings.tmdb_api_key:
        return [], None, counts
    owned, error = owned_movies(settings)
    counts["movies"] = len(owned)

    def stored(data: Any) -> dict[str, Any]:
        data = data if isinstance(data, dict) else {}
        return {"movies": dict(data.get("movies") or {}), "collections": dict(data.get("collections") or {})}

    known = stored(memory().read())
    try:
        movies, collections, counts["calls"] = _look_up(TmdbClient.from_settings(settings), owned, known, now)
    except UpstreamError as exc:
        movies, collections, error = {}, {}, str(exc)

    def save(data: Any) -> dict[str, Any]:
        merged = stored(data)
        merged["movies"] = {k: v for k, v in {**merged["movies"], **movies}.items() if int(k) in owned}
        merged["collections"].update(collections)
        used = {str(v["collection"]) for v in merged["movies"].values() if v.get("collection")}
        merged["collections"] = {k: v for k, v in merged["collections"].items() if k in used}
        data.clear()
        data.update(merged)
        return merged
    known = memory().update(save)
    counts["looked_up"] = sum(1 for m in owned if not _stale(known["movies"].get(str(m)), now))
    today = now.date().isoformat()
    found: list[dict[str, Any]] = []
    for saga in sorted(known["collections"].values(), key=lambda saga: saga["name"]):
        released = [p for p in saga["parts"] if p.get("release_date") and p["release_date"] <= today]
        missing = [p for p in released if p["id"] not in owned]
        if not missing:  # the memory keeps only the collections of movies the library holds
            continue
        counts["collections"] += 1
        for part in missing:
            title = f"{part['title']} ({part['year']})" if part.get("year") else part["title"]
            found.append({"target": f"tmdb:movie:{part['id']}", "title": title,
                          "detail": f"{saga['name']}: {len(released) - len(missing)}/{len(released)}",
                          "kinds": ["download"]})
    return found, error, counts

