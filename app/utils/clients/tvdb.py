"""TheTVDB v4 client, through tvdb_v4_official (``shared/specs/tvdb/swagger.yml``).

The library builds the URLs (``TVDB.url``, whose ``base_url`` is set to
``tvdb_url``) and names the calls; its transport (urllib, no timeout, errors as
bare ``ValueError``) is replaced by :class:`_Transport`, which sends through a
:class:`MappedSession` (timeouts, typed errors) and unwraps TheTVDB's envelope
``{"status": "success", "data": ...}``. ``POST /login`` gives the Bearer token;
an expired token is renewed once.

Translations: the requested language's name and overview, each filled from
the series' original language when empty or blank. The returned series always
carries its ``id``.
"""

from __future__ import annotations

from typing import Any

import tvdb_v4_official
from pydantic import BaseModel, ConfigDict, Field

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

SERVICE = "TheTVDB"
#: TheTVDB's 3-letter language codes for MMS's 2-letter ones.
LANGUAGES = {"fr": "fra", "en": "eng", "de": "deu", "es": "spa", "it": "ita", "pt": "por", "ja": "jpn"}


class TvdbModel(BaseModel):
    """Base of TheTVDB result models (camelCase kept as on the wire)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class TvdbSearchResult(TvdbModel):
    """``GET /search``: ``tvdb_id`` as an int; ``year`` may be missing."""

    tvdb_id: int
    name: str
    type: str = "series"
    year: int | None = None
    overview: str = ""
    image_url: str | None = None
    primary_language: str | None = None


class TvdbSeries(TvdbModel):
    """A series in one language: ``name``/``overview`` translated or from the original language."""

    id: int
    name: str
    overview: str = ""
    year: int | None = None
    original_language: str | None = None
    language: str
    slug: str | None = None
    image: str | None = None
    status: str | None = None
    imdb_id: str | None = None
    tmdb_id: int | None = None
    seasons: list[int] = Field(default_factory=list)
    #: ``airsTime`` (``"21:00"``, the network's local time), ``originalCountry`` (ISO 3166-1 alpha-3),
    #: ``averageRuntime`` (minutes).
    airs_time: str | None = None
    country: str | None = None
    runtime: int | None = None


class TvdbEpisode(TvdbModel):
    """An episode (default/aired order): ``name`` translated when TheTVDB has it."""

    id: int
    season_number: int
    number: int
    name: str = ""
    overview: str = ""
    aired: str | None = None
    absolute_number: int | None = None
    runtime: int | None = None


def _year(value: Any) -> int | None:
    text = str(value or "")[:4]
    return int(text) if text.isdigit() else None


def _blank(value: Any) -> bool:
    return not str(value or "").strip()


class _Transport(tvdb_v4_official.Request):
    """The library's ``Request`` over a :class:`MappedSession`; renews the token once on 401."""

    def __init__(self, client: TvdbClient):
        super().__init__(auth_token="")
        self.client = client

    def make_request(self, url: str, if_modified_since: str | None = None) -> Any:
        if not self.auth_token:
            self.auth_token = self.client.login()
        try:
            return self._get(url, if_modified_since)
        except UpstreamAuthError:
            self.auth_token = self.client.login()  # expired token: one new login
            return self._get(url, if_modified_since)

    def _get(self, url: str, if_modified_since: str | None) -> Any:
        headers = {"Authorization": f"Bearer {self.auth_token}", "Accept": "application/json"}
        if if_modified_since:
            headers["If-Modified-Since"] = if_modified_since
        response = self.client.session.get(url, headers=headers)
        body = self.client.envelope(response)
        self.links = body.get("links")
        return body.get("data")


class _Tvdb(tvdb_v4_official.TVDB):
    """The library's ``TVDB`` catalogue of calls, on ``base_url``, without its login-at-construction."""

    def __init__(self, client: TvdbClient):  # no super().__init__: it would log in through urllib
        self.url = tvdb_v4_official.Url()
        self.url.base_url = client.base_url + "/"
        self.request = _Transport(client)


