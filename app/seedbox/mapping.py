"""The mapping modal's data: which media a release is for (Sonarr/Radarr library or lookup, TMDB, TVDB)."""

from __future__ import annotations

from typing import Any

from app.archive.service import archived_summary
from app.core.images import proxied, sized, tmdb_image
from app.extensions import managers
from app.utils.clients.errors import UpstreamError
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.tvdb import TvdbClient
from app.utils.text import matches


def candidates(query: str, media_type: str) -> dict[str, Any]:
    """Media matching ``query``: ``{"candidates": [...], "errors": [...]}``, library hits first.

    Each candidate: ``source`` (sonarr, radarr, sonarr-lookup, radarr-lookup, tmdb, tvdb),
    ``media_type``, ``title``, ``year``, ids, ``in_library``, ``poster`` (an MMS proxy URL or ``None``),
    ``archived`` (who watched it, from the watch archive, or ``None``) and, for lookups, ``term`` to add it.
    The library is matched accent- and case-insensitively ("amelie" finds "Amélie"); lookups are sent
    as typed (the services fold accents themselves).
    """
    settings = managers().settings.load()
    found: list[dict[str, Any]] = []
    errors: list[str] = []

    def attempt(label: str, call) -> None:
        try:
            call()
        except UpstreamError as exc:
            errors.append(f"{label}: {exc.message}")

    if media_type == "movie" and settings.radarr_url and settings.radarr_api_key:
        radarr = RadarrClient.from_settings(settings)

        def from_radarr() -> None:
            library = radarr.movies()
            owned = {m.tmdb_id for m in library}
            found.extend({"source": "radarr", "media_type": "movie", "title": m.title, "year": m.year,
                          "tmdb_id": m.tmdb_id, "imdb_id": m.imdb_id, "radarr_movie_id": m.id, "in_library": True,
                          "poster": proxied(sized(m.poster_url))}
                         for m in library if matches(query, m.title, m.original_title))
            found.extend({"source": "radarr-lookup", "media_type": "movie", "title": m.title, "year": m.year,
                          "tmdb_id": m.tmdb_id, "imdb_id": m.imdb_id, "in_library": False, "term": f"tmdb:{m.tmdb_id}",
                          "poster": proxied(sized(m.poster_url))}
                         for m in radarr.lookup(query) if m.tmdb_id not in owned)

        attempt("Radarr", from_radarr)
    if media_type == "tv" and settings.sonarr_url and settings.sonarr_api_key:
        sonarr = SonarrClient.from_settings(settings)

        def from_sonarr() -> None:
            library = sonarr.series_list()
            owned = {s.tvdb_id for s in library}
            found.extend({"source": "sonarr", "media_type": "tv", "title": s.title, "year": s.year,
                          "tvdb_id": s.tvdb_id, "tmdb_id": s.tmdb_id or None, "imdb_id": s.imdb_id,
                          "sonarr_series_id": s.id, "in_library": True, "poster": proxied(sized(s.poster_url))}
                         for s in library if matches(query, s.title))
            found.extend({"source": "sonarr-lookup", "media_type": "tv", "title": s.title, "year": s.year,
                          "tvdb_id": s.tvdb_id, "imdb_id": s.imdb_id, "in_library": False, "term": f"tvdb:{s.tvdb_id}",
                          "poster": proxied(sized(s.poster_url))}
                         for s in sonarr.lookup(query) if s.tvdb_id not in owned)

        attempt("Sonarr", from_sonarr)
    if settings.tmdb_api_key:
        tmdb = TmdbClient.from_settings(settings)

        def from_tmdb() -> None:
            items = tmdb.search_movies(query) if media_type == "movie" else tmdb.search_tv(query)
            found.extend({"source": "tmdb", "media_type": media_type, "title": i.title, "year": i.year,
                          "tmdb_id": i.id, "in_library": False, "poster": proxied(tmdb_image(i.poster_path))}
                         for i in items[:10])

        attempt("TMDB", from_tmdb)
    if media_type == "tv" and settings.tvdb_api_key:
        tvdb = TvdbClient.from_settings(settings)

        def from_tvdb() -> None:
            found.extend({"source": "tvdb", "media_type": "tv", "title": r.name, "year": r.year,
                          "tvdb_id": r.tvdb_id, "in_library": False, "poster": proxied(r.image_url)}
                         for r in tvdb.search(query)[:10])

        attempt("TheTVDB", from_tvdb)
    keys = [f"movie_{c['tmdb_id']}" if c["media_type"] == "movie" and c.get("tmdb_id") else
            f"tv_{c['tvdb_id']}" if c["media_type"] == "tv" and c.get("tvdb_id") else None for c in found]
    history = archived_summary([k for k in keys if k])
    for candidate, key in zip(found, keys, strict=True):
        candidate["archived"] = history.get(key) if key else None  # who watched it, kept by the archive
    return {"candidates": found, "errors": errors}


def arr_options(service: str) -> dict[str, Any]:
    """Root folders and quality profiles of Sonarr or Radarr, for adding a new series/movie."""
    settings = managers().settings.load()
    client = SonarrClient.from_settings(settings) if service == "sonarr" else RadarrClient.from_settings(settings)
    return {"root_folders": [f.path for f in client.root_folders()],
            "quality_profiles": [{"id": p.id, "name": p.name} for p in client.quality_profiles()]}


def arr_add(service: str, term: str, root_folder_path: str, quality_profile_id: int) -> dict[str, Any]:
    """Add a looked-up series/movie to Sonarr/Radarr; returns it as a candidate (with its *arr id)."""
    settings = managers().settings.load()
    if service == "sonarr":
        sonarr = SonarrClient.from_settings(settings)
        found = sonarr.lookup(term)
        if not found:
            raise LookupError(f"Sonarr found nothing for {term}")
        added = sonarr.add_series(found[0], root_folder_path=root_folder_path, quality_profile_id=quality_profile_id)
        return {"source": "sonarr", "media_type": "tv", "title": added.title, "year": added.year,
                "tvdb_id": added.tvdb_id, "imdb_id": added.imdb_id, "sonarr_series_id": added.id, "in_library": True}
    radarr = RadarrClient.from_settings(settings)
    found_movies = radarr.lookup(term)
    if not found_movies:
        raise LookupError(f"Radarr found nothing for {term}")
    movie = radarr.add_movie(found_movies[0], root_folder_path=root_folder_path, quality_profile_id=quality_profile_id)
    return {"source": "radarr", "media_type": "movie", "title": movie.title, "year": movie.year,
            "tmdb_id": movie.tmdb_id, "imdb_id": movie.imdb_id, "radarr_movie_id": movie.id, "in_library": True}
