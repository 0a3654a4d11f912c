"""TMDB client (tmdbv3api, configured not patched) against the TMDB emulator."""

from __future__ import annotations

import os
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
from app.utils.clients.tmdb import TmdbClient
from tests.emulators.openapi import OpenApiSpec
from tests.emulators.tmdb import TmdbEmulator

TIMEOUT = (2.0, 1.0)


@pytest.fixture
def tmdb():
    emulator = TmdbEmulator().start()
    emulator.add_movie(194, "Le Fabuleux Destin d'Amélie Poulain", 2001, imdb_id="tt0211915", original_language="fr",
                       translations={"fr-FR": {"title": "Le Fabuleux Destin d'Amélie Poulain", "overview": ""},
                                     "en-US": {"title": "Amélie", "overview": "At a tiny Parisian café..."}},
                       videos=[{"key": "frTrailer01", "iso_639_1": "fr", "name": "Bande-annonce"},
                               {"key": "enTrailer01", "iso_639_1": "en", "name": "Trailer"}],
                       posters=[{"aspect_ratio": 0.667, "file_path": "/fr.jpg", "height": 1500, "iso_639_1": "fr",
                                 "vote_average": 5.3, "vote_count": 2, "width": 1000},
                                {"aspect_ratio": 0.667, "file_path": "/de.jpg", "height": 1500, "iso_639_1": "de",
                                 "vote_average": 5.3, "vote_count": 2, "width": 1000}])
    emulator.add_tv(1399, "Game of Thrones", 2011, tvdb_id=121361, imdb_id="tt0944947", seasons={1: 10, 2: 10},
                    translations={"fr-FR": {"name": "Le Trône de fer", "overview": "Sur le continent de Westeros..."}},
                    episode_names={(1, 1): {"fr-FR": "L'hiver vient", "en-US": "Winter Is Coming"}})
    yield emulator
    emulator.stop()
    OpenApiSpec("tmdb/tmdb-openapi-v3-subset.json").check_exchanges(emulator.exchanges)


def _client(tmdb, key=None) -> TmdbClient:
    return TmdbClient(tmdb.api_url, key or tmdb.api_key, "fr-FR", timeout=TIMEOUT)


def test_search_details_and_french_with_english_fallback(tmdb) -> None:
    client = _client(tmdb)
    [amelie] = client.search_movies("amélie")
    assert (amelie.id, amelie.year, amelie.media_type) == (194, 2001, "movie")
    details = client.movie(194)
    assert details.title == "Le Fabuleux Destin d'Amélie Poulain"  # French title kept
    assert details.overview == "At a tiny Parisian café..."  # blank French overview filled from en-US
    assert details.imdb_id == "tt0211915"
    languages = [r.arg("language") for r in tmdb.requests if r.path == "/3/movie/194"]
    assert languages == ["fr-FR", "en-US"]
    assert client.search_movies("nothing matches this") == []


def test_tv_season_ids_videos_images(tmdb) -> None:
    client = _client(tmdb)
    [got] = client.search_tv("trône")
    show = client.tv(got.id)
    assert (show.title, show.tvdb_id, show.number_of_seasons, show.year) == ("Le Trône de fer", 121361, 2, 2011)
    season = client.season(1399, 1)
    assert len(season.episodes) == 10 and season.episodes[0].name == "L'hiver vient"
    assert client.external_ids("tv", 1399)["tvdb_id"] == 121361
    videos = client.videos("movie", 194)
    assert [v.key for v in videos] == ["frTrailer01", "enTrailer01"]
    assert [p["file_path"] for p in client.images("movie", 194)["posters"]] == ["/fr.jpg"]
    assert client.videos("tv", 1399) == []
    with pytest.raises(UpstreamNotFound):
        client.movie(999999)


def test_library_globals_are_untouched(tmdb) -> None:
    before = {k: os.environ.get(k) for k in ("TMDB_API_KEY", "TMDB_LANGUAGE")}
    _client(tmdb).movie(194)
    assert {k: os.environ.get(k) for k in ("TMDB_API_KEY", "TMDB_LANGUAGE")} == before


def test_a_movies_collection_and_its_parts(tmdb) -> None:
    tmdb.add_collection(8091, "Alien - Saga")
    tmdb.add_movie(679, "Aliens", 1986, collection=8091, translations={"fr-FR": {"title": "Aliens, le retour"}})
    tmdb.add_movie(348, "Alien", 1979, collection=8091, translations={})
    client = _client(tmdb)
    assert client.movie(348).collection_id == 8091 and client.movie(194).collection_id is None
    saga = client.collection(8091)
    assert saga.name == "Alien - Saga"
    assert [(p.id, p.title, p.year, p.release_date) for p in saga.parts] == [
        (348, "Alien", 1979, "1979-04-25"), (679, "Aliens, le retour", 1986, "1986-04-25")]  # oldest first, French
    with pytest.raises(UpstreamNotFound):
        client.collection(1)


def test_failures(tmdb) -> None:
    with pytest.raises(UpstreamAuthError, match="TMDB_API_KEY"):
        _client(tmdb, key="wrong").movie(194)
    tmdb.fail_next("timeout")
    start = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        _client(tmdb).movie(194)
    assert time.monotonic() - start < TIMEOUT[1] + 1.5
    tmdb.fail_next(500, times=READ_ATTEMPTS)
    with pytest.raises(UpstreamUnavailable):
        _client(tmdb).search_movies("amélie")
    tmdb.fail_next("malformed")
    with pytest.raises(UpstreamBadResponse, match="not JSON"):
        _client(tmdb).search_movies("amélie")
