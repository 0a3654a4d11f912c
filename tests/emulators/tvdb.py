"""TheTVDB v4 emulator (``shared/specs/tvdb/swagger.yml``): ``/v4/login`` then ``Authorization: Bearer``.

Every answer is TheTVDB's envelope ``{"status": "success", "data": ..., "links"?}``;
failures are ``{"status": "failure", "message": ..., "data": null}`` with 401/404.
Episode lists are paged (``page``, ``links.next``) like the real API.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from tests.emulators.base import Emulator, Reply, Request

#: Episodes per page of ``/series/{id}/episodes/...`` (TheTVDB answers up to 500).
PAGE_SIZE = 500


def failure(status: int, message: str) -> Reply:
    """TheTVDB's failure envelope."""
    return Reply(status, {"status": "failure", "message": message, "data": None})


class TvdbEmulator(Emulator):
    """Series keyed by TheTVDB id; the base URL for clients is ``{url}/v4``."""

    def __init__(self, api_key: str = "tvdb-key-0123", pin: str = "", page_size: int = PAGE_SIZE):
        super().__init__()
        self.api_key, self.pin, self.page_size = api_key, pin, page_size
        self.tokens: set[str] = set()
        self.series: dict[int, dict[str, Any]] = {}
        self.route("POST", r"/v4/login", self._login)
        self.route("GET", r"/v4/search", self._search)
        self.route("GET", r"/v4/series/(\d+)/extended", self._extended)
        self.route("GET", r"/v4/series/(\d+)/translations/(\w+)", self._translation)
        self.route("GET", r"/v4/series/(\d+)/episodes/(\w+)(?:/(\w+))?", self._episodes)

    @property
    def api_url(self) -> str:
        """What ``tvdb_url`` is set to."""
        return f"{self.url}/v4"

    def add_series(self, tvdb_id: int, name: str, year: int, *, original_language: str = "eng",
                   translations: dict[str, dict[str, str]] | None = None, seasons: dict[int, int] | None = None,
                   episode_names: dict[tuple[int, int], dict[str, str]] | None = None, imdb_id: str = "",
                   tmdb_id: int | None = None) -> dict[str, Any]:
        """A series; ``translations[lang] = {"name", "overview"}`` (the original language's included)."""
        record = {"id": tvdb_id, "name": name, "year": year, "original_language": original_language,
                  "translations": translations or {original_language: {"name": name, "overview": ""}},
                  "seasons": seasons or {1: 3}, "episode_names": episode_names or {}, "imdb_id": imdb_id,
                  "tmdb_id": tmdb_id}
        self.series[tvdb_id] = record
        return record

    def expire_tokens(self) -> None:
        """Make every issued token invalid (a client must log in again)."""
        self.tokens.clear()

    # -- protocol ----------------------------------------------------------------------------------
    def authorize(self, request: Request) -> Reply | None:
        if request.path == "/v4/login":
            return None
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return None if token in self.tokens else failure(401, "Unauthorized")

    def _login(self, request: Request) -> Reply:
        body = request.json() or {}
        if body.get("apikey") != self.api_key or (self.pin and body.get("pin") != self.pin):
            return failure(401, "InvalidAPIKey: API Key is invalid")
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return Reply(200, {"status": "success", "data": {"token": token}})

    def _search(self, request: Request) -> Reply:
        words = re.findall(r"\w+", (request.arg("query") or request.arg("q") or "").lower())
        year = request.arg("year")
        found = []
        for s in self.series.values():
            names = " ".join([s["name"], *(t.get("name", "") for t in s["translations"].values())]).lower()
            if words and all(w in re.findall(r"\w+", names) for w in words) and (not year or str(s["year"]) == year):
                found.append({
                    "objectID": f"series-{s['id']}", "id": f"series-{s['id']}", "tvdb_id": str(s["id"]),
                    "name": s["name"], "type": "series", "year": str(s["year"]), "slug": s["name"].lower(),
                    "primary_language": s["original_language"], "status": "Continuing",
                    "image_url": f"https://artworks.thetvdb.com/banners/posters/{s['id']}-1.jpg",
                    "overview": s["translations"].get(s["original_language"], {}).get("overview", ""),
                    "translations": {k: v["name"] for k, v in s["translations"].items() if v.get("name")},
                    "overviews": {k: v["overview"] for k, v in s["translations"].items() if v.get("overview")},
                    "aliases": [], "remote_ids": []})
        return Reply(200, {"status": "success", "data": found,
                           "links": {"total_items": len(found), "page_size": 50}})

    def _get(self, request: Request) -> dict[str, Any] | None:
        return self.series.get(int(request.path.split("/")[3]))

    def _extended(self, request: Request) -> Reply:
        s = self._get(request)
        if s is None:
            return failure(404, "NotFoundException: series not found")
        remote = [{"id": s["imdb_id"], "type": 2, "sourceName": "IMDB"}] if s["imdb_id"] else []
        if s["tmdb_id"]:
            remote.append({"id": str(s["tmdb_id"]), "type": 12, "sourceName": "TheMovieDB.com"})
        data = {"id": s["id"], "name": s["name"], "slug": s["name"].lower().replace(" ", "-"),
                "image": f"https://artworks.thetvdb.com/banners/posters/{s['id']}-1.jpg",
                "nameTranslations": list(s["translations"]), "overviewTranslations": list(s["translations"]),
                "aliases": [], "firstAired": f"{s['year']}-09-01", "lastAired": "", "nextAired": "", "score": 100,
                "status": {"id": 1, "name": "Continuing", "recordType": "series", "keepUpdated": True},
                "originalCountry": "fra", "originalLanguage": s["original_language"], "defaultSeasonType": 1,
                "isOrderRandomized": False, "lastUpdated": "2024-01-01 00:00:00", "averageRuntime": 52,
                "airsTime": s.get("airs_time", "21:00"), "airsDays": {},
                "episodes": [], "overview": s["translations"].get(s["original_language"], {}).get("overview", ""),
                "year": str(s["year"]), "remoteIds": remote,
                "seasons": [{"id": s["id"] * 100 + n, "seriesId": s["id"], "number": n, "name": f"Season {n}",
                             "type": {"id": 1, "name": "Aired Order", "type": "official", "alternateName": ""},
                             "image": "", "imageType": 7, "lastUpdated": "2024-01-01 00:00:00",
                             "nameTranslations": [], "overviewTranslations": [], "companies": {}, "year": ""}
                            for n in sorted(s["seasons"])]}
        return Reply(200, {"status": "success", "data": data})

    def _translation(self, request: Request) -> Reply:
        s = self._get(request)
        language = request.path.rsplit("/", 1)[1]
        if s is None or language not in s["translations"]:
            return failure(404, "NotFoundException: translation not found")
        t = s["translations"][language]
        return Reply(200, {"status": "success", "data": {
            "name": t.get("name", ""), "overview": t.get("overview", ""), "language": language, "aliases": [],
            "isPrimary": language == s["original_language"], "isAlias": False, "tagline": ""}})

    def _episodes(self, request: Request) -> Reply:
        s = self._get(request)
        if s is None:
            return failure(404, "NotFoundException: series not found")
        parts = request.path.split("/")
        language = parts[6] if len(parts) > 6 else None
        if language is not None and language not in s["translations"]:
            return failure(404, "NotFoundException: translation not found")
        all_episodes = []
        for season, count in sorted(s["seasons"].items()):
            for number in range(1, count + 1):
                names = s["episode_names"].get((season, number), {})
                name = names.get(language) if language else names.get(s["original_language"], f"Episode {number}")
                all_episodes.append({
                    "id": s["id"] * 1000 + season * 100 + number, "seriesId": s["id"], "name": name or "",
                    "aired": s.get("aired", {}).get((season, number), f"{s['year']}-10-{number:02d}"),
                    "runtime": 52, "nameTranslations": list(names),
                    "overview": "", "overviewTranslations": [], "image": "", "imageType": 11, "isMovie": 0,
                    "seasons": [], "number": number, "absoluteNumber": len(all_episodes) + 1,
                    "seasonNumber": season, "lastUpdated": "2024-01-01 00:00:00", "finaleType": "",
                    "year": str(s["year"])})
        page = int(request.arg("page") or 0)
        chunk = all_episodes[page * self.page_size:(page + 1) * self.page_size]
        more = (page + 1) * self.page_size < len(all_episodes)
        base = f"{self.api_url}{request.path.removeprefix('/v4')}"
        series = {"id": s["id"], "name": s["name"], "slug": s["name"].lower(), "image": "", "nameTranslations": [],
                  "overviewTranslations": [], "aliases": [], "firstAired": f"{s['year']}-09-01", "lastAired": "",
                  "nextAired": "", "score": 100, "status": {"id": 1, "name": "Continuing", "recordType": "series",
                                                           "keepUpdated": True},
                  "originalCountry": "fra", "originalLanguage": s["original_language"], "defaultSeasonType": 1,
                  "isOrderRandomized": False, "lastUpdated": "2024-01-01 00:00:00", "averageRuntime": 52,
                  "episodes": [], "year": str(s["year"])}
        return Reply(200, {"status": "success", "data": {"series": series, "episodes": chunk},
                           "links": {"self": f"{base}?page={page}",
                                     **({"next": f"{base}?page={page + 1}"} if more else {}),
                                     "total_items": len(all_episodes), "page_size": self.page_size}})
