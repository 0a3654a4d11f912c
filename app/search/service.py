"""Search across indexers, parse and score, filter; media-driven queries; the result cache.

Indexers are searched in parallel (one thread each); one failing indexer is
reported with its reason and never hides the others. Result links (which may
carry a passkey or Prowlarr's API key) stay on the server: the browser gets a
result id, resolved by :class:`ResultCache` when the user sends a release.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from app.extensions import managers
from app.utils.clients.errors import UpstreamError
from app.utils.clients.prowlarr import ProwlarrClient
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.torznab import MOVIE_CATEGORIES, TV_CATEGORIES, Release, TorznabClient
from app.utils.media.releases import describe, matches_filters, parse_many, rank_key, score_release
from app.utils.settings_schema import Settings
from app.utils.urls import public_url

#: Seconds a search's results can still be sent to the client.
RESULT_TTL_S = 4 * 3600
#: Results kept in memory at most.
RESULT_CACHE_SIZE = 20_000
#: Indexers searched at once.
MAX_PARALLEL_INDEXERS = 8


@dataclass
class SearchParams:
    """One search: free text and/or ids, kind ``search``/``tvsearch``/``movie``, optional filters."""

    query: str = ""
    kind: str = "search"
    season: int | None = None
    episode: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    tmdb_id: int | None = None
    categories: tuple[int, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)


class ResultCache:
    """Search results by id (thread-safe, bounded, expiring): the links never reach the browser."""

    def __init__(self, size: int = RESULT_CACHE_SIZE, ttl_s: float = RESULT_TTL_S):
        self._items: OrderedDict[str, tuple[float, Release]] = OrderedDict()
        self._lock = threading.Lock()
        self.size, self.ttl_s = size, ttl_s

    def put(self, release: Release) -> str:
        """Store a result; returns its id."""
        result_id = uuid.uuid4().hex
        with self._lock:
            self._items[result_id] = (time.monotonic(), release)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return result_id

    def get(self, result_id: str) -> Release | None:
        """The result, or ``None`` when unknown or expired."""
        with self._lock:
            found = self._items.get(result_id)
        if found is None or time.monotonic() - found[0] > self.ttl_s:
            return None
        return found[1]


def result_cache() -> ResultCache:
    """The app's result cache."""
    return current_app.extensions.setdefault("mms_result_cache", ResultCache())


def _indexers(settings: Settings) -> tuple[list[TorznabClient], list[dict[str, Any]]]:
    """Torznab clients for every configured indexer, and the failures met listing them."""
    timeout = (3.05, settings.service_timeout_s)
    clients: list[TorznabClient] = []
    failures: list[dict[str, Any]] = []
    if settings.prowlarr_url and settings.prowlarr_api_key:
        prowlarr = ProwlarrClient.from_settings(settings)
        try:
            clients += [prowlarr.torznab(i) for i in prowlarr.indexers()]
        except UpstreamError as exc:
            failures.append({"indexer": "Prowlarr", "ok": False, "count": 0, "error": str(exc), "elapsed_ms": 0})
    for indexer in settings.torznab_indexers:
        clients.append(TorznabClient(indexer.url, indexer.api_key, indexer=indexer.name,
                                     auth_setting=f"TORZNAB_INDEXERS ({indexer.name})", timeout=timeout))
    return clients, failures


def _search_one(client: TorznabClient, params: SearchParams) -> tuple[list[Release], dict[str, Any]]:
    start = time.monotonic()
    try:
        found = client.search(params.query, kind=params.kind, categories=params.categories, season=params.season,
                              episode=params.episode, imdb_id=params.imdb_id, tvdb_id=params.tvdb_id,
                              tmdb_id=params.tmdb_id)
    except UpstreamError as exc:
        return [], {"indexer": client.indexer, "ok": False, "count": 0, "error": exc.message,
                    "elapsed_ms": int((time.monotonic() - start) * 1000)}
    return found, {"indexer": client.indexer, "ok": True, "count": len(found), "error": None,
                   "elapsed_ms": int((time.monotonic() - start) * 1000)}


