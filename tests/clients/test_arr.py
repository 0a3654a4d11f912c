"""Sonarr and Radarr clients against their emulators; every answer checked against the OpenAPI spec."""

from __future__ import annotations

import time

import pytest

from app.utils.clients.arr import READ_ATTEMPTS
from app.utils.clients.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from tests.emulators.arr import RadarrEmulator, SonarrEmulator
from tests.emulators.base import Reply
from tests.emulators.openapi import OpenApiSpec

TIMEOUT = (2.0, 1.0)


@pytest.fixture
def sonarr():
    emulator = SonarrEmulator().start()
    yield emulator
    emulator.stop()
    OpenApiSpec("sonarr/openapi-v3.json").check_exchanges(emulator.exchanges)


@pytest.fixture
def radarr():
    emulator = RadarrEmulator().start()
    yield emulator
    emulator.stop()
    OpenApiSpec("radarr/openapi-v3.json").check_exchanges(emulator.exchanges)


def _sonarr(emulator, key=None) -> SonarrClient:
    return SonarrClient(emulator.url, key or emulator.api_key, timeout=TIMEOUT)


def _radarr(emulator, key=None) -> RadarrClient:
    return RadarrClient(emulator.url, key or emulator.api_key, timeout=TIMEOUT)


def test_sonarr_series_episodes_files_and_commands(sonarr) -> None:
    sonarr.add_root_folder("/tv")
    got = sonarr.add_series("The Expanse", 2015, 280619, {1: 10, 2: 13}, tmdb_id=63639, imdb_id="tt3230854",
                            episode_titles={(1, 2): "The Big Empty"})
    sonarr.add_episode_file(got["id"], 1, [2], "Season 01/The Expanse - S01E02.mkv", 1_234_567)
    client = _sonarr(sonarr)
    [series] = client.series_list()
    assert (series.title, series.year, series.tvdb_id, series.tmdb_id) == ("The Expanse", 2015, 280619, 63639)
    assert [s.season_number for s in series.seasons] == [1, 2]
    assert client.series(got["id"]).path == "/tv/The Expanse (2015)"
    season1 = client.episodes(got["id"], 1)
    assert len(season1) == 10 and len(client.episodes(got["id"])) == 23
    e2 = next(e for e in season1 if e.episode_number == 2)
    assert e2.title == "The Big Empty" and e2.has_file and e2.episode_file_id
    [file] = client.episode_files(got["id"])
    assert file.size == 1_234_567 and file.id == e2.episode_file_id
    assert [f.path for f in client.root_folders()] == ["/tv"]
    assert {p.name for p in client.quality_profiles()} == {"Any", "HD-1080p"}
    rescan = client.rescan_series(got["id"])
    scan = client.downloaded_episodes_scan("/downloads/The.Expanse.S01E03")
    assert (rescan.name, rescan.status) == ("RescanSeries", "completed")
    assert client.command_status(scan.id).name == "DownloadedEpisodesScan"
    assert sonarr.command_bodies[scan.id]["path"] == "/downloads/The.Expanse.S01E03"
    assert [c["name"] for c in sonarr.commands] == ["RescanSeries", "DownloadedEpisodesScan"]
    with pytest.raises(UpstreamNotFound):
        client.series(999)


def test_sonarr_lookup_and_add(sonarr) -> None:
    sonarr.add_lookup_series("Les Revenants", 2012, 259570, {1: 8, 2: 8})
    client = _sonarr(sonarr)
    assert client.lookup("nothing like it") == []
    [found] = client.lookup("revenants")
    assert found.id == 0 and client.lookup("tvdb:259570")[0].title == "Les Revenants"
    added = client.add_series(found, root_folder_path="/tv", quality_profile_id=4)
    assert added.id > 0 and added.path == "/tv/Les Revenants (2012)" and added.quality_profile_id == 4
    assert len(client.episodes(added.id)) == 16
    with pytest.raises(UpstreamBadResponse, match="already been added"):
        client.add_series(found, root_folder_path="/tv", quality_profile_id=4)


