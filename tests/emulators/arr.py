"""Sonarr v3 / Radarr v3 / Prowlarr v1 emulators (``shared/specs/*/openapi-*.json``).

Authentication as the real servers: ``X-Api-Key`` header or ``apikey`` query
parameter, else 401 with an empty body. State is seeded through the Python API
(``add_series``, ``add_lookup_movie``...); commands are recorded in
:attr:`ArrEmulator.commands` and complete at once (a test may attach side
effects with :attr:`ArrEmulator.command_handlers`).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.emulators.base import Emulator, Reply, Request
from tests.emulators.torznab import TorznabFeed, error_xml, indexer_resource

QUALITY_1080P_WEB = {"quality": {"id": 3, "name": "WEBDL-1080p", "source": "web", "resolution": 1080},
                     "revision": {"version": 1, "real": 0, "isRepack": False}}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _folder_name(title: str, year: int) -> str:
    return re.sub(r'[<>:"/\\|?*]', "", f"{title} ({year})")


class ArrEmulator(Emulator):
    """An *arr server with one API key; ``app_name``, ``version`` and ``api`` (``/api/v3``)."""

    app_name = "Sonarr"
    version = "4.0.9.2244"
    api = "/api/v3"

    def __init__(self, api_key: str = "0123456789abcdef0123456789abcdef"):
        super().__init__()
        self.api_key = api_key
        self._ids = itertools.count(1)
        self.root_folders: list[dict[str, Any]] = []
        self.quality_profiles: list[dict[str, Any]] = [
            {"id": 1, "name": "Any", "upgradeAllowed": False, "cutoff": 1, "items": [], "minFormatScore": 0,
             "cutoffFormatScore": 0, "minUpgradeFormatScore": 1, "formatItems": []},
            {"id": 4, "name": "HD-1080p", "upgradeAllowed": True, "cutoff": 3, "items": [], "minFormatScore": 0,
             "cutoffFormatScore": 0, "minUpgradeFormatScore": 1, "formatItems": []},
        ]
        self.commands: list[dict[str, Any]] = []
        #: Folder moves asked with ``moveFiles=true``: (old path, new path).
        self.moves: list[tuple[str, str]] = []
        #: Deletions asked: (tmdb or tvdb id, deleteFiles, exclusion) as sent.
        self.deletions: list[tuple[int, str | None, str | None]] = []
        #: The JSON bodies received by ``POST command``, by command id (the resource keeps only the spec's fields).
        self.command_bodies: dict[int, dict[str, Any]] = {}
        self.command_handlers: dict[str, Callable[[dict[str, Any]], str | None]] = {}
        self.manual_import_items: dict[str, list[dict[str, Any]]] = {}
        #: ``HistoryResource`` records, oldest first (``GET /history/since``).
        self.history: list[dict[str, Any]] = []
        api = self.api
        self.route("GET", rf"{api}/system/status", self._status)
        self.route("GET", rf"{api}/history/since", self._history_since)
        self.route("GET", rf"{api}/rootfolder", lambda r: Reply(200, self.root_folders))
        self.route("GET", rf"{api}/qualityprofile", lambda r: Reply(200, self.quality_profiles))
        self.route("POST", rf"{api}/command", self._post_command)
        self.route("GET", rf"{api}/command", lambda r: Reply(200, self.commands))
        self.route("GET", rf"{api}/command/(\d+)", self._get_command)
        self.route("GET", rf"{api}/manualimport", self._manual_import)

    def next_id(self) -> int:
        """A fresh resource id."""
        return next(self._ids)

    #: (event type of a deleted file, include flag, id field, included item field, collection attribute)
    DELETED = ("", "", "", "", "")

    def file_deleted(self, item_id: int, reason: str = "Manual") -> None:
        """Record that the file of a movie / an episode of a series was deleted (as the UI's delete or a
        rescan that found it missing do), with Radarr's / Sonarr's ``data.reason``."""
        event, _flag, id_field, _item, _collection = self.DELETED
        self.history.append({"id": len(self.history) + 1, id_field: item_id, "eventType": event, "date": _now(),
                             "sourceTitle": "", "data": {"reason": reason}})

    def _history_since(self, request: Request) -> Reply:
        _event, flag, id_field, item_field, collection = self.DELETED
        since = request.arg("date") or "1970-01-01T00:00:00Z"
        out = []
        for record in self.history:
            if record["date"] < since or (request.arg("eventType") and record["eventType"] != request.arg("eventType")):
                continue
            record = dict(record)
            if request.arg(flag) == "true":
                record[item_field] = getattr(self, collection).get(record[id_field])
            out.append(record)
        return Reply(200, out)

    # -- seeding -------------------------------------------------------------------------
    def add_root_folder(self, path: str, free_space: int = 2 * 1024**4) -> dict[str, Any]:
        """A root folder (``RootFolderResource``)."""
        folder = {"id": self.next_id(), "path": path, "accessible": True, "freeSpace": free_space,
                  "unmappedFolders": []}
        self.root_folders.append(folder)
        return folder

    def _move_folder(self, resource: dict[str, Any], body: dict[str, Any], request: Request) -> None:
        """Like Sonarr/Radarr's ``moveFiles=true``: the new path is stored at once, the folder moves on disk in
        the background a moment later (``move_delay_s``), as the real services do in their task queue."""
        old = resource.get("path")
        resource.update(path=body.get("path", old), rootFolderPath=body.get("rootFolderPath"))
        if request.arg("moveFiles") != "true" or not old or old == resource["path"]:
            return
        self.moves.append((old, resource["path"]))

        def move() -> None:
            time.sleep(getattr(self, "move_delay_s", 0.3))
            if os.path.isdir(old):
                shutil.move(old, resource["path"])

        threading.Thread(target=move, daemon=True).start()

    def set_manual_import(self, folder: str, items: list[dict[str, Any]]) -> None:
        """What ``GET manualimport?folder=`` answers for ``folder``."""
        self.manual_import_items[folder] = items

    # -- protocol ------------------------------------------------------------------------
    def authorize(self, request: Request) -> Reply | None:
        given = request.headers.get("x-api-key") or request.arg("apikey")
        if given != self.api_key:
            return Reply(401, b"", {"Content-Type": "text/plain"})
        return None

    def _status(self, request: Request) -> Reply:
        return Reply(200, {"appName": self.app_name, "instanceName": self.app_name, "version": self.version,
                           "isDebug": False, "isProduction": True, "isAdmin": False, "isUserInteractive": False,
                           "startupPath": "/app", "appData": "/config", "osName": "debian", "isDocker": True,
                           "isLinux": True, "isOsx": False, "isWindows": False, "branch": "main",
                           "authentication": "forms", "urlBase": "", "runtimeVersion": "6.0.33",
                           "runtimeName": ".NET", "databaseType": "sqLite"})

    def _post_command(self, request: Request) -> Reply:
        body = request.json() or {}
        name = body.get("name")
        if not name:
            return Reply(400, [{"propertyName": "Name", "errorMessage": "'Name' must not be empty."}])
        message = None
        handler = self.command_handlers.get(name)
        status = "completed"
        if handler is not None:
            try:
                message = handler(body)
            except Exception as exc:  # noqa: BLE001 - a failing command is a failed command
                status, message = "failed", str(exc)
        command_id = self.next_id()
        self.command_bodies[command_id] = body
        command = {"id": command_id, "name": name, "commandName": name, "message": message,
                   "body": {"name": name, "sendUpdatesToClient": False, "updateScheduledTask": True,
                            "requiresDiskAccess": False, "isExclusive": False, "isLongRunning": False,
                            "trigger": "manual", "suppressMessages": False},
                   "priority": "normal", "status": status, "result": "successful" if status == "completed"
                   else "unsuccessful", "queued": _now(), "started": _now(), "ended": _now(),
                   "duration": "00:00:00.0100000", "trigger": "manual", "stateChangeTime": _now(),
                   "sendUpdatesToClient": False, "updateScheduledTask": True}
        self.commands.append(command)
        return Reply(200, command)

    def _get_command(self, request: Request) -> Reply:
        command_id = int(request.path.rsplit("/", 1)[1])
        found = next((c for c in self.commands if c["id"] == command_id), None)
        return Reply(200, found) if found else Reply(404, {"message": "NotFound"})

    def _manual_import(self, request: Request) -> Reply:
        return Reply(200, self.manual_import_items.get(request.arg("folder") or "", []))


class SonarrEmulator(ArrEmulator):
    """Sonarr v3 API: series, lookup (TheTVDB catalogue), episodes, episode files."""

    DELETED = ("episodeFileDeleted", "includeSeries", "seriesId", "series", "series")

    def __init__(self, api_key: str = "0123456789abcdef0123456789abcdef"):
        super().__init__(api_key)
        self.series: dict[int, dict[str, Any]] = {}
        self.catalogue: dict[int, dict[str, Any]] = {}  # tvdb id -> lookup result
        self.episodes: dict[int, dict[str, Any]] = {}
        self.episode_files: dict[int, dict[str, Any]] = {}
        api = self.api
        self.route("GET", rf"{api}/series", self._list_series)
        self.route("GET", rf"{api}/series/(\d+)", self._get_series)
        self.route("PUT", rf"{api}/series/(\d+)", self._put_series)
        self.route("DELETE", rf"{api}/series/(\d+)", self._delete_series)
        self.route("POST", rf"{api}/series", self._add_series)
        self.route("GET", rf"{api}/series/lookup", self._lookup)
        self.route("GET", rf"{api}/episode", self._list_episodes)
        self.route("GET", rf"{api}/episode/(\d+)", self._get_episode)
        self.route("GET", rf"{api}/episodefile", self._list_files)

    # -- seeding -------------------------------------------------------------------------
    def _series_resource(self, title: str, year: int, tvdb_id: int, seasons: dict[int, int],
                         **extra: Any) -> dict[str, Any]:
        return {
            "title": title, "sortTitle": title.lower(), "status": "continuing", "ended": False,
            "overview": f"{title} overview", "network": "HBO", "airTime": "21:00",
            "images": [{"coverType": "poster", "url": f"/MediaCover/{tvdb_id}/poster.jpg",
                        "remoteUrl": f"https://artworks.thetvdb.com/banners/posters/{tvdb_id}-1.jpg"}],
            "originalLanguage": {"id": 1, "name": "English"},
            "seasons": [{"seasonNumber": n, "monitored": True,
                         "statistics": {"episodeFileCount": 0, "episodeCount": count, "totalEpisodeCount": count,
                                        "sizeOnDisk": 0, "releaseGroups": [], "percentOfEpisodes": 0.0}}
                        for n, count in sorted(seasons.items())],
            "year": year, "qualityProfileId": 1, "seasonFolder": True, "monitored": True,
            "monitorNewItems": "all", "useSceneNumbering": False, "runtime": 55, "tvdbId": tvdb_id,
            "tvRageId": 0, "tvMazeId": 0, "tmdbId": extra.pop("tmdb_id", 0), "firstAired": f"{year}-01-01T00:00:00Z",
            "seriesType": "standard", "cleanTitle": re.sub(r"\W", "", title.lower()),
            "imdbId": extra.pop("imdb_id", ""), "titleSlug": re.sub(r"\W+", "-", title.lower()).strip("-"),
            "genres": ["Drama"], "tags": [], "added": _now(), "ratings": {"votes": 100, "value": 8.5},
            **extra,
        }

    def add_lookup_series(self, title: str, year: int, tvdb_id: int, seasons: dict[int, int] | None = None,
                          **extra: Any) -> dict[str, Any]:
        """A series ``GET series/lookup`` finds (``seasons``: number -> episode count)."""
        found = self._series_resource(title, year, tvdb_id, seasons or {1: 3}, **extra)
        found["remotePoster"] = found["images"][0]["remoteUrl"]
        found["folder"] = _folder_name(title, year)
        self.catalogue[tvdb_id] = found
        return found

    def add_series(self, title: str, year: int, tvdb_id: int, seasons: dict[int, int] | None = None,
                   root: str = "/tv", episode_titles: dict[tuple[int, int], str] | None = None,
                   **extra: Any) -> dict[str, Any]:
        """A series already in Sonarr, with its episodes (no files)."""
        seasons = seasons or {1: 3}
        series = self._series_resource(title, year, tvdb_id, seasons, **extra)
        series_id = self.next_id()
        series.update(id=series_id, path=f"{root}/{_folder_name(title, year)}", rootFolderPath=root)
        self.series[series_id] = series
        titles = episode_titles or {}
        for season, count in seasons.items():
            for number in range(1, count + 1):
                episode_id = self.next_id()
                self.episodes[episode_id] = {
                    "id": episode_id, "seriesId": series_id, "tvdbId": tvdb_id * 100 + number, "episodeFileId": 0,
                    "seasonNumber": season, "episodeNumber": number,
                    "title": titles.get((season, number), f"Episode {number}"),
                    "airDate": f"{year}-0{min(season, 9)}-{number:02d}",
                    "airDateUtc": f"{year}-0{min(season, 9)}-{number:02d}T21:00:00Z", "runtime": 55,
                    "overview": "", "hasFile": False, "monitored": True, "absoluteEpisodeNumber": number,
                    "unverifiedSceneNumbering": False}
        return series

    def add_episode_file(self, series_id: int, season: int, episodes: list[int], relative_path: str,
                         size: int) -> dict[str, Any]:
        """Mark episodes as having a file (what an import does)."""
        series = self.series[series_id]
        file_id = self.next_id()
        record = {"id": file_id, "seriesId": series_id, "seasonNumber": season, "relativePath": relative_path,
                  "path": f"{series['path']}/{relative_path}", "size": size, "dateAdded": _now(),
                  "languages": [{"id": 2, "name": "French"}], "quality": QUALITY_1080P_WEB, "customFormats": [],
                  "customFormatScore": 0, "releaseType": "singleEpisode", "qualityCutoffNotMet": False}
        self.episode_files[file_id] = record
        for episode in self.episodes.values():
            if (episode["seriesId"], episode["seasonNumber"]) == (series_id, season) and \
                    episode["episodeNumber"] in episodes:
                episode.update(hasFile=True, episodeFileId=file_id)
        return record

    # -- handlers ------------------------------------------------------------------------
    def _list_series(self, request: Request) -> Reply:
        tvdb = request.arg("tvdbId")
        return Reply(200, [s for s in self.series.values() if tvdb is None or str(s["tvdbId"]) == tvdb])

    def _get_series(self, request: Request) -> Reply:
        found = self.series.get(int(request.path.rsplit("/", 1)[1]))
        return Reply(200, found) if found else Reply(404, {"message": "Series not found"})

    def _lookup(self, request: Request) -> Reply:
        term = (request.arg("term") or "").strip()
        if term.startswith("tvdb:"):
            found = self.catalogue.get(int(term[5:]))
            return Reply(200, [found] if found else [])
        words = term.lower()
        return Reply(200, [s for s in self.catalogue.values() if words and words in s["title"].lower()])

    def _add_series(self, request: Request) -> Reply:
        body = request.json() or {}
        tvdb_id = body.get("tvdbId")
        if not tvdb_id or not body.get("rootFolderPath") or not body.get("qualityProfileId"):
            return Reply(400, [{"propertyName": "TvdbId", "errorMessage": "TvdbId, RootFolderPath and "
                                                                         "QualityProfileId are required"}])
        if any(s["tvdbId"] == tvdb_id for s in self.series.values()):
            return Reply(400, [{"propertyName": "TvdbId", "errorMessage": "This series has already been added",
                                "errorCode": "SeriesExistsValidator"}])
        base = self.catalogue.get(tvdb_id) or body
        seasons = {s["seasonNumber"]: s.get("statistics", {}).get("totalEpisodeCount", 0) or 1
                   for s in base.get("seasons", [])} or {1: 1}
        added = self.add_series(base["title"], base.get("year", 0), tvdb_id, seasons, root=body["rootFolderPath"],
                                tmdb_id=base.get("tmdbId", 0), imdb_id=base.get("imdbId", ""))
        added.update(qualityProfileId=body["qualityProfileId"], monitored=body.get("monitored", True),
                     addOptions=body.get("addOptions") or {})
        wanted = {s.get("seasonNumber"): s.get("monitored", True) for s in body.get("seasons", [])}
        if "monitor" not in added["addOptions"]:  # no monitor option: Sonarr keeps the seasons' own flags
            for season in added["seasons"]:
                season["monitored"] = bool(wanted.get(season["seasonNumber"], True))
        return Reply(200, added)

    def _delete_series(self, request: Request) -> Reply:
        found = self.series.pop(int(request.path.rsplit("/", 1)[1]), None)
        if found is None:
            return Reply(404, {"message": "Series not found"})
        self.deletions.append((found["tvdbId"], request.arg("deleteFiles"), request.arg("addImportListExclusion")))
        return Reply(200, {})

    def _put_series(self, request: Request) -> Reply:
        found = self.series.get(int(request.path.rsplit("/", 1)[1]))
        if found is None:
            return Reply(404, {"message": "Series not found"})
        body = request.json() or {}
        flags = {s.get("seasonNumber"): s.get("monitored") for s in body.get("seasons", [])}
        for season in found["seasons"]:
            if flags.get(season["seasonNumber"]) is not None:
                season["monitored"] = bool(flags[season["seasonNumber"]])
        found["monitored"] = body.get("monitored", found.get("monitored", True))
        self._move_folder(found, body, request)
        return Reply(202, found)

    def _list_episodes(self, request: Request) -> Reply:
        series_id = request.arg("seriesId")
        if series_id is None:
            return Reply(400, {"message": "seriesId is missing"})
        season = request.arg("seasonNumber")
        found = [e for e in self.episodes.values() if str(e["seriesId"]) == series_id
                 and (season is None or str(e["seasonNumber"]) == season)]
        return Reply(200, found)

    def _get_episode(self, request: Request) -> Reply:
        found = self.episodes.get(int(request.path.rsplit("/", 1)[1]))
        return Reply(200, found) if found else Reply(404, {"message": "Episode not found"})

    def _list_files(self, request: Request) -> Reply:
        series_id = request.arg("seriesId")
        return Reply(200, [f for f in self.episode_files.values() if str(f["seriesId"]) == series_id])


class RadarrEmulator(ArrEmulator):
    """Radarr v3 API: movies, lookup (TMDB catalogue)."""

    app_name = "Radarr"
    version = "5.8.3.8933"
    DELETED = ("movieFileDeleted", "includeMovie", "movieId", "movie", "movies")

    def __init__(self, api_key: str = "fedcba9876543210fedcba9876543210"):
        super().__init__(api_key)
        self.movies: dict[int, dict[str, Any]] = {}
        self.catalogue: dict[int, dict[str, Any]] = {}  # tmdb id -> lookup result
        api = self.api
        self.route("GET", rf"{api}/movie", self._list_movies)
        self.route("GET", rf"{api}/movie/(\d+)", self._get_movie)
        self.route("PUT", rf"{api}/movie/(\d+)", self._put_movie)
        self.route("DELETE", rf"{api}/movie/(\d+)", self._delete_movie)
        self.route("POST", rf"{api}/movie", self._add_movie)
        self.route("GET", rf"{api}/movie/lookup", self._lookup)

    def _movie_resource(self, title: str, year: int, tmdb_id: int, **extra: Any) -> dict[str, Any]:
        return {
            "title": title, "originalTitle": extra.pop("original_title", title), "originalLanguage":
            {"id": 1, "name": "English"}, "sortTitle": title.lower(), "sizeOnDisk": 0, "status": "released",
            "overview": f"{title} overview", "inCinemas": f"{year}-03-31T00:00:00Z",
            "images": [{"coverType": "poster", "url": f"/MediaCover/{tmdb_id}/poster.jpg",
                        "remoteUrl": f"https://image.tmdb.org/t/p/original/{tmdb_id}.jpg"}],
            "website": "", "year": year, "youTubeTrailerId": "", "studio": "Studio", "qualityProfileId": 1,
            "hasFile": False, "monitored": True, "minimumAvailability": "released", "isAvailable": True,
            "folderName": _folder_name(title, year), "runtime": 120, "cleanTitle": re.sub(r"\W", "", title.lower()),
            "imdbId": extra.pop("imdb_id", ""), "tmdbId": tmdb_id,
            "titleSlug": f"{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}-{tmdb_id}",
            "genres": ["Action"], "tags": [], "added": _now(),
            "ratings": {"tmdb": {"votes": 1000, "value": 7.9, "type": "user"}}, "popularity": 10.0,
            **extra,
        }

    def add_lookup_movie(self, title: str, year: int, tmdb_id: int, **extra: Any) -> dict[str, Any]:
        """A movie ``GET movie/lookup`` finds."""
        found = self._movie_resource(title, year, tmdb_id, **extra)
        found["remotePoster"] = found["images"][0]["remoteUrl"]
        self.catalogue[tmdb_id] = found
        return found

    def add_movie(self, title: str, year: int, tmdb_id: int, root: str = "/movies", **extra: Any) -> dict[str, Any]:
        """A movie already in Radarr (no file)."""
        movie = self._movie_resource(title, year, tmdb_id, **extra)
        movie_id = self.next_id()
        movie.update(id=movie_id, path=f"{root}/{_folder_name(title, year)}", rootFolderPath=root)
        self.movies[movie_id] = movie
        return movie

    def _list_movies(self, request: Request) -> Reply:
        tmdb = request.arg("tmdbId")
        return Reply(200, [m for m in self.movies.values() if tmdb is None or str(m["tmdbId"]) == tmdb])

    def _get_movie(self, request: Request) -> Reply:
        found = self.movies.get(int(request.path.rsplit("/", 1)[1]))
        return Reply(200, found) if found else Reply(404, {"message": "Movie not found"})

    def _delete_movie(self, request: Request) -> Reply:
        found = self.movies.pop(int(request.path.rsplit("/", 1)[1]), None)
        if found is None:
            return Reply(404, {"message": "Movie not found"})
        self.deletions.append((found["tmdbId"], request.arg("deleteFiles"), request.arg("addImportExclusion")))
        if request.arg("deleteFiles") == "true" and found.get("path") and os.path.isdir(found["path"]):
            shutil.rmtree(found["path"])
        return Reply(200, {})

    def _put_movie(self, request: Request) -> Reply:
        found = self.movies.get(int(request.path.rsplit("/", 1)[1]))
        if found is None:
            return Reply(404, {"message": "Movie not found"})
        self._move_folder(found, request.json() or {}, request)
        return Reply(202, found)

    def _lookup(self, request: Request) -> Reply:
        term = (request.arg("term") or "").strip()
        if term.startswith("tmdb:"):
            found = self.catalogue.get(int(term[5:]))
            return Reply(200, [found] if found else [])
        words = term.lower()
        return Reply(200, [m for m in self.catalogue.values() if words and words in m["title"].lower()])

    def _add_movie(self, request: Request) -> Reply:
        body = request.json() or {}
        tmdb_id = body.get("tmdbId")
        if not tmdb_id or not body.get("rootFolderPath") or not body.get("qualityProfileId"):
            return Reply(400, [{"propertyName": "TmdbId", "errorMessage": "TmdbId, RootFolderPath and "
                                                                         "QualityProfileId are required"}])
        if any(m["tmdbId"] == tmdb_id for m in self.movies.values()):
            return Reply(400, [{"propertyName": "TmdbId", "errorMessage": "This movie has already been added",
                                "errorCode": "MovieExistsValidator"}])
        base = self.catalogue.get(tmdb_id) or body
        added = self.add_movie(base["title"], base.get("year", 0), tmdb_id, root=body["rootFolderPath"],
                               imdb_id=base.get("imdbId", ""))
        added.update(qualityProfileId=body["qualityProfileId"], monitored=body.get("monitored", True),
                     addOptions=body.get("addOptions") or {})
        return Reply(200, added)


class ProwlarrEmulator(ArrEmulator):
    """Prowlarr v1 API: indexers, each with its Torznab feed at ``/{id}/api`` (seed it through the feed)."""

    app_name = "Prowlarr"
    version = "1.21.2.4649"
    api = "/api/v1"

    def __init__(self, api_key: str = "abcdefabcdefabcdefabcdefabcdef12"):
        super().__init__(api_key)
        self.indexers: dict[int, dict[str, Any]] = {}
        self.feeds: dict[int, TorznabFeed] = {}
        self.indexer_faults: dict[int, list[str | int]] = {}
        self.route("GET", rf"{self.api}/indexer", lambda r: Reply(200, list(self.indexers.values())))
        self.route("GET", r"/(\d+)/api", self._feed)

    def add_indexer(self, name: str, **extra: Any) -> TorznabFeed:
        """An indexer (``protocol``/``enable`` in ``extra``); returns its feed to seed releases into."""
        indexer_id = self.next_id()
        self.indexers[indexer_id] = indexer_resource(indexer_id, name, **extra)
        self.feeds[indexer_id] = TorznabFeed(name, self.api_key, f"{self.url}/{indexer_id}")
        return self.feeds[indexer_id]

    def indexer_id(self, name: str) -> int:
        """The id of the indexer called ``name``."""
        return next(i for i, x in self.indexers.items() if x["name"] == name)

    def fail_indexer(self, name: str, fault: str | int, times: int = 1) -> None:
        """Make the next feed calls of one indexer fail: an HTTP status, ``timeout``, ``malformed`` or ``error``."""
        self.indexer_faults.setdefault(self.indexer_id(name), []).extend([fault] * times)

    def authorize(self, request: Request) -> Reply | None:
        if re.fullmatch(r"/\d+/api", request.path):
            return None  # the feed answers a wrong key with the Newznab error document
        return super().authorize(request)

    def _feed(self, request: Request) -> Reply:
        indexer_id = int(request.path.split("/")[1])
        feed = self.feeds.get(indexer_id)
        if feed is None:
            return Reply(404, {"message": "Indexer not found"})
        faults = self.indexer_faults.get(indexer_id)
        fault = faults.pop(0) if faults else None
        if fault == "timeout":
            self._release.wait(timeout=120)
            return None
        if fault == "malformed":
            return Reply(200, "<rss><channel><item><title>cut", {"Content-Type": "application/rss+xml"}, injected=True)
        if fault == "error":
            reply = error_xml(900, "Indexer is down for maintenance")
            reply.injected = True
            return reply
        if isinstance(fault, int):
            return Reply(fault, b"", {"Content-Type": "text/plain"}, injected=True)
        return feed.answer(request)
