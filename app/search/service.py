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

from app.assistant.tiebreak import reorder as tiebreak_reorder
from app.extensions import managers
from app.utils.clients.errors import UpstreamError
from app.utils.clients.prowlarr import ProwlarrClient
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.torznab import MOVIE_CATEGORIES, TV_CATEGORIES, Release, TorznabClient
from app.utils.clients.tvdb import TvdbClient
from app.utils.media.releases import describe, matches_filters, parse_many, rank_key, score_release
from app.utils.messages import N_, Refusal
from app.utils.settings_schema import Settings
from app.utils.text import strip_accents
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
    #: A media search: the media's titles (French, original); with ids, each indexer gets an id search
    #: when its caps allow, else text queries made from these titles (see :func:`query_variants`).
    titles: tuple[str, ...] = ()
    year: int | None = None
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


#: Seconds an indexer's caps (which search parameters it understands) are reused.
CAPS_TTL_S = 3600
#: Text queries sent at most per indexer for a media search without ids.
MAX_TEXT_QUERIES = 4
#: Torznab caps element of each search kind, and the id parameters each may take.
_CAPS_ELEMENT = {"movie": "movie-search", "tvsearch": "tv-search"}
_ID_PARAMS = {"movie": ("imdbid", "tmdbid"), "tvsearch": ("tvdbid", "imdbid", "tmdbid")}


