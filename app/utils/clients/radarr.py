"""Radarr v3 client (``shared/specs/radarr/openapi-v3.json``): movies, files, commands."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.utils.clients.arr import ArrClient, ArrModel, Command


class Movie(ArrModel):
    """``MovieResource``: ``id`` is 0 / absent for a lookup result not yet added; ``size_on_disk`` in bytes."""

    id: int = 0
    title: str
    original_title: str | None = None
    year: int = 0
    tmdb_id: int = 0
    imdb_id: str | None = None
    title_slug: str | None = None
    path: str | None = None
    root_folder_path: str | None = None
    quality_profile_id: int = 0
    monitored: bool = False
    has_file: bool = False
    size_on_disk: int = 0
    images: list[dict[str, Any]] = Field(default_factory=list)
    movie_file: dict[str, Any] | None = None


class RadarrClient(ArrClient):
    """Radarr at ``radarr_url`` with ``radarr_api_key``."""

    SERVICE = "Radarr"
    API = "/api/v3"
    URL_SETTING = "radarr_url"
    KEY_SETTING = "radarr_api_key"
    FILE_DELETED = ("movieFileDeleted", "includeMovie", "movie", "tmdbId")

    def movies(self, tmdb_id: int | None = None) -> list[Movie]:
        """``GET /movie`` (optionally ``?tmdbId=``)."""
        return self._get_list(Movie, "movie", tmdbId=tmdb_id)

    def movie(self, movie_id: int) -> Movie:
        """``GET /movie/{id}``; raises ``UpstreamNotFound``."""
        return self._get_one(Movie, f"movie/{movie_id}")

    def lookup(self, term: str) -> list[Movie]:
        """``GET /movie/lookup?term=``: search TMDB through Radarr (``tmdb:603`` finds one id)."""
        return self._get_list(Movie, "movie/lookup", term=term)

    def add_movie(
        self,
        found: Movie,
        *,
        root_folder_path: str,
        quality_profile_id: int,
        monitored: bool = True,
        search: bool = False,
    ) -> Movie:
        """``POST /movie`` with a lookup result; sent once. Returns the added movie (with its id)."""
        body = found.model_dump(by_alias=True, exclude={"id", "path", "movie_file"}, exclude_none=True)
        body.update(
            rootFolderPath=root_folder_path,
            qualityProfileId=quality_profile_id,
            monitored=monitored,
            minimumAvailability="released",
            addOptions={"searchForMovie": search},
        )
        return self._post(Movie, "movie", body)

    def rescan_movie(self, movie_id: int) -> Command:
        """``RescanMovie`` command: re-read the movie folder from disk."""
        return self.command("RescanMovie", movieId=movie_id)

    def search_movie(self, movie_id: int) -> Command:
        """``MoviesSearch`` command: look for a release of the movie."""
        return self.command("MoviesSearch", movieIds=[movie_id])

    def downloaded_movies_scan(
        self, path: str, download_client_id: str | None = None, import_mode: str = "Move"
    ) -> Command:
        """``DownloadedMoviesScan`` command: import what is in ``path`` (the *arr's view of the path)."""
        return self.downloaded_scan("DownloadedMoviesScan", path, download_client_id, import_mode)

    def move_movie(self, movie_id: int, root_folder_path: str, path: str) -> Movie:
        """Move a movie's folder: ``PUT /movie/{id}?moveFiles=true`` with the new ``rootFolderPath`` and ``path``
        (Radarr's view of the paths); Radarr moves the files in the background. Sent once."""
        return self._move(Movie, "movie", movie_id, root_folder_path, path)

    def delete_movie(self, movie_id: int, *, delete_files: bool = True, exclude: bool = False) -> None:
        """``DELETE /movie/{id}?deleteFiles=&addImportExclusion=``: Radarr forgets the movie (and deletes its
        files). Sent once."""
        self._delete("movie", movie_id, deleteFiles=delete_files, addImportExclusion=exclude)
