"""TheTVDB client (tvdb_v4_official's calls over our transport) against the TVDB emulator."""

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
from app.utils.clients.tvdb import TvdbClient
from tests.emulators.openapi import OpenApiSpec
from tests.emulators.tvdb import TvdbEmulator

TIMEOUT = (2.0, 1.0)


@pytest.fixture
def tvdb():
    emulator = TvdbEmulator(page_size=4).start()
    # French translation exists but is blank: name and overview must come from the original language
    emulator.add_series(81189, "Breaking Bad", 2008, seasons={1: 7, 2: 13}, imdb_id="tt0903747", tmdb_id=1396,
                        translations={"eng": {"name": "Breaking Bad", "overview": "A chemistry teacher..."},
                                      "fra": {"name": "   ", "overview": ""}},
                        episode_names={(1, 1): {"eng": "Pilot", "fra": "Chute libre"}})
    emulator.add_series(259570, "Les Revenants", 2012, original_language="fra", seasons={1: 8},
                        translations={"fra": {"name": "Les Revenants", "overview": "Dans une petite ville..."},
                                      "eng": {"name": "The Returned", "overview": ""}})
    emulator.add_series(300000, "Untranslated", 2020, seasons={1: 1},
                        translations={"eng": {"name": "Untranslated", "overview": "Only English."}})
    yield emulator
    emulator.stop()
    OpenApiSpec("tvdb/swagger.yml", base_path="/v4").check_exchanges(emulator.exchanges)


def _client(tvdb, key=None, language="fra") -> TvdbClient:
    return TvdbClient(tvdb.api_url, key or tvdb.api_key, language=language, timeout=TIMEOUT)


def test_blank_french_translation_falls_back_to_original_and_keeps_id(tvdb) -> None:
    series = _client(tvdb).series(81189)
    assert series.id == 81189
    assert (series.name, series.overview) == ("Breaking Bad", "A chemistry teacher...")
    assert (series.imdb_id, series.tmdb_id, series.seasons, series.year) == ("tt0903747", 1396, [1, 2], 2008)
    missing = _client(tvdb).series(300000)  # no French translation at all
    assert (missing.id, missing.name, missing.overview) == (300000, "Untranslated", "Only English.")


def test_translation_used_when_present_and_partial_fallback(tvdb) -> None:
    french = _client(tvdb).series(259570)
    assert (french.name, french.overview) == ("Les Revenants", "Dans une petite ville...")
    english = _client(tvdb, language="eng").series(259570)
    assert (english.id, english.name, english.overview) == (259570, "The Returned", "Dans une petite ville...")


def test_search_and_paged_episodes(tvdb) -> None:
    client = _client(tvdb)
    [found] = client.search("revenants")
    assert (found.tvdb_id, found.name, found.year) == (259570, "Les Revenants", 2012)
    assert client.search("nothing like this") == []
    episodes = client.episodes(81189)
    assert len(episodes) == 20  # 5 pages of 4
    first = episodes[0]
    assert (first.season_number, first.number, first.name) == (1, 1, "Chute libre")
    assert [e.number for e in client.episodes(81189, season=2)] == list(range(1, 14))
    assert client.episodes(81189, season=1)[1].name == "Episode 2"  # no French name: the original one
    with pytest.raises(UpstreamNotFound):
        client.series(1)


def test_login_once_and_renew_expired_token(tvdb) -> None:
    client = _client(tvdb)
    client.series(259570)
    logins = sum(1 for r in tvdb.requests if r.path == "/v4/login")
    client.series(259570)
    assert sum(1 for r in tvdb.requests if r.path == "/v4/login") == logins == 1
    tvdb.expire_tokens()
    assert client.series(259570).id == 259570
    assert sum(1 for r in tvdb.requests if r.path == "/v4/login") == 2


def test_failures(tvdb) -> None:
    with pytest.raises(UpstreamAuthError, match="TVDB_API_KEY"):
        _client(tvdb, key="wrong").series(81189)
    tvdb.fail_next("timeout")
    start = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        _client(tvdb).login()
    assert time.monotonic() - start < TIMEOUT[1] + 1.5
    client = _client(tvdb)
    client.login()
    tvdb.fail_next(500, times=READ_ATTEMPTS + 1)
    with pytest.raises(UpstreamUnavailable):
        client.search("revenants")
    tvdb.fail_next("malformed")
    with pytest.raises(UpstreamBadResponse, match="not JSON"):
        client.search("revenants")
