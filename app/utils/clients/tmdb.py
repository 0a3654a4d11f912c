"""TMDB v3 client, through tmdbv3api (``shared/specs/tmdb/``).

tmdbv3api keeps its API key and language in ``os.environ`` (``TMDB_API_KEY``,
``TMDB_LANGUAGE`` — the very names of MMS's own settings) and its session and
base URL on the class. It is configured here, not patched: each call uses a
subclass of the library's API class whose key, language, cache and session
come from this client (a :class:`MappedSession`: timeouts, typed errors), and
whose base URL is ``tmdb_url``. Nothing is written to the environment.

Language: ``tmdb_language`` (default fr-FR) first; a blank title or overview is
filled from en-US.
"""

from __future__ import annotations

from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field
from tmdbv3api import TV, Collection, Configuration, Find, Movie, Search, Season
from tmdbv3api.exceptions import TMDbException
from tmdbv3api.tmdb import TMDb

from app.utils.clients.arr import parse_model, retry_read
from app.utils.clients.base import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    ConnectionReport,
    MappedSession,
    not_configured,
    run_connection_test,
)
from app.utils.clients.errors import UpstreamAuthError, UpstreamBadResponse, UpstreamNotFound
from app.utils.settings_schema import N_, Settings

SERVICE = "TMDB"
FALLBACK_LANGUAGE = "en-US"


class TmdbModel(BaseModel):
    """Base of the TMDB result models (snake_case on the wire already)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class TmdbVideo(TmdbModel):
    """A video (trailer, teaser...): ``site`` YouTube/Vimeo, ``key`` the site's id."""

    key: str
    site: str
    type: str = ""
    name: str = ""
    iso_639_1: str | None = None
    official: bool = False


class TmdbItem(TmdbModel):
    """A movie or TV show (search result or details). ``media_type`` is ``movie`` or ``tv``."""

    id: int
    media_type: str
    title: str
    original_title: str = ""
    year: int | None = None
    overview: str = ""
    poster_path: str | None = None
    backdrop_path: str | None = None
    original_language: str | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    number_of_seasons: int | None = None
    seasons: list[dict[str, Any]] = Field(default_factory=list)
    #: ``YYYY-MM-DD`` (a movie's release, a show's first air date), ``None`` when TMDB has none.
    release_date: str | None = None
    #: A movie's collection (``belongs_to_collection.id`` of the details), ``None`` outside one.
    collection_id: int | None = None


class TmdbEpisode(TmdbModel):
    """An episode of a season."""

    episode_number: int
    name: str = ""
    overview: str = ""
    air_date: str | None = None


class TmdbSeason(TmdbModel):
    """``/tv/{id}/season/{n}``."""

    season_number: int
    name: str = ""
    overview: str = ""
    episodes: list[TmdbEpisode] = Field(default_factory=list)


class TmdbCollection(TmdbModel):
    """``/collection/{id}``: a saga's movies, ``parts`` oldest first."""

    id: int
    name: str = ""
    parts: list[TmdbItem] = Field(default_factory=list)


class _Configured:
    """Mixin over a tmdbv3api class: settings from the client, not from ``os.environ``."""

    _client: TmdbClient
    _language: str

    def __init__(self, client: TmdbClient, language: str):  # no TMDb.__init__: it writes os.environ
        self._client = client
        self._language = language
        self._base = client.base_url
        self._remaining = 40
        self._reset = None
        self.obj_cached = False

    api_key = property(lambda self: self._client.api_key)
    language = property(lambda self: self._language)
    cache = property(lambda self: False)
    proxies = property(lambda self: None)
    debug = property(lambda self: False)
    wait_on_rate_limit = property(lambda self: False)


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date and len(date) >= 4 and date[:4].isdigit() else None