class TvdbClient:
    """TheTVDB at ``tvdb_url`` with ``tvdb_api_key`` (and ``tvdb_pin``); ``language`` is 3 letters (``fra``)."""

    def __init__(self, base_url: str, api_key: str, pin: str = "", language: str = "fra",
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.pin = pin
        self.language = language
        self.session = MappedSession(SERVICE, auth_setting="TVDB_API_KEY", timeout=timeout)
        self.api = _Tvdb(self)

    @classmethod
    def from_settings(cls, settings: Settings) -> TvdbClient:
        """A client for ``tvdb_url`` / ``tvdb_api_key`` / ``tvdb_pin``, in the language of ``tmdb_language``."""
        language = LANGUAGES.get(settings.tmdb_language[:2], "eng")
        return cls(settings.tvdb_url, settings.tvdb_api_key, settings.tvdb_pin, language,
                   timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s))

    # -- transport -------------------------------------------------------------------------------
    def envelope(self, response: Any) -> dict[str, Any]:
        """The decoded ``{"status", "data"}`` envelope; raises :class:`UpstreamBadResponse`."""
        try:
            body = response.json()
        except ValueError:
            raise UpstreamBadResponse(SERVICE, "the answer is not JSON") from None
        if not isinstance(body, dict) or body.get("status") != "success" or "data" not in body:
            message = body.get("message") if isinstance(body, dict) else None
            raise UpstreamBadResponse(SERVICE, f"unexpected answer ({message or 'no data'})")
        return body

    def login(self) -> str:
        """``POST /login`` -> the Bearer token (sent once: not retried)."""
        body = {"apikey": self.api_key, **({"pin": self.pin} if self.pin else {})}
        data = self.envelope(self.session.post(f"{self.base_url}/login", json=body))["data"]
        token = data.get("token") if isinstance(data, dict) else None
        if not token:
            raise UpstreamBadResponse(SERVICE, "login answer has no data.token")
        return token

    @retry_read
    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.api, method)(*args, **kwargs)

    # -- API ---------------------------------------------------------------------------------------
    def search(self, query: str, kind: str = "series", year: int | None = None) -> list[TvdbSearchResult]:
        """``GET /search?query=&type=&year=``."""
        found = self._call("search", query, type=kind, year=year) or []
        results = []
        for item in found:
            language = self.language
            name = (item.get("translations") or {}).get(language) or item.get("name") or ""
            overview = (item.get("overviews") or {}).get(language) or item.get("overview") or ""
            results.append(parse_model(SERVICE, TvdbSearchResult, {
                "tvdb_id": item.get("tvdb_id") or item.get("id", "").removeprefix("series-"), "name": name,
                "type": item.get("type", kind), "year": _year(item.get("year")), "overview": overview,
                "image_url": item.get("image_url"), "primary_language": item.get("primary_language")}))
        return results

    def series(self, series_id: int) -> TvdbSeries:
        """The series in :attr:`language`, name and overview each falling back to the original language."""
        record = self._call("get_series_extended", series_id, short=True)
        if not isinstance(record, dict):
            raise UpstreamBadResponse(SERVICE, "series answer is not an object")
        original = record.get("originalLanguage") or "eng"
        translated = self._translation(series_id, self.language)
        name, overview = translated.get("name"), translated.get("overview")
        if (_blank(name) or _blank(overview)) and original != self.language:
            fallback = self._translation(series_id, original)
            name = fallback.get("name") if _blank(name) else name
            overview = fallback.get("overview") if _blank(overview) else overview
        remote = {r.get("sourceName"): r.get("id") for r in record.get("remoteIds") or []}
        tmdb = remote.get("TheMovieDB.com")
        return parse_model(SERVICE, TvdbSeries, {
            "id": record.get("id") or series_id,
            "name": name if not _blank(name) else record.get("name") or "",
            "overview": overview if not _blank(overview) else record.get("overview") or "",
            "year": _year(record.get("year") or record.get("firstAired")), "original_language": original,
            "language": self.language, "slug": record.get("slug"), "image": record.get("image"),
            "status": (record.get("status") or {}).get("name"), "imdb_id": remote.get("IMDB"),
            "tmdb_id": int(tmdb) if str(tmdb or "").isdigit() else None,
            "seasons": sorted({s.get("number") for s in record.get("seasons") or []
                               if (s.get("type") or {}).get("type", "official") == "official"
                               and s.get("number") is not None}),
            "airs_time": record.get("airsTime") or None, "country": record.get("originalCountry") or None,
            "runtime": record.get("averageRuntime") or None,
        })

    def _translation(self, series_id: int, language: str) -> dict[str, Any]:
        try:
            return self._call("get_series_translation", series_id, language) or {}
        except UpstreamNotFound:
            return {}

    def episodes(self, series_id: int, season: int | None = None) -> list[TvdbEpisode]:
        """Episodes in aired order, names in :attr:`language` where TheTVDB has them, else original ones."""
        episodes: list[dict[str, Any]] = []
        page = 0
        while True:
            data = self._call("get_series_episodes", series_id, "default", page, None) or {}
            episodes += data.get("episodes") or []
            if not (self.api.get_req_links() or {}).get("next"):
                break
            page += 1
        try:
            localized = self._call("get_series_episodes", series_id, "default", 0, self.language) or {}
        except UpstreamNotFound:
            localized = {}
        names = {e.get("id"): e for e in localized.get("episodes") or []}
        out = []
        for episode in episodes:
            if season is not None and episode.get("seasonNumber") != season:
                continue
            local = names.get(episode.get("id"), {})
            out.append(parse_model(SERVICE, TvdbEpisode, {
                "id": episode.get("id"), "season_number": episode.get("seasonNumber"),
                "number": episode.get("number"),
                "name": local.get("name") if not _blank(local.get("name")) else episode.get("name") or "",
                "overview": local.get("overview") if not _blank(local.get("overview"))
                else episode.get("overview") or "",
                "aired": episode.get("aired"), "absolute_number": episode.get("absoluteNumber"),
                "runtime": episode.get("runtime")}))
        return out

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Log in with the key."""
        if not settings.tvdb_url or not settings.tvdb_api_key:
            return not_configured(SERVICE, "TVDB_API_KEY")
        client = cls.from_settings(settings)

        def probe() -> str:
            client.login()
            return N_("API key accepted")

        return run_connection_test(SERVICE, probe)
