"""The Plex editor's client calls (plexapi unmodified) against the stateful Plex emulator: light listings,
plays per account, batched edits with locks, refresh restoring unlocked fields, fix match and unmatch."""

from __future__ import annotations

import pytest

from app.utils.clients.plex import PAGE_SIZE, PlexClient
from tests.emulators.plex import PlexEmulator


@pytest.fixture
def plex():
    emulator = PlexEmulator().start()
    emulator.movies = emulator.add_section("Films", "movie", "/media/Movies")
    emulator.amelie = emulator.add_movie(emulator.movies, "Amélie", 2001, tmdb=194, imdb="tt0211915",
                                         file="/media/Movies/Amelie (2001)/Amelie.mkv", audio=("fra", "eng"),
                                         size=4_000_000_000, genres=["Comédie"])
    emulator.heat = emulator.add_movie(emulator.movies, "Heat", 1995, tmdb=949, file="/media/Movies/Heat.mkv",
                                       audio=("eng",), resolution="4k")
    yield emulator
    emulator.stop()


def test_listing_is_light_and_paged(plex) -> None:
    for n in range(PAGE_SIZE + 3 - 2):
        plex.add_movie(plex.movies, f"Film {n}", 2000, file=f"/m/{n}.mkv", audio=("eng",))
    client = PlexClient(plex.url, plex.token)
    listing = client.section_listing(plex.movies)
    assert len(listing) == PAGE_SIZE + 3 and len({i["rating_key"] for i in listing}) == PAGE_SIZE + 3
    amelie = next(i for i in listing if i["title"] == "Amélie")
    assert amelie["guids"] == {"imdb": "tt0211915", "tmdb": "194"} and amelie["size"] == 4_000_000_000
    assert amelie["resolution"] == "1080" and amelie["files"] == ["/media/Movies/Amelie (2001)/Amelie.mkv"]
    french = client.section_listing(plex.movies, audio_language="fra")
    assert [i["title"] for i in french] == ["Amélie"]


def test_plays_per_account(plex) -> None:
    plex.add_account(7, "marie")
    plex.add_play(plex.amelie["ratingKey"], 7, 1_700_000_000)
    plex.add_play(plex.heat["ratingKey"], 1, 1_700_000_100)
    client = PlexClient(plex.url, plex.token)
    assert client.plays(7) == [(plex.amelie["ratingKey"], None, 1_700_000_000)]
    assert client.plays(7, since=1_700_000_000) == []
    assert {p[0] for p in client.plays()} == {plex.amelie["ratingKey"], plex.heat["ratingKey"]}


def test_batched_edit_locks_and_refresh_restores_only_unlocked(plex) -> None:
    client = PlexClient(plex.url, plex.token)
    key = plex.amelie["ratingKey"]
    edits_before = len(plex.edits)
    client.save_edits(key, {"title": "Le Fabuleux Destin d'Amélie Poulain", "summary": "Une serveuse..."},
                      {"summary": False}, {"label": ["Favori"], "genre": ["Comédie", "Romance"]})
    assert len(plex.edits) == edits_before + 1  # one batched call (nothing removed)
    details = client.details(key)
    assert details["title"] == "Le Fabuleux Destin d'Amélie Poulain" and "title" in details["locked"]
    assert "summary" not in details["locked"]
    assert details["tags"]["label"] == ["Favori"] and details["tags"]["genre"] == ["Comédie", "Romance"]
    assert details["media"]["audio_languages"] == ["fra", "eng"]
    client.refresh_item(key)
    after = client.details(key)
    assert after["title"] == "Le Fabuleux Destin d'Amélie Poulain"  # locked: kept
    assert after["summary"] == ""  # not locked: the agent's value is back
    client.save_edits(key, {}, {}, {"genre": ["Romance"]})  # a removal goes first, in its own call
    assert client.details(key)["tags"]["genre"] == ["Romance"]
    client.reset_field(key, "title")
    assert client.details(key)["title"] == "Amélie" and "title" not in client.details(key)["locked"]
    with pytest.raises(ValueError):
        client.save_edits(key, {"ratingKey": "1"}, {})


def test_fix_match_and_unmatch(plex) -> None:
    plex.match_catalog = [{"guid": "plex://movie/5d776b", "name": "Heat", "year": 1995,
                           "guids": ["imdb://tt0113277", "tmdb://949"]},
                          {"guid": "plex://movie/aaaa", "name": "Heat Wave", "year": 1990, "guids": ["tmdb://1"]}]
    client = PlexClient(plex.url, plex.token)
    key = plex.heat["ratingKey"]
    found = client.matches(key, "Heat", 1995)
    assert [m["name"] for m in found] == ["Heat", "Heat Wave"] and found[0]["score"] > found[1]["score"]
    assert client.fix_match(key, "plex://movie/5d776b", "Heat") == {"imdb": "tt0113277", "tmdb": "949"}
    client.unmatch(key)
    assert client.details(key)["guids"] == {}