class _CapsCache:
    """Each indexer's caps by base URL, for :data:`CAPS_TTL_S` seconds (an error is not kept)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, tuple[float, Any]] = {}

    def get(self, client: TorznabClient) -> Any:
        key = client.base_url
        with self.lock:
            found = self.items.get(key)
        if found is not None and time.monotonic() - found[0] < CAPS_TTL_S:
            return found[1]
        caps = client.caps()
        with self.lock:
            self.items[key] = (time.monotonic(), caps)
        return caps


def _caps_cache() -> _CapsCache:
    return current_app.extensions.setdefault("mms_caps_cache", _CapsCache())


def query_variants(params: SearchParams) -> list[str]:
    """Text queries for a media search on an indexer without id search: each title (French, original),
    then each one without its accents, with the year (movies) or ``S02``/``S02E03`` (series); at most
    :data:`MAX_TEXT_QUERIES`, without repeats."""
    if params.kind == "tvsearch" and params.season is not None:
        suffix = f" S{params.season:02d}" + (f"E{params.episode:02d}" if params.episode is not None else "")
    else:
        suffix = f" {params.year}" if params.year else ""
    titles = [t.strip() for t in params.titles if t and t.strip()] or [params.query]
    variants = [*titles, *(strip_accents(t) for t in titles)]
    out: list[str] = []
    for title in variants:
        query = f"{title}{suffix}".strip()
        if query and query not in out:
            out.append(query)
    return out[:MAX_TEXT_QUERIES]


def _id_search(client: TorznabClient, params: SearchParams, caps: _CapsCache) -> dict[str, Any] | None:
    """The id parameters this indexer takes for this search (its caps), or ``None``: then text queries."""
    if params.kind not in _CAPS_ELEMENT or not (params.imdb_id or params.tmdb_id or params.tvdb_id):
        return None
    try:
        supported = set(caps.get(client).searching.get(_CAPS_ELEMENT[params.kind], []))
    except UpstreamError:
        return None
    ids = {"imdbid": params.imdb_id, "tmdbid": params.tmdb_id, "tvdbid": params.tvdb_id}
    usable = {name: ids[name] for name in _ID_PARAMS[params.kind] if ids[name] and name in supported}
    return usable or None


def _search_one(client: TorznabClient, params: SearchParams, caps: _CapsCache) -> tuple[list[Release], dict[str, Any]]:
    """One indexer's part of a search (runs in a worker thread: no app context here)."""
    start = time.monotonic()
    mode = "text"
    try:
        if not params.titles:
            found = client.search(params.query, kind=params.kind, categories=params.categories,
                                  season=params.season, episode=params.episode, imdb_id=params.imdb_id,
                                  tvdb_id=params.tvdb_id, tmdb_id=params.tmdb_id)
        elif (ids := _id_search(client, params, caps)) is not None:
            mode = "ids"
            found = client.search("", kind=params.kind, categories=params.categories, season=params.season,
                                  episode=params.episode, imdb_id=ids.get("imdbid"), tvdb_id=ids.get("tvdbid"),
                                  tmdb_id=ids.get("tmdbid"))
        else:
            found = []
            for query in query_variants(params):
                found += client.search(query, kind="search", categories=params.categories)
    except UpstreamError as exc:
        return [], {"indexer": client.indexer, "ok": False, "count": 0, "error": exc.message, "mode": mode,
                    "elapsed_ms": int((time.monotonic() - start) * 1000)}
    return found, {"indexer": client.indexer, "ok": True, "count": len(found), "error": None, "mode": mode,
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
            caps = _caps_cache()
            for found, status in pool.map(lambda c: _search_one(c, params, caps), clients):
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
    results = tiebreak_reorder(results, settings)  # off by default; only the close top group, never a refused release
    failed = [s for s in statuses if not s["ok"]]
    message = None
    if not results:
        message = "no result" + (f" ({len(failed)} indexer(s) failed)" if failed else "")
    return {"results": results, "indexers": statuses, "message": message}


class NoIndexerAnswered(Refusal):
    """A search for a job (a follow, an upgrade) that no indexer answered: none is configured, or every one
    failed (their errors in the message). The item is counted as failed, not as "nothing found"."""

    code = "no_indexer_answered"
    status = 502


def search_answered(params: SearchParams) -> dict[str, Any]:
    """:func:`search`, raising :class:`NoIndexerAnswered` when no indexer is configured or none answered."""
    answer = search(params)
    statuses = answer["indexers"]
    if not statuses:
        raise NoIndexerAnswered(N_("no indexer is configured (Prowlarr or Torznab)"))
    if not any(s["ok"] for s in statuses):
        raise NoIndexerAnswered(N_("no indexer answered: %(errors)s"),
                                errors="; ".join(f"{s['indexer']}: {s['error']}" for s in statuses))
    return answer


def parse_names(names: list[str]) -> list[dict[str, Any]]:
    """Parse and score release names (no seeders known: reliability counts 0 seeders), in order."""
    weights = managers().settings.load().score_weights
    return [describe(p, score_release(p, None, weights)) for p in parse_many(names)]


def _media_search(kind: str, titles: list[str], media: dict[str, Any], season: int | None = None) -> dict[str, Any]:
    """One search of a media: its titles and ids (the indexers use the ids when they can); ``query``
    is what it is shown as."""
    search = {"kind": kind, "titles": titles, "year": media.get("year"), "imdb_id": media.get("imdb_id"),
              "tmdb_id": media.get("tmdb_id"), "tvdb_id": media.get("tvdb_id") if kind == "tvsearch" else None,
              "missing_episodes": []}
    if season is not None:
        search["season"] = season
    params = SearchParams(kind=kind, titles=tuple(titles), year=media.get("year"), season=season)
    search["query"] = query_variants(params)[0] if titles else ""
    return search


def media_searches(source: str, media_id: int, season: int | None = None) -> dict[str, Any]:
    """Searches for one media from TMDB (movie/tv), Sonarr or Radarr: titles, year, ids, seasons.

    For a Sonarr series, one search per season with missing episodes (``Show S02``), with the
    missing episode numbers so the page can filter per episode. Raises an :class:`UpstreamError`.
    """
    settings = managers().settings.load()
    searches: list[dict[str, Any]] = []
    if source == "radarr":
        movie = RadarrClient.from_settings(settings).movie(media_id)
        titles = list(dict.fromkeys(t for t in (movie.title, movie.original_title) if t))
        media = {"media_type": "movie", "title": movie.title, "year": movie.year, "tmdb_id": movie.tmdb_id,
                 "imdb_id": movie.imdb_id or None, "radarr_movie_id": movie.id}
        searches = [_media_search("movie", titles, media)]
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
        titles = [series.title]
        searches = [{**_media_search("tvsearch", titles, media, n), "missing_episodes": sorted(eps)}
                    for n, eps in sorted(missing.items())]
    elif source in ("tmdb-movie", "tmdb-tv"):
        tmdb = TmdbClient.from_settings(settings)
        item = tmdb.movie(media_id) if source == "tmdb-movie" else tmdb.tv(media_id)
        titles = list(dict.fromkeys(t for t in (item.title, item.original_title) if t))
        media = {"media_type": item.media_type, "title": item.title, "year": item.year, "tmdb_id": item.id,
                 "tvdb_id": item.tvdb_id, "imdb_id": item.imdb_id or None}
        if item.media_type == "movie":
            searches = [_media_search("movie", titles, media)]
        else:
            seasons = [season] if season is not None else [s["season_number"] for s in item.seasons
                                                             if s.get("season_number")]
            searches = [_media_search("tvsearch", titles, media, n) for n in seasons]
    elif source == "tvdb":
        show = TvdbClient.from_settings(settings).series(media_id)
        media = {"media_type": "tv", "title": show.name, "year": show.year, "tvdb_id": show.id,
                 "tmdb_id": show.tmdb_id, "imdb_id": show.imdb_id}
        seasons = [season] if season is not None else [n for n in show.seasons if n]
        searches = [_media_search("tvsearch", [show.name], media, n) for n in seasons]
    else:
        raise ValueError(f"unknown media source {source}")
    return {"media": media, "searches": searches}
