"""Plex client (python-plexapi over our session) against the Plex emulator."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from app.utils.clients.arr import READ_ATTEMPTS
from app.utils.clients.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.utils.clients.plex import PlexClient
from tests.emulators.plex import PlexEmulator

TIMEOUT = 1.0


@pytest.fixture
def plex():
    emulator = PlexEmulator().start()
    movies = emulator.add_section("Films", "movie", "/media/Movies")
    shows = emulator.add_section("Séries", "show", "/media/TV Shows")
    emulator.amelie = emulator.add_movie(movies, "Le Fabuleux Destin d'Amélie Poulain", 2001, tmdb=194,
                                         imdb="tt0211915", view_count=2)
    emulator.expanse = emulator.add_show(shows, "The Expanse", 2015, tvdb=280619, tmdb=63639, seasons={1: 3, 2: 2},
                                         watched={(1, 1), (1, 2)})
    yield emulator
    emulator.stop()


def _client(plex, token=None) -> PlexClient:
    return PlexClient(plex.url, token or plex.token, timeout=TIMEOUT)


def test_sections_items_guids_seasons_episodes(plex) -> None:
    client = _client(plex)
    sections = client.sections()
    assert [(s.title, s.type, s.locations) for s in sections] == [
        ("Films", "movie", ("/media/Movies",)), ("Séries", "show", ("/media/TV Shows",))]
    [movie] = client.items(sections[0].key)
    assert (movie.title, movie.year, movie.view_count) == ("Le Fabuleux Destin d'Amélie Poulain", 2001, 2)
    assert movie.guids == {"tmdb": "194", "imdb": "tt0211915"}
    [show] = client.items(sections[1].key)
    assert show.guids == {"tvdb": "280619", "tmdb": "63639"} and show.viewed_leaf_count == 2
    seasons = client.seasons(show.rating_key)
    assert [(s.index, s.leaf_count, s.viewed_leaf_count) for s in seasons] == [(1, 3, 2), (2, 2, 0)]
    episodes = client.episodes(show.rating_key)
    assert [(e.season, e.index, e.view_count) for e in episodes] == [(1, 1, 1), (1, 2, 1), (1, 3, 0), (2, 1, 0),
                                                                      (2, 2, 0)]
    assert [e.index for e in client.episodes(show.rating_key, season=2)] == [1, 2]
    assert client.recently_added()[0].title == "The Expanse"
    with pytest.raises(UpstreamNotFound):
        client.item(99999)


def test_accounts_and_history_per_user(plex) -> None:
    plex.add_account(1001, "Camille")
    episode = plex.items[plex.items[plex.expanse["children"][0]]["children"][0]]
    plex.add_play(plex.amelie["ratingKey"], 1, 1_700_000_000)
    plex.add_play(episode["ratingKey"], 1001, 1_700_000_500)
    client = _client(plex)
    assert [(a.id, a.name) for a in client.accounts()] == [(1, "owner"), (1001, "Camille")]
    everything = client.history()
    assert [h.title for h in everything] == ["Episode 1", "Le Fabuleux Destin d'Amélie Poulain"]
    [camille] = client.history(account_id=1001)
    assert (camille.grandparent_title, camille.parent_index, camille.index) == ("The Expanse", 1, 1)
    assert camille.viewed_at == datetime.fromtimestamp(1_700_000_500)
    assert client.history(account_id=1001, since=datetime.fromtimestamp(1_700_000_600)) == []
    assert client.history(account_id=42) == []


def test_partial_scan_of_one_folder(plex) -> None:
    client = _client(plex)
    section = client.scan_folder("/media/TV Shows/The Expanse (2015) {tvdb-280619}/Season 01")
    assert section.title == "Séries"
    assert plex.scans == [(2, "/media/TV Shows/The Expanse (2015) {tvdb-280619}/Season 01")]
    with pytest.raises(UpstreamNotFound, match="no library section"):
        client.scan_folder("/elsewhere/Movie (2020)")
    with pytest.raises(UpstreamNotFound):
        client.scan_folder("/media/Movies-not-really/x")


def test_a_whole_section_scan_is_seen_running_then_cancelled_by_the_same_client(plex) -> None:
    """One client follows a scan from before it starts (plexapi caches its section list: a client that read
    the sections once must still see ``refreshing`` change)."""
    client = _client(plex)
    plex.scans_held = True
    films = client.sections()[0].key
    assert client.section_refreshing(films) is False
    client.scan_section(films)
    assert client.section_refreshing(films) is True and plex.scans == [(films, None)]
    client.cancel_scan(films)
    assert client.section_refreshing(films) is False and plex.cancelled_scans == [films]
    with pytest.raises(UpstreamNotFound):
        client.section_refreshing(99)


def test_edit_lock_unlock(plex) -> None:
    client = _client(plex)
    key = plex.amelie["ratingKey"]
    edited = client.edit_fields(key, {"title": "Amélie", "summary": "Une serveuse à Montmartre."})
    assert (edited.title, edited.summary) == ("Amélie", "Une serveuse à Montmartre.")
    assert edited.locked_fields == ("summary", "title")
    assert client.set_field_lock(key, "title", False).locked_fields == ("summary",)
    with pytest.raises(ValueError, match="not editable"):
        client.edit_fields(key, {"ratingKey": "1"})


def test_posters_select_upload_and_image_fetch(plex) -> None:
    client = _client(plex)
    key = plex.amelie["ratingKey"]
    posters = client.artwork(key)
    assert [p.selected for p in posters] == [True, False]
    client.select_artwork(key, posters[1].rating_key)
    assert [p.selected for p in client.artwork(key)] == [False, True]
    client.upload_artwork(key, data=b"\x89PNG fake poster bytes")
    after = client.artwork(key)
    assert len(after) == 3 and after[-1].selected and after[-1].provider == "local"
    assert len(client.artwork(key, "arts")) == 1
    with pytest.raises(UpstreamNotFound):
        client.select_artwork(key, "nope")
    data, content_type = client.fetch_image(plex.amelie["thumb"])
    assert content_type == "image/png" and data.startswith(b"\x89PNG")
    for bad in ("http://evil/x.png", "//evil/x.png", "/library/../../etc/passwd", "relative/x.png", "/admin"):
        with pytest.raises(ValueError):
            client.fetch_image(bad)


def test_failures(plex) -> None:
    with pytest.raises(UpstreamAuthError, match="PLEX_TOKEN"):
        _client(plex, token="wrong").sections()
    client = _client(plex)
    client.sections()
    plex.fail_next("timeout")
    start = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        client.sections()
    assert time.monotonic() - start < TIMEOUT + 1.5
    plex.fail_next(500, times=READ_ATTEMPTS)
    with pytest.raises(UpstreamUnavailable):
        client.sections()
    plex.fail_next("malformed")
    with pytest.raises(UpstreamBadResponse):
        client.sections()
    plex.sections.clear()
    assert client.sections() == []