def search(params: SearchParams) -> dict[str, Any]:
    """Search every indexer; returns ``{"results": [...], "indexers": [...], "message": str | None}``.

    Each result: the parse fields, ``score`` and ``score_breakdown``, ``size`` (bytes), ``seeders``,
    ``leechers``, ``age_hours``, ``indexer``, ``info_hash``, ``id`` (to send it), sorted best first.
    """
    settings = managers().settings.load()
    if not params.categories:
        params.categories = TV_CATEGORIES if params.kind == "tvsearch" else \
            MOVIE_CATEGORIES if params.kind == "movie" else ()
    clients, statuses = _indexers(settings)
    if not clients and not statuses:
        return {"results": [], "indexers": [], "message": "no indexer configured (Prowlarr or Torznab)"}
    releases: list[Release] = []
    if clients:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_INDEXERS, len(clients))) as pool:
            for found, status in pool.map(lambda c: _search_one(c, params), clients):
                releases += found
                statuses.append(status)
    unique: dict[str, Release] = {}
    for release in releases:
        key = release.info_hash or f"{release.title}|{release.size}"
        if key not in unique or (release.seeders or 0) > (unique[key].seeders or 0):
            unique[key] = release
    kept = list(unique.values())
    parsed = parse_many([r.title for r in kept])
    now = datetime.now(UTC)
    cache = result_cache()
    results = []
    for release, info in zip(kept, parsed, strict=True):
        if not matches_filters(info, params.filters, settings.search_filter_aliases, seeders=release.seeders,
                               size=release.size):
            continue
        score = score_release(info, release.seeders, settings.score_weights)
        row = describe(info, score)
        age = (now - release.publish_date).total_seconds() / 3600 if release.publish_date else None
        row.update(id=cache.put(release), size=release.size, seeders=release.seeders, leechers=release.leechers,
                   age_hours=round(age, 1) if age is not None else None, indexer=release.indexer,
                   info_hash=release.info_hash, details_url=public_url(release.details_url), _rank=rank_key(
                       info, score, settings.ranking == "language"))
        results.append(row)
    results.sort(key=lambda r: r.pop("_rank"), reverse=True)
    failed = [s for s in statuses if not s["ok"]]
    message = None
    if not results:
        message = "no result" + (f" ({len(failed)} indexer(s) failed)" if failed else "")
    return {"results": results, "indexers": statuses, "message": message}


def parse_names(names: list[str]) -> list[dict[str, Any]]:
    """Parse and score release names (no seeders known: reliability counts 0 seeders), in order."""
    weights = managers().settings.load().score_weights
    return [describe(p, score_release(p, None, weights)) for p in parse_many(names)]


def media_searches(source: str, media_id: int, season: int | None = None) -> dict[str, Any]:
    """Searches for one media from TMDB (movie/tv), Sonarr or Radarr: titles, year, ids, seasons.

    For a Sonarr series, one search per season with missing episodes (``Show S02``), with the
    missing episode numbers so the page can filter per episode. Raises an :class:`UpstreamError`.
    """
    settings = managers().settings.load()
    searches: list[dict[str, Any]] = []
    if source == "radarr":
        movie = RadarrClient.from_settings(settings).movie(media_id)
        titles = dict.fromkeys(t for t in (movie.title, movie.original_title) if t)
        media = {"media_type": "movie", "title": movie.title, "year": movie.year, "tmdb_id": movie.tmdb_id,
                 "imdb_id": movie.imdb_id or None, "radarr_movie_id": movie.id}
        searches = [{"query": f"{t} {movie.year}".strip(), "kind": "movie", "missing_episodes": []} for t in titles]
    elif source == "sonarr":
        client = SonarrClient.from_settings(settings)
        series = client.series(media_id)
        media = {"media_type": "tv", "title": series.title, "year": series.year, "tvdb_id": series.tvdb_id,
                 "tmdb_id": series.tmdb_id or None, "imdb_id": series.imdb_id or None, "sonarr_series_id": series.id}
        today = datetime.now(UTC).date().isoformat()
        missing: dict[int, list[int]] = {}
        for episode in client.episodes(series.id, season):
            if episode.season_number > 0 and not episode.has_file and episode.monitored and \
                    (episode.air_date or "9999") <= today:
                missing.setdefault(episode.season_number, []).append(episode.episode_number)
        searches = [{"query": f"{series.title} S{n:02d}", "kind": "tvsearch", "season": n,
                     "missing_episodes": sorted(eps)} for n, eps in sorted(missing.items())]
    elif source in ("tmdb-movie", "tmdb-tv"):
        tmdb = TmdbClient.from_settings(settings)
        item = tmdb.movie(media_id) if source == "tmdb-movie" else tmdb.tv(media_id)
        titles = dict.fromkeys(t for t in (item.title, item.original_title) if t)
        media = {"media_type": item.media_type, "title": item.title, "year": item.year, "tmdb_id": item.id,
                 "tvdb_id": item.tvdb_id, "imdb_id": item.imdb_id or None}
        if item.media_type == "movie":
            searches = [{"query": f"{t} {item.year or ''}".strip(), "kind": "movie", "missing_episodes": []}
                        for t in titles]
        else:
            seasons = [season] if season is not None else [s["season_number"] for s in item.seasons
                                                             if s.get("season_number")]
            searches = [{"query": f"{t} S{n:02d}", "kind": "tvsearch", "season": n, "missing_episodes": []}
                        for n in seasons for t in titles]
    else:
        raise ValueError(f"unknown media source {source}")
    return {"media": media, "searches": searches}
