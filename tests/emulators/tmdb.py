"""TMDB v3 emulator (``shared/specs/tmdb/``): ``/3/...`` with ``api_key``, per-language answers.

Seed with :meth:`TmdbEmulator.add_movie` / :meth:`TmdbEmulator.add_tv`, giving
translations per language (``{"fr-FR": {"title": ..., "overview": ...}}``). As
TMDB does, a language without translation answers the original title and an
empty overview. Errors use TMDB's body ``{"status_code", "status_message", "success": false}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.emulators.base import Emulator, Reply, Request
from tests.emulators.openapi import SPECS
from tests.emulators.plex import png


def tmdb_error(status: int, code: int, message: str) -> Reply:
    """TMDB's error body."""
    return Reply(status, {"status_code": code, "status_message": message, "success": False})


class TmdbEmulator(Emulator):
    """Movies and shows keyed by TMDB id; the base URL for clients is ``{url}/3``."""

    def __init__(self, api_key: str = "tmdb-0123456789abcdef"):
        super().__init__()
        self.api_key = api_key
        self.movies: dict[int, dict[str, Any]] = {}
        self.shows: dict[int, dict[str, Any]] = {}
        self.collections: dict[int, str] = {}
        self.route("GET", r"/3/configuration", self._configuration)
        self.route("GET", r"/3/search/movie", lambda r: self._search(r, self.movies, "movie"))
        self.route("GET", r"/3/search/tv", lambda r: self._search(r, self.shows, "tv"))
        self.route("GET", r"/3/movie/(\d+)", lambda r: self._details(r, self.movies, "movie"))
        self.route("GET", r"/3/tv/(\d+)", lambda r: self._details(r, self.shows, "tv"))
        self.route("GET", r"/3/(movie|tv)/(\d+)/videos", self._videos)
        self.route("GET", r"/3/(movie|tv)/(\d+)/images", self._images)
        self.route("GET", r"/3/(movie|tv)/(\d+)/external_ids", self._external_ids)
        self.route("GET", r"/3/tv/(\d+)/season/(\d+)", self._season)
        self.route("GET", r"/t/p/(\w+)/([\w.-]+)", self._image)
        self.route("GET", r"/3/find/(\w+)", self._find)
        self.route("GET", r"/3/collection/(\d+)", self._collection)
        #: Image requests served (path), for tests that check what was fetched.
        self.image_requests: list[str] = []

    @property
    def api_url(self) -> str:
        """What ``tmdb_url`` is set to."""
        return f"{self.url}/3"

    # -- seeding -----------------------------------------------------------------------------
    def add_movie(self, tmdb_id: int, original_title: str, year: int, *, translations: dict[str, dict[str, str]],
                  imdb_id: str = "", original_language: str = "en", videos: list[dict[str, Any]] | None = None,
                  posters: list[dict[str, Any]] | None = None, collection: int | None = None,
                  release_date: str | None = None) -> dict[str, Any]:
        """A movie; ``videos`` items: ``{"key", "site", "type", "name", "iso_639_1"}``; ``collection`` the id of
        a collection made with :meth:`add_collection`."""
        movie = {"id": tmdb_id, "original_title": original_title, "release_date": release_date or f"{year}-04-25",
                 "imdb_id": imdb_id, "original_language": original_language, "translations": translations,
                 "videos": videos or [], "posters": posters or [], "backdrops": [], "collection": collection}
        self.movies[tmdb_id] = movie
        return movie

    def add_collection(self, collection_id: int, name: str) -> None:
        """A collection (``/collection/{id}``); its parts are the movies added with ``collection=``."""
        self.collections[collection_id] = name

    def add_tv(self, tmdb_id: int, original_name: str, year: int, *, translations: dict[str, dict[str, str]],
               seasons: dict[int, int], tvdb_id: int | None = None, imdb_id: str = "",
               episode_names: dict[tuple[int, int], dict[str, str]] | None = None,
               videos: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A show; ``seasons``: number -> episode count; ``episode_names[(s, e)] = {lang: name}``."""
        show = {"id": tmdb_id, "original_name": original_name, "first_air_date": f"{year}-09-10",
                "tvdb_id": tvdb_id, "imdb_id": imdb_id, "original_language": "en", "translations": translations,
                "seasons": seasons, "episode_names": episode_names or {}, "videos": videos or [],
                "posters": [], "backdrops": []}
        self.shows[tmdb_id] = show
        return show

    # -- protocol --------------------------------------------------------------------------------
    @property
    def image_url(self) -> str:
        """What ``tmdb_image_url`` is set to (the image server needs no key, like TMDB's CDN)."""
        return f"{self.url}/t/p"

    def _image(self, request: Request) -> Reply:
        self.image_requests.append(request.path)
        digest = sum(request.path.encode()) % 256
        return Reply(200, png(20, 30, rgb=(digest, 120, 200)), {"Content-Type": "image/png"})

    def authorize(self, request: Request) -> Reply | None:
        if request.path.startswith("/t/p/"):
            return None
        if request.arg("api_key") != self.api_key:
            return tmdb_error(401, 7, "Invalid API key: You must be granted a valid key.")
        return None

    def malformed_reply(self) -> Reply:
        return Reply(200, b"<html><body>Bad gateway</body></html>", {"Content-Type": "text/html"})

    @staticmethod
    def _text(item: dict[str, Any], language: str, key: str, original: str) -> str:
        translated = item["translations"].get(language, {}).get(key)
        if translated:
            return translated
        return item[original] if key in ("title", "name") else ""

    def _movie_json(self, movie: dict[str, Any], language: str) -> dict[str, Any]:
        return {"adult": False, "backdrop_path": f"/{movie['id']}-backdrop.jpg", "genre_ids": [18],
                "id": movie["id"], "original_language": movie["original_language"],
                "original_title": movie["original_title"], "overview": self._text(movie, language, "overview", ""),
                "popularity": 42.0, "poster_path": f"/{movie['id']}-poster.jpg", "release_date": movie["release_date"],
                "title": self._text(movie, language, "title", "original_title"), "video": False,
                "vote_average": 7.9, "vote_count": 1000}

    def _tv_json(self, show: dict[str, Any], language: str) -> dict[str, Any]:
        return {"adult": False, "backdrop_path": f"/{show['id']}-backdrop.jpg", "genre_ids": [18], "id": show["id"],
                "origin_country": ["US"], "original_language": show["original_language"],
                "original_name": show["original_name"], "overview": self._text(show, language, "overview", ""),
                "popularity": 42.0, "poster_path": f"/{show['id']}-poster.jpg",
                "first_air_date": show["first_air_date"], "name": self._text(show, language, "name", "original_name"),
                "vote_average": 8.1, "vote_count": 500}

    def _collection_ref(self, collection_id: int) -> dict[str, Any]:
        return {"id": collection_id, "name": self.collections[collection_id],
                "poster_path": f"/c{collection_id}.jpg", "backdrop_path": f"/c{collection_id}-b.jpg"}

    def _collection(self, request: Request) -> Reply:
        """``/collection/{id}``: the parts in TMDB's movie shape (``media_type`` movie)."""
        collection_id = int(request.path.rsplit("/", 1)[1])
        if collection_id not in self.collections:
            return tmdb_error(404, 34, "The resource you requested could not be found.")
        language = request.arg("language") or "en-US"
        parts = [{**self._movie_json(m, language), "media_type": "movie"} for m in self.movies.values()
                 if m.get("collection") == collection_id]
        name = self.collections[collection_id]
        return Reply(200, {"id": collection_id, "name": name, "original_language": "en", "original_name": name,
                           "overview": "", "poster_path": f"/c{collection_id}.jpg",
                           "backdrop_path": f"/c{collection_id}-b.jpg", "parts": parts})

    def _find(self, request: Request) -> Reply:
        """``/find/{id}?external_source=tvdb_id|imdb_id``."""
        wanted = request.path.rsplit("/", 1)[1]
        source = request.arg("external_source")
        shows = [s for s in self.shows.values() if source == "tvdb_id" and str(s.get("tvdb_id")) == wanted]
        movies = [m for m in self.movies.values() if source == "imdb_id" and m.get("imdb_id") == wanted]
        language = request.arg("language") or "en-US"
        return Reply(200, {"movie_results": [self._movie_json(m, language) for m in movies], "person_results": [],
                           "tv_results": [self._tv_json(s, language) for s in shows], "tv_episode_results": [],
                           "tv_season_results": []})

    def _configuration(self, request: Request) -> Reply:
        sample = json.loads((SPECS / "tmdb" / "samples" / "GET_configuration_200.json").read_text())
        return Reply(200, sample["response"])

    def _search(self, request: Request, items: dict[int, dict[str, Any]], kind: str) -> Reply:
        language = request.arg("language") or "en-US"
        words = re.findall(r"\w+", (request.arg("query") or "").lower())
        found = []
        for item in items.values():
            names = [item.get("original_title") or item.get("original_name") or ""]
            names += [t.get("title") or t.get("name") or "" for t in item["translations"].values()]
            text = " ".join(names).lower()
            if words and all(w in re.findall(r"\w+", text) for w in words):
                found.append(self._movie_json(item, language) if kind == "movie" else self._tv_json(item, language))
        return Reply(200, {"page": 1, "results": found, "total_pages": 1 if found else 0,
                           "total_results": len(found)})

    def _details(self, request: Request, items: dict[int, dict[str, Any]], kind: str) -> Reply:
        item_id = int(request.path.rsplit("/", 1)[1])
        item = items.get(item_id)
        if item is None:
            return tmdb_error(404, 34, "The resource you requested could not be found.")
        language = request.arg("language") or "en-US"
        if kind == "movie":
            body = self._movie_json(item, language)
            body.pop("genre_ids")
            body.update(budget=0, genres=[{"id": 18, "name": "Drame"}], homepage="", imdb_id=item["imdb_id"],
                        origin_country=["FR"], revenue=0, runtime=122, status="Released", tagline="")
            if item.get("collection") is not None:  # the spec's subset types it as an object: left out otherwise
                body["belongs_to_collection"] = self._collection_ref(item["collection"])
        else:
            body = self._tv_json(item, language)
            body.pop("genre_ids")
            body.update(number_of_seasons=len(item["seasons"]), number_of_episodes=sum(item["seasons"].values()),
                        seasons=[{"air_date": item["first_air_date"], "episode_count": count, "id": item_id * 100 + n,
                                  "name": f"Saison {n}" if language.startswith("fr") else f"Season {n}",
                                  "overview": "", "poster_path": f"/{item_id}-s{n}.jpg", "season_number": n,
                                  "vote_average": 0} for n, count in sorted(item["seasons"].items())],
                        status="Returning Series", type="Scripted", in_production=True, languages=["en"])
        if "external_ids" in (request.arg("append_to_response") or ""):
            body["external_ids"] = self._ids(item, kind)
        return Reply(200, body)

    @staticmethod
    def _ids(item: dict[str, Any], kind: str) -> dict[str, Any]:
        ids: dict[str, Any] = {"id": item["id"], "imdb_id": item["imdb_id"], "wikidata_id": "",
                               "facebook_id": "", "instagram_id": "", "twitter_id": ""}
        if kind == "tv":
            ids.update(tvdb_id=item["tvdb_id"] or 0, freebase_mid="", freebase_id="", tvrage_id=0)
        return ids

    def _lookup(self, request: Request) -> tuple[str, dict[str, Any] | None]:
        parts = request.path.split("/")
        kind, item_id = parts[2], int(parts[3])
        return kind, (self.movies if kind == "movie" else self.shows).get(item_id)

    def _videos(self, request: Request) -> Reply:
        _kind, item = self._lookup(request)
        if item is None:
            return tmdb_error(404, 34, "The resource you requested could not be found.")
        lang = (request.arg("language") or "en-US")[:2]
        results = [{"iso_639_1": v.get("iso_639_1", "en"), "iso_3166_1": "US", "name": v.get("name", "Trailer"),
                    "key": v["key"], "site": v.get("site", "YouTube"), "size": 1080, "type": v.get("type", "Trailer"),
                    "official": True, "published_at": "2020-01-01T00:00:00.000Z", "id": f"v{i}{item['id']}"}
                   for i, v in enumerate(item["videos"]) if v.get("iso_639_1", "en") == lang]
        return Reply(200, {"id": item["id"], "results": results})

    def _images(self, request: Request) -> Reply:
        _kind, item = self._lookup(request)
        if item is None:
            return tmdb_error(404, 34, "The resource you requested could not be found.")
        wanted = (request.arg("include_image_language") or "").split(",")
        posters = [p for p in item["posters"] if str(p.get("iso_639_1")).lower() in wanted or not wanted[0]]
        return Reply(200, {"id": item["id"], "backdrops": [], "logos": [], "posters": posters})

    def _external_ids(self, request: Request) -> Reply:
        kind, item = self._lookup(request)
        if item is None:
            return tmdb_error(404, 34, "The resource you requested could not be found.")
        return Reply(200, self._ids(item, kind))

    def _season(self, request: Request) -> Reply:
        parts = request.path.split("/")
        show, number = self.shows.get(int(parts[3])), int(parts[5])
        if show is None or number not in show["seasons"]:
            return tmdb_error(404, 34, "The resource you requested could not be found.")
        language = request.arg("language") or "en-US"
        episodes = [{"air_date": f"{show['first_air_date'][:4]}-10-{e:02d}", "episode_number": e,
                     "episode_type": "standard", "id": show["id"] * 1000 + number * 100 + e,
                     "name": show["episode_names"].get((number, e), {}).get(language, ""),
                     "overview": "", "production_code": "", "runtime": 55, "season_number": number,
                     "show_id": show["id"], "still_path": f"/{show['id']}-s{number}e{e}.jpg", "vote_average": 0,
                     "vote_count": 0, "crew": [], "guest_stars": []} for e in range(1, show["seasons"][number] + 1)]
        return Reply(200, {"_id": f"s{number}", "air_date": show["first_air_date"], "episodes": episodes,
                           "name": f"Saison {number}" if language.startswith("fr") else f"Season {number}",
                           "overview": "", "id": show["id"] * 100 + number,
                           "poster_path": f"/{show['id']}-s{number}.jpg", "season_number": number, "vote_average": 0})
