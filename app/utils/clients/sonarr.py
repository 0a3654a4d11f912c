"""Sonarr v3 client (``shared/specs/sonarr/openapi-v3.json``): series, episodes, files, commands."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.utils.clients.arr import ArrClient, ArrModel, Command, parse_model


class SeasonInfo(ArrModel):
    """A season of a series: number, monitored, counts from ``statistics``."""

    season_number: int
    monitored: bool = True
    statistics: dict[str, Any] = Field(default_factory=dict)


class Series(ArrModel):
    """``SeriesResource``: ``id`` is 0 / absent for a lookup result not yet added."""

    id: int = 0
    title: str
    year: int = 0
    tvdb_id: int = 0
    tmdb_id: int = 0
    imdb_id: str | None = None
    title_slug: str | None = None
    path: str | None = None
    root_folder_path: str | None = None
    quality_profile_id: int = 0
    monitored: bool = False
    series_type: str = "standard"
    seasons: list[SeasonInfo] = Field(default_factory=list)
    images: list[dict[str, Any]] = Field(default_factory=list)
    original_language: dict[str, Any] | None = None
    #: ``episodeCount`` (monitored, aired), ``episodeFileCount``, ``sizeOnDisk`` (bytes)...
    statistics: dict[str, Any] | None = None


class Episode(ArrModel):
    """``EpisodeResource``; ``air_date`` is ``YYYY-MM-DD``."""

    id: int
    series_id: int
    season_number: int
    episode_number: int
    title: str | None = None
    air_date: str | None = None
    has_file: bool = False
    episode_file_id: int = 0
    monitored: bool = True
    absolute_episode_number: int | None = None
    #: ``airDateUtc`` (ISO 8601 UTC): when Sonarr knows the hour, the exact air time; ``runtime`` minutes.
    air_date_utc: str | None = None
    runtime: int | None = None


class EpisodeFile(ArrModel):
    """``EpisodeFileResource``; ``size`` in bytes."""

    id: int
    series_id: int
    season_number: int
    relative_path: str | None = None
    path: str | None = None
    size: int = 0
    quality: dict[str, Any] | None = None


class SonarrClient(ArrClient):
    """Sonarr at ``sonarr_url`` with ``sonarr_api_key``."""

    SERVICE = "Sonarr"
    API = "/api/v3"
    URL_SETTING = "sonarr_url"
    KEY_SETTING = "sonarr_api_key"
    FILE_DELETED = ("episodeFileDeleted", "includeSeries", "series", "tvdbId")

    def series_list(self) -> list[Series]:
        """``GET /series``: every series in Sonarr."""
        return self._get_list(Series, "series")

    def series(self, series_id: int) -> Series:
        """``GET /series/{id}``; raises ``UpstreamNotFound``."""
        return self._get_one(Series, f"series/{series_id}")

    def lookup(self, term: str) -> list[Series]:
        """``GET /series/lookup?term=``: search TheTVDB through Sonarr (``tvdb:12345`` finds one id)."""
        return self._get_list(Series, "series/lookup", term=term)

    def episodes(self, series_id: int, season_number: int | None = None) -> list[Episode]:
        """``GET /episode?seriesId=&seasonNumber=``."""
        return self._get_list(Episode, "episode", seriesId=series_id, seasonNumber=season_number)

    def episode_files(self, series_id: int) -> list[EpisodeFile]:
        """``GET /episodefile?seriesId=``."""
        return self._get_list(EpisodeFile, "episodefile", seriesId=series_id)

    def add_series(
        self,
        found: Series,
        *,
        root_folder_path: str,
        quality_profile_id: int,
        monitored: bool = True,
        search_missing: bool = False,
        seasons: list[int] | None = None,
    ) -> Series:
        """``POST /series`` with a lookup result; sent once. Returns the added series (with its id).
        ``seasons``: monitor only these season numbers (as Overseerr does: the seasons' ``monitored`` flags and
        no ``addOptions.monitor``, so Sonarr keeps the flags); else every season or none (``monitored``)."""
        body = found.model_dump(by_alias=True, exclude={"id", "path"}, exclude_none=True)
        options: dict[str, Any] = {"searchForMissingEpisodes": search_missing}
        if seasons is None:
            options["monitor"] = "all" if monitored else "none"
        else:
            body["seasons"] = [{**s, "monitored": s.get("seasonNumber") in seasons} for s in body.get("seasons", [])]
            options["ignoreEpisodesWithFiles"] = True
        body.update(
            rootFolderPath=root_folder_path,
            qualityProfileId=quality_profile_id,
            monitored=monitored,
            seasonFolder=True,
            addOptions=options,
        )
        return self._post(Series, "series", body)

    def monitor_seasons(self, series_id: int, seasons: list[int]) -> Series:
        """Monitor these seasons of an added series too (``PUT /series/{id}`` with the seasons' ``monitored``
        flags; the other seasons keep theirs). Sent once."""
        body = self._get(f"series/{int(series_id)}")
        body["monitored"] = True
        for season in body.get("seasons", []):
            if season.get("seasonNumber") in seasons:
                season["monitored"] = True
        return parse_model(self.SERVICE, Series, self.send_json("PUT", f"{self.API}/series/{int(series_id)}", body))

    def search_season(self, series_id: int, season_number: int) -> Command:
        """``SeasonSearch`` command: look for the monitored missing episodes of one season."""
        return self.command("SeasonSearch", seriesId=series_id, seasonNumber=season_number)

    def rescan_series(self, series_id: int) -> Command:
        """``RescanSeries`` command: re-read the series folder from disk."""
        return self.command("RescanSeries", seriesId=series_id)

    def search_series(self, series_id: int) -> Command:
        """``SeriesSearch`` command: look for missing episodes of the series."""
        return self.command("SeriesSearch", seriesId=series_id)

    def downloaded_episodes_scan(
        self, path: str, download_client_id: str | None = None, import_mode: str = "Move"
    ) -> Command:
        """``DownloadedEpisodesScan`` command: import what is in ``path`` (the *arr's view of the path)."""
        return self.downloaded_scan("DownloadedEpisodesScan", path, download_client_id, import_mode)

    def move_series(self, series_id: int, root_folder_path: str, path: str) -> Series:
        """Move a series' folder: ``PUT /series/{id}?moveFiles=true`` with the new ``rootFolderPath`` and ``path``
        (Sonarr's view of the paths); Sonarr moves the files in the background. Sent once."""
        return self._move(Series, "series", series_id, root_folder_path, path)

    def delete_series(self, series_id: int, *, delete_files: bool = True, exclude: bool = False) -> None:
        """``DELETE /series/{id}?deleteFiles=&addImportListExclusion=``: Sonarr forgets the series (and deletes
        its files). Sent once."""
        self._delete("series", series_id, deleteFiles=delete_files, addImportListExclusion=exclude)