class TmdbClient:
    """TMDB at ``tmdb_url`` with ``tmdb_api_key``; ``language`` like ``fr-FR``; timeout in seconds."""

    def __init__(self, base_url: str, api_key: str, language: str = "fr-FR",
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.language = language
        self.session = MappedSession(SERVICE, auth_setting="TMDB_API_KEY", timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> TmdbClient:
        """A client for ``tmdb_url`` / ``tmdb_api_key`` / ``tmdb_language``."""
        return cls(settings.tmdb_url, settings.tmdb_api_key, settings.tmdb_language,
                   timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s))

    # -- plumbing ------------------------------------------------------------------------------
    def _api(self, cls: type[TMDb], language: str | None = None) -> Any:
        bound = type(cls.__name__, (_Configured, cls), {"_session": self.session})
        return bound(self, language or self.language)

    @retry_read
    def _call(self, cls: type[TMDb], method: str, *args: Any, language: str | None = None, **kwargs: Any) -> Any:
        """Run one tmdbv3api call; returns the decoded JSON of the answer."""
        try:
            result = getattr(self._api(cls, language), method)(*args, **kwargs)
        except TMDbException as exc:
            text = str(exc)
            if "api key" in text.lower():
                raise UpstreamAuthError(SERVICE, text, setting="TMDB_API_KEY") from None
            if "could not be found" in text.lower():
                raise UpstreamNotFound(SERVICE, text) from None
            raise UpstreamBadResponse(SERVICE, text) from None
        except (requests.JSONDecodeError, ValueError) as exc:
            raise UpstreamBadResponse(SERVICE, f"the answer is not JSON ({type(exc).__name__})") from None
        raw = getattr(result, "_json", result)  # tmdbv3api wraps the decoded JSON in AsObj
        return raw

    def _localized(self, cls: type[TMDb], method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Details in the configured language, blank title/name/overview filled from en-US."""
        data = self._call(cls, method, *args, **kwargs)
        if not isinstance(data, dict):
            raise UpstreamBadResponse(SERVICE, f"{method} answered {type(data).__name__}, not an object")
        blank = [k for k in ("title", "name", "overview") if k in data and not str(data[k] or "").strip()]
        if blank and self.language != FALLBACK_LANGUAGE:
            fallback = self._call(cls, method, *args, language=FALLBACK_LANGUAGE, **kwargs)
            for key in blank:
                data[key] = fallback.get(key) or data[key]
        return data

    @staticmethod
    def _item(data: dict[str, Any], media_type: str) -> TmdbItem:
        external = data.get("external_ids") or {}
        fields = {
            "id": data.get("id"), "media_type": media_type,
            "title": data.get("title") or data.get("name") or data.get("original_title")
            or data.get("original_name") or "",
            "original_title": data.get("original_title") or data.get("original_name") or "",
            "year": _year(data.get("release_date") or data.get("first_air_date")),
            "overview": data.get("overview") or "", "poster_path": data.get("poster_path"),
            "backdrop_path": data.get("backdrop_path"), "original_language": data.get("original_language"),
            "imdb_id": data.get("imdb_id") or external.get("imdb_id"), "tvdb_id": external.get("tvdb_id"),
            "number_of_seasons": data.get("number_of_seasons"), "seasons": data.get("seasons") or [],
            "release_date": data.get("release_date") or data.get("first_air_date") or None,
            "collection_id": (data.get("belongs_to_collection") or {}).get("id"),
        }
        return parse_model(SERVICE, TmdbItem, fields)

    # -- API -------------------------------------------------------------------------------------
    def search_movies(self, query: str, year: int | None = None) -> list[TmdbItem]:
        """``GET /search/movie``."""
        data = self._call(Search, "movies", query, year=year)
        return [self._item(r, "movie") for r in (data.get("results") or [])]

    def search_tv(self, query: str, year: int | None = None) -> list[TmdbItem]:
        """``GET /search/tv``."""
        data = self._call(Search, "tv_shows", query, release_year=year)
        return [self._item(r, "tv") for r in (data.get("results") or [])]

    def movie(self, movie_id: int) -> TmdbItem:
        """``GET /movie/{id}?append_to_response=external_ids``; raises ``UpstreamNotFound``."""
        return self._item(self._localized(Movie, "details", movie_id, append_to_response="external_ids"), "movie")

    def tv(self, tv_id: int) -> TmdbItem:
        """``GET /tv/{id}?append_to_response=external_ids``; raises ``UpstreamNotFound``."""
        return self._item(self._localized(TV, "details", tv_id, append_to_response="external_ids"), "tv")

    def season(self, tv_id: int, season_number: int) -> TmdbSeason:
        """``GET /tv/{id}/season/{n}``."""
        data = self._localized(Season, "details", tv_id, season_number, append_to_response="")
        return parse_model(SERVICE, TmdbSeason, data)

    def collection(self, collection_id: int) -> TmdbCollection:
        """``GET /collection/{id}``: its name and movies (``parts``, oldest first); raises ``UpstreamNotFound``."""
        data = self._localized(Collection, "details", collection_id)
        parts = [self._item({**p, "title": p.get("title") or p.get("name"),
                             "original_title": p.get("original_title") or p.get("original_name")}, "movie")
                 for p in data.get("parts") or [] if p.get("media_type", "movie") == "movie"]
        parts.sort(key=lambda p: p.release_date or "9999")
        return TmdbCollection(id=int(data.get("id") or collection_id), name=data.get("name") or "", parts=parts)

    def external_ids(self, media_type: str, tmdb_id: int) -> dict[str, Any]:
        """``GET /{movie|tv}/{id}/external_ids``: ``imdb_id``, ``tvdb_id``..."""
        return self._call(Movie if media_type == "movie" else TV, "external_ids", tmdb_id)

    def videos(self, media_type: str, tmdb_id: int) -> list[TmdbVideo]:
        """Trailers and teasers (``/videos``): the configured language's first, then en-US's."""
        cls = Movie if media_type == "movie" else TV
        found: list[TmdbVideo] = []
        for language in dict.fromkeys((self.language, FALLBACK_LANGUAGE)):
            data = self._call(cls, "videos", tmdb_id, language=language)
            found += [parse_model(SERVICE, TmdbVideo, v) for v in (data.get("results") or [])
                      if v.get("key") not in {f.key for f in found}]
        return found

    def tv_id_for_tvdb(self, tvdb_id: int) -> int | None:
        """``GET /find/{tvdb_id}?external_source=tvdb_id``: the TMDB id of a show known by its TVDB id."""
        data = self._call(Find, "find_by_tvdb_id", str(int(tvdb_id)))
        results = data.get("tv_results") or [] if isinstance(data, dict) else []
        return int(results[0]["id"]) if results and results[0].get("id") else None

    def images(self, media_type: str, tmdb_id: int) -> dict[str, list[dict[str, Any]]]:
        """``/images``: ``{"posters": [...], "backdrops": [...]}`` in the language, English and none."""
        cls = Movie if media_type == "movie" else TV
        lang = self.language.split("-")[0]
        data = self._call(cls, "images", tmdb_id, include_image_language=f"{lang},en,null")
        return {"posters": data.get("posters") or [], "backdrops": data.get("backdrops") or []}

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """``GET /configuration`` checks the key."""
        if not settings.tmdb_url or not settings.tmdb_api_key:
            return not_configured(SERVICE, "TMDB_API_KEY")
        client = cls.from_settings(settings)

        def probe() -> str:
            config = client._call(Configuration, "api_configuration")
            if not isinstance(config, dict) or "images" not in config:
                raise UpstreamBadResponse(SERVICE, "configuration has no images section")
            return N_("API key accepted")

        return run_connection_test(SERVICE, probe)
