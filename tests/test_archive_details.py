"""The watch-history archive, what a card and the removal log tell people (issue 14): "watched / total
episodes" per season, original title and summary kept after deletion, hours per month, what removed a media
(MMS, Radarr's own history, a bad scan, unknown), the first sync's progress, and an archive of the first
schema brought up to date."""

from __future__ import annotations

import json
import sqlite3

import pytest

from app.plex_editor.library import CACHE
from tests.emulators.arr import RadarrEmulator
from tests.emulators.plex import PlexEmulator

T0 = 1_700_000_000  # 2023-11-14


@pytest.fixture
def world(api, app):
    CACHE.clear()
    with PlexEmulator() as plex, RadarrEmulator() as radarr:
        movies = plex.add_section("Films", "movie", "/media/Movies")
        shows = plex.add_section("Séries", "show", "/media/TV")
        plex.heat = plex.add_movie(movies, "Heat", 1995, tmdb=949, file="/m/heat.mkv", duration=10_200_000)
        plex.heat.update(originalTitle="Heat (original)", summary="Un braqueur et un flic.")
        plex.amelie = plex.add_movie(movies, "Amélie", 2001, tmdb=194, file="/m/amelie.mkv", duration=7_320_000)
        plex.others = [plex.add_movie(movies, f"Film {n}", 2000 + n, tmdb=5000 + n, file=f"/m/{n}.mkv")
                       for n in range(8)]
        plex.expanse = plex.add_show(shows, "The Expanse", 2015, tvdb=280619, seasons={1: 3, 2: 2},
                                     duration=2_700_000)
        plex.add_account(7, "marie")
        season1, season2 = (plex.items[k]["children"] for k in plex.expanse["children"])
        for n, episode in enumerate([*season1, season2[0]]):
            plex.add_play(episode, 7, T0 + 100 + n)
        plex.add_play(plex.heat["ratingKey"], 7, T0)
        plex.add_play(plex.amelie["ratingKey"], 7, T0 + 50)
        radarr.amelie = radarr.add_movie("Amélie", 2001, 194)
        api.call("PUT", "/api/settings", json={"values": {
            "plex_url": plex.url, "plex_token": plex.token, "radarr_url": radarr.url,
            "radarr_api_key": radarr.api_key, "archive_drop_warning_percent": 20}})
        plex.radarr = radarr
        yield plex


def run_sync(app):
    with app.app_context():
        from app.archive.service import sync

        return sync()


def test_cards_say_watched_over_total_and_hours(api, app, world) -> None:
    run_sync(app)
    world.delete_item(world.heat["ratingKey"])
    world.delete_item(world.expanse["ratingKey"])
    run_sync(app)
    with app.app_context():
        from app.archive.service import monthly_plays, search

        found = {i["key"]: i for i in search()["items"]}
        heat, expanse = found["movie_949"], found["tv_280619"]
        # kept after the deletion: what the library said about them
        assert heat["in_library"] == 0 and heat["original_title"] == "Heat (original)"
        assert heat["summary"] == "Un braqueur et un flic."
        assert expanse["history"][0]["seasons"] == {1: {"watched": 3, "total": 3}, 2: {"watched": 1, "total": 2}}
        assert [(e["season"], e["episode"], e["title"], e["dates"]) for e in expanse["history"][0]["episodes"]] == [
            (1, 1, "Episode 1", ["2023-11-14T22:15:00+00:00"]), (1, 2, "Episode 2", ["2023-11-14T22:15:01+00:00"]),
            (1, 3, "Episode 3", ["2023-11-14T22:15:02+00:00"]), (2, 1, "Episode 1", ["2023-11-14T22:15:03+00:00"])]
        # 2 h 50 (Heat) + 2 h 02 (Amélie) + 4 × 45 min of The Expanse, all in November 2023
        assert monthly_plays(7) == [{"month": "2023-11", "plays": 6, "hours": 7.9}]
    page = api.call("GET", "/archive?user=7").get_data(as_text=True)
    assert "Saison 1 : vue (3 / 3 ép.)" in page and "Saison 2 : 1 / 2 ép. vus" in page
    assert 'data-episode="2x1">S02E01 · Episode 1 — <time datetime="2023-11-14T22:15:03+00:00"' in page
    assert "Heat (original)" in page and "Un braqueur et un flic." in page
    assert "6 lectures, 7,9 h" in page