def test_sonarr_manual_import(sonarr) -> None:
    series = sonarr.add_series("Show", 2020, 1, {1: 2})
    folder = "/downloads/Show.S01"
    sonarr.set_manual_import(folder, [{
        "id": 1, "path": f"{folder}/Show.S01E01.mkv", "relativePath": "Show.S01E01.mkv", "folderName": "Show.S01",
        "name": "Show.S01E01", "size": 1000, "series": series, "seasonNumber": 1,
        "episodes": [e for e in sonarr.episodes.values() if e["episodeNumber"] == 1], "qualityWeight": 0,
        "customFormatScore": 0, "indexerFlags": 0, "releaseType": "singleEpisode", "rejections": []}])
    client = _sonarr(sonarr)
    assert client.manual_import_candidates("/elsewhere") == []
    [item] = client.manual_import_candidates(folder)
    assert item.season_number == 1 and item.episodes[0]["episodeNumber"] == 1
    command = client.manual_import([{"path": item.path, "seriesId": series["id"],
                                     "episodeIds": [item.episodes[0]["id"]]}])
    assert command.name == "ManualImport" and sonarr.command_bodies[command.id]["importMode"] == "move"


def test_radarr_movies_lookup_add_commands(radarr) -> None:
    radarr.add_root_folder("/movies")
    radarr.add_lookup_movie("Le Fabuleux Destin d'Amélie Poulain", 2001, 194, imdb_id="tt0211915")
    client = _radarr(radarr)
    assert client.movies() == [] and client.lookup("zzz") == []
    [found] = client.lookup("tmdb:194")
    added = client.add_movie(found, root_folder_path="/movies", quality_profile_id=4)
    assert added.id and added.path == "/movies/Le Fabuleux Destin d'Amélie Poulain (2001)"
    assert client.movies(tmdb_id=194)[0].imdb_id == "tt0211915" and client.movies(tmdb_id=1) == []
    assert client.movie(added.id).title.startswith("Le Fabuleux")
    rescan = client.rescan_movie(added.id)
    assert radarr.command_bodies[rescan.id] == {"name": "RescanMovie", "movieId": added.id}
    assert client.downloaded_movies_scan("/downloads/Amelie.2001").name == "DownloadedMoviesScan"
    assert client.root_folders()[0].path == "/movies"


@pytest.mark.parametrize("kind", ["sonarr", "radarr"])
def test_failures_map_to_typed_errors(kind, sonarr, radarr) -> None:
    emulator, make = (sonarr, _sonarr) if kind == "sonarr" else (radarr, _radarr)
    client = make(emulator)
    list_call = client.series_list if kind == "sonarr" else client.movies
    with pytest.raises(UpstreamAuthError) as caught:
        make(emulator, key="wrong").root_folders()
    assert f"{kind.upper()}_API_KEY" in str(caught.value)
    emulator.fail_next("timeout")
    start = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        list_call()
    assert time.monotonic() - start < TIMEOUT[1] + 1.5
    emulator.fail_next(500)  # one 500: the idempotent read is retried and succeeds
    assert list_call() == []
    emulator.fail_next(500, times=READ_ATTEMPTS)
    with pytest.raises(UpstreamUnavailable, match="HTTP 500"):
        list_call()
    emulator.fail_next("malformed")
    with pytest.raises(UpstreamBadResponse, match="not JSON"):
        list_call()
    emulator.fail_next(503)
    with pytest.raises(UpstreamUnavailable):  # commands are not retried
        client.command("RefreshMonitoredDownloads")


def test_wrong_shape_is_a_bad_response(sonarr) -> None:
    sonarr.override("GET", r"/api/v3/rootfolder", lambda r: Reply(200, {"not": "a list"}))
    with pytest.raises(UpstreamBadResponse, match="expected a list"):
        _sonarr(sonarr).root_folders()
    sonarr.exchanges.clear()  # the deliberately wrong answer is not the emulator's dialect