def test_removal_causes(api, app, world) -> None:
    run_sync(app)
    # Radarr deleted Amélie's file (its history says so); Heat vanished with no trace of why
    world.radarr.file_deleted(world.radarr.amelie["id"], "MissingFromDisk")
    world.delete_item(world.amelie["ratingKey"])
    world.delete_item(world.heat["ratingKey"])
    run_sync(app)
    with app.app_context():
        from app.archive.service import removed

        causes = {r["media_key"]: r["removed_by"] for r in removed()}
    assert causes == {"movie_194": "radarr:MissingFromDisk", "movie_949": None}  # 2 of 10: under the 20 % set
    page = api.call("GET", "/archive/removed").get_data(as_text=True)
    assert "Radarr a supprimé le fichier (absent du disque)" in page
    assert "Inconnu (à la main ou hors de MMS)" in page
    # 4 of the 8 left at once: a bad scan, whoever is asked
    for movie in world.others[:4]:
        world.delete_item(movie["ratingKey"])
    run_sync(app)
    with app.app_context():
        from app.archive.service import removed

        assert {r["removed_by"] for r in removed()[:4]} == {"scan"}
    assert "Une analyse Plex" in api.call("GET", "/archive/removed").get_data(as_text=True)


def test_radarr_down_leaves_the_cause_unknown(api, app, world) -> None:
    run_sync(app)
    world.radarr.file_deleted(world.radarr.amelie["id"])
    world.delete_item(world.amelie["ratingKey"])
    world.radarr.stop()  # the sync goes on; the cause is not invented
    run_sync(app)
    with app.app_context():
        from app.archive.service import removed

        assert [(r["media_key"], r["removed_by"]) for r in removed()] == [("movie_194", None)]


def test_first_sync_progress(api, app, world, monkeypatch) -> None:
    from app.archive import service

    seen = []
    record = service._record

    def watched(store, rows, *args):
        record(store, rows, *args)
        seen.append(json.loads(store.get_state("sync_progress")))

    monkeypatch.setattr(service, "BATCH", 2)
    monkeypatch.setattr(service, "_record", watched)
    run_sync(app)
    assert [(s["done"], s["total"], s["backfill"], s["finished"]) for s in seen] == [
        (2, 6, True, None), (4, 6, True, None), (6, 6, True, None)]
    done = api.call("GET", "/api/archive/progress").json
    assert done["done"] == 6 and done["finished"] and done["backfill"] is True
    world.add_play(world.heat["ratingKey"], 7, T0 + 10_000)
    seen.clear()
    run_sync(app)
    assert [(s["done"], s["total"], s["backfill"]) for s in seen] == [(1, 1, False)]

    # while a sync runs, the page shows it
    with app.app_context(), service.archive().transaction() as conn:
        service._state(conn, "sync_progress", json.dumps({"done": 1000, "total": 200000, "started": "x",
                                                           "finished": None, "backfill": True}))
    page = api.call("GET", "/archive").get_data(as_text=True)
    assert 'id="archive-progress"' in page and "1000 / 200000" in page


def test_an_archive_of_the_first_schema_is_brought_up_to_date(app) -> None:
    mms = app.extensions["mms"]
    path = mms.archive.path
    path.parent.mkdir(parents=True, exist_ok=True)
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE media (key TEXT PRIMARY KEY, media_type TEXT NOT NULL, tmdb_id INTEGER, tvdb_id INTEGER,
            imdb_id TEXT, title TEXT NOT NULL, original_title TEXT, year INTEGER, summary TEXT, thumb TEXT,
            leaf_count INTEGER, in_library INTEGER NOT NULL DEFAULT 1, updated_at TEXT, size INTEGER, section TEXT,
            folded TEXT, plays INTEGER NOT NULL DEFAULT 0, last_viewed INTEGER);
        INSERT INTO media (key, media_type, title) VALUES ('movie_1', 'movie', 'Ancien');
        PRAGMA user_version=1;""")
    old.close()
    with app.app_context():
        from app.archive.service import monthly_plays

        assert monthly_plays(7) == []  # opens, migrates, answers
        columns = {r["name"] for r in mms.archive.query("PRAGMA table_info(media)")}
        assert "duration" in columns
        assert mms.archive.query("PRAGMA user_version")[0][0] == 2
        assert mms.archive.query("SELECT title FROM media")[0]["title"] == "Ancien"  # nothing lost
