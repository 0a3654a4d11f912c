"""The watch-history archive (issue 14, first part): a sync records every play of every account from Plex's
history, keyed on external ids; a deleted item's plays (no rating key) are found again by TMDB or kept as
ghosts; a re-added item (new rating key) joins its old history; a second sync adds only new plays."""

from __future__ import annotations

import pytest

from app.plex_editor.library import CACHE
from tests.emulators.plex import PlexEmulator
from tests.emulators.tmdb import TmdbEmulator

T0 = 1_700_000_000


@pytest.fixture
def world(api, app):
    CACHE.clear()
    with PlexEmulator() as plex, TmdbEmulator() as tmdb:
        movies = plex.add_section("Films", "movie", "/media/Movies")
        shows = plex.add_section("Séries", "show", "/media/TV")
        plex.movies = movies
        plex.heat = plex.add_movie(movies, "Heat", 1995, tmdb=949, file="/m/heat.mkv")
        plex.amelie = plex.add_movie(movies, "Amélie", 2001, tmdb=194, file="/m/amelie.mkv")
        plex.obscure = plex.add_movie(movies, "Un film introuvable", 1960, file="/m/x.mkv")
        plex.expanse = plex.add_show(shows, "The Expanse", 2015, tvdb=280619, seasons={1: 3})
        plex.add_account(7, "marie")
        episodes = plex.items[plex.expanse["children"][0]]["children"]
        plex.add_play(plex.heat["ratingKey"], 7, T0)
        plex.add_play(plex.heat["ratingKey"], 7, T0 + 86400)
        plex.add_play(plex.amelie["ratingKey"], 1, T0 + 100)
        plex.add_play(plex.obscure["ratingKey"], 1, T0 + 200)
        plex.add_play(episodes[0], 7, T0 + 300)
        plex.add_play(episodes[1], 7, T0 + 400)
        tmdb.add_movie(194, "Amélie", 2001, translations={"fr-FR": {"title": "Amélie", "overview": "Montmartre"}})
        api.call("PUT", "/api/settings", json={"values": {"plex_url": plex.url, "plex_token": plex.token,
                                                          "tmdb_url": tmdb.api_url, "tmdb_api_key": tmdb.api_key,
                                                          "tmdb_image_url": tmdb.image_url}})
        plex.tmdb = tmdb
        yield plex


def run_sync(app):
    with app.app_context():
        from app.archive.service import sync

        return sync()


def test_sync_ghosts_and_re_added_items(api, app, world) -> None:
    plex = world
    world.delete_item(plex.amelie["ratingKey"])  # watched, then deleted: its history rows have no rating key
    world.delete_item(plex.obscure["ratingKey"])
    counts = run_sync(app)
    # posters: Heat's and The Expanse's from Plex, Amélie's (deleted before the first sync) from TMDB
    assert counts == {"plays": 5, "ghosts": 1, "resolved": 1, "accounts": 2, "posters": 3}
    with app.app_context():
        from app.archive.service import ghosts, search

        found = {i["key"]: i for i in search()["items"]}
        assert set(found) == {"movie_949", "movie_194", "tv_280619"}
        heat = found["movie_949"]["history"]
        assert [(h["name"], h["plays"]) for h in heat] == [("marie", 2)]
        assert found["movie_194"]["in_library"] == 0 and found["movie_194"]["title"] == "Amélie"  # found by TMDB
        assert found["tv_280619"]["history"][0]["seasons"] == {1: {"watched": 2, "total": 3}}  # 3 in the library
        assert [g["title"] for g in ghosts()] == ["Un film introuvable"]
        assert [i["key"] for i in search(text="amelie")["items"]] == ["movie_194"]  # accents folded
        assert [i["key"] for i in search(account_id=7, watched="unwatched")["items"]] == ["movie_194"]
        from app.archive.service import poster_path

        assert poster_path("movie_949").read_bytes() == plex.images[plex.heat["thumb"]]  # kept on disk
        assert poster_path("movie_194") is not None and plex.tmdb.image_requests == ["/t/p/w342/194-poster.jpg"]
    world.delete_item(plex.heat["ratingKey"])
    run_sync(app)
    card = api.call("GET", "/archive?q=heat").get_data(as_text=True)
    assert "/archive/poster/movie_949" in card  # the poster outlives the movie
    poster = api.call("GET", "/archive/poster/movie_949")
    assert poster.status_code == 200 and poster.mimetype == "image/png"
    poster.close()
    assert api.call("GET", "/archive/poster/..%2Fsecret").status_code == 404

    # Amélie comes back with a new rating key: a new play joins the old history, nothing is counted twice
    again = plex.add_movie(plex.movies, "Amélie", 2001, tmdb=194, file="/m/amelie2.mkv")
    plex.add_play(again["ratingKey"], 7, T0 + 2 * 86400)
    assert run_sync(app)["plays"] == 1
    assert run_sync(app)["plays"] == 0
    with app.app_context():
        from app.archive.service import search

        amelie = next(i for i in search()["items"] if i["key"] == "movie_194")
        assert amelie["in_library"] == 1 and sorted(h["name"] for h in amelie["history"]) == ["marie", "owner"]


def test_archive_page_and_sync_now(api, app, world) -> None:
    started = api.call("POST", "/api/archive/sync")
    assert started.status_code == 200 and started.json["plays"] == 5 and started.json["ghosts"] == 1  # no id: a ghost
    page = api.call("GET", "/archive?q=heat").get_data(as_text=True)
    assert "Heat" in page and "marie" in page and "Amélie" not in page
    assert api.call("GET", "/archive/ghosts").status_code == 200


def test_backups_carry_the_archive_database(api, app, world, tmp_path) -> None:
    run_sync(app)
    mms = app.extensions["mms"]
    with app.app_context():
        info = mms.backups.create()
    assert "archive.sqlite3" in info.files
    with app.app_context():  # the archive changes after the backup, then the backup is restored
        with mms.archive.transaction() as conn:
            conn.execute("DELETE FROM plays")
        assert mms.archive.query("SELECT COUNT(*) AS n FROM plays")[0]["n"] == 0
    restored = api.call("POST", f"/api/backups/{info.name}/restore")
    assert restored.status_code == 200, restored.json
    assert mms.archive.query("SELECT COUNT(*) AS n FROM plays")[0]["n"] == 5

    import io
    import zipfile

    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as archive:
        archive.writestr("archive.sqlite3", b"SQLite format 3\x00" + b"\x00" * 4000)
    refused = api.call("POST", "/api/backups/restore", data={"archive": (io.BytesIO(forged.getvalue()), "x.zip")},
                       content_type="multipart/form-data")
    assert refused.status_code in (400, 422) and mms.archive.query("SELECT COUNT(*) AS n FROM plays")[0]["n"] == 5


def test_recently_removed_and_the_drop_warning(api, app, world) -> None:
    run_sync(app)
    world.delete_item(world.heat["ratingKey"])  # 1 of the 2 identified movies: far more than 5 %
    run_sync(app)
    with app.app_context():
        from app.archive.service import removed

        gone = removed()
    assert [(r["media_key"], r["plays"], r["section"]) for r in gone] == [("movie_949", 2, "Films")]
    assert gone[0]["removed_by"] == "scan"  # half of the section at once: a bad scan, not a user
    problems = api.call("GET", "/api/health").json["problems"]
    assert any(p.get("subject") == "Films" and p["detail"] == "1 / 2" for p in problems), problems
    page = api.call("GET", "/archive/removed").get_data(as_text=True)
    assert "Heat" in page
    run_sync(app)
    with app.app_context():
        from app.archive.service import removed

        assert len(removed()) == 1  # logged once


def test_archive_then_delete_through_radarr(api, app, world, monkeypatch) -> None:
    from tests.emulators.arr import RadarrEmulator

    with RadarrEmulator() as radarr:
        radarr.add_movie("Heat", 1995, 949)
        api.call("PUT", "/api/settings", json={"values": {"radarr_url": radarr.url, "radarr_api_key": radarr.api_key}})
        key = world.heat["ratingKey"]
        plan = api.call("POST", "/api/archive/delete", json={"rating_keys": [key]}).json  # a dry run by default
        assert plan["items"][0]["via"] == "radarr" and radarr.deletions == [] and plan["items"][0]["state"] == "planned"

        # a failing record means no delete call
        with monkeypatch.context() as patched:
            patched.setattr("app.archive.service.sync", lambda plex=None: {"plays": 0})
            refused = api.call("POST", "/api/archive/delete", json={"rating_keys": [key], "dry_run": False}).json
        assert refused["items"][0]["state"] == "failed" and "0" in refused["items"][0]["error"]
        assert radarr.deletions == []

        done = api.call("POST", "/api/archive/delete", json={"rating_keys": [key], "dry_run": False}).json
        assert done["items"][0]["state"] == "deleted", done
        assert radarr.deletions == [(949, "true", "false")]
    with app.app_context():
        from app.archive.service import removed, search

        heat = next(i for i in search()["items"] if i["key"] == "movie_949")
        assert heat["in_library"] == 0 and heat["history"][0]["plays"] == 2  # the history outlived the movie
        assert removed()[0]["removed_by"] == "mms:radarr"
    no_id = api.call("POST", "/api/archive/delete", json={"rating_keys": [world.obscure["ratingKey"]],
                                                          "dry_run": False}).json
    assert no_id["items"][0]["state"] == "failed" and world.obscure["ratingKey"] not in world.deleted


def test_export_csv_and_json(api, app, world) -> None:
    import csv
    import io

    run_sync(app)
    rows = list(csv.DictReader(io.StringIO(api.call("GET", "/archive/export.csv").get_data(as_text=True))))
    assert len(rows) == 5 and {r["account"] for r in rows} == {"owner", "marie"}
    heat = [r for r in rows if r["media_key"] == "movie_949"]
    assert len(heat) == 2 and heat[0]["title"] == "Heat" and heat[0]["viewed_at"].startswith("2023-11-14")
    data = api.call("GET", "/archive/export.json").json
    assert len(data["plays"]) == 5 and api.call("GET", "/archive/export.xml").status_code == 404


TAUTULLI_SCHEMA = """
CREATE TABLE session_history (id INTEGER PRIMARY KEY AUTOINCREMENT, reference_id INTEGER, started INTEGER,
    stopped INTEGER, rating_key INTEGER, parent_rating_key INTEGER, grandparent_rating_key INTEGER,
    media_type TEXT, view_offset INTEGER DEFAULT 0, user_id INTEGER, user TEXT, ip_address TEXT,
    paused_counter INTEGER DEFAULT 0, player TEXT, product TEXT, product_version TEXT, platform TEXT,
    platform_version TEXT, profile TEXT, machine_id TEXT, bandwidth INTEGER, location TEXT, quality_profile TEXT,
    secure INTEGER, relayed INTEGER, section_id INTEGER);
CREATE TABLE session_history_metadata (id INTEGER PRIMARY KEY, rating_key INTEGER, parent_rating_key INTEGER,
    grandparent_rating_key INTEGER, title TEXT, parent_title TEXT, grandparent_title TEXT, original_title TEXT,
    full_title TEXT, media_index INTEGER, parent_media_index INTEGER, section_id INTEGER, thumb TEXT,
    parent_thumb TEXT, grandparent_thumb TEXT, art TEXT, media_type TEXT, year INTEGER,
    originally_available_at TEXT, added_at INTEGER, updated_at INTEGER, last_viewed_at INTEGER, content_rating TEXT,
    summary TEXT, tagline TEXT, rating TEXT, duration INTEGER DEFAULT 0, guid TEXT, directors TEXT, writers TEXT,
    actors TEXT, genres TEXT, studio TEXT, labels TEXT);
"""


def make_tautulli(path) -> None:
    """A Tautulli database (its tables and columns) with: a movie by a legacy TMDB GUID played over two
    sessions (one reference_id), a show's episode by a legacy TheTVDB GUID, a new-agent movie found by title,
    and one nothing identifies."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.executescript(TAUTULLI_SCHEMA)
    sessions = [  # id, reference_id, started, stopped, user_id, user, media_type
        (1, 1, 1_600_000_000, 1_600_001_000, 1111, "marie", "movie"),
        (2, 1, 1_600_002_000, 1_600_004_000, 1111, "marie", "movie"),
        (3, 3, 1_600_010_000, 1_600_012_000, 2222, "paul", "episode"),
        (4, 4, 1_600_020_000, 1_600_027_000, 1111, "marie", "movie"),
        (5, 5, 1_600_030_000, 1_600_031_000, 2222, "paul", "movie")]
    conn.executemany("INSERT INTO session_history (id, reference_id, started, stopped, user_id, user, media_type) "
                     "VALUES (?,?,?,?,?,?,?)", sessions)
    metadata = [  # id, title, grandparent_title, year, media_index, parent_media_index, guid
        (1, "Heat", None, 1995, None, None, "com.plexapp.agents.themoviedb://949?lang=fr"),
        (2, "Heat", None, 1995, None, None, "com.plexapp.agents.themoviedb://949?lang=fr"),
        (3, "Leviathan Wakes", "The Expanse", 2015, 3, 1, "com.plexapp.agents.thetvdb://280619/1/3?lang=en"),
        (4, "Amélie", None, 2001, None, None, "plex://movie/5d776825880197001ec967c6"),
        (5, "Un film perdu", None, 1931, None, None, "local://77")]
    conn.executemany("INSERT INTO session_history_metadata (id, title, grandparent_title, year, media_index, "
                     "parent_media_index, guid) VALUES (?,?,?,?,?,?,?)", metadata)
    conn.commit()
    conn.close()


def test_import_tautulli(api, app, world, tmp_path) -> None:
    import io

    run_sync(app)  # marie is a Plex account; paul is only known to Tautulli
    db = tmp_path / "tautulli.db"
    make_tautulli(db)
    send = lambda: api.call("POST", "/api/archive/import/tautulli",  # noqa: E731
                            data={"database": (io.BytesIO(db.read_bytes()), "tautulli.db")},
                            content_type="multipart/form-data")
    first = send()
    assert first.status_code == 200, first.json
    assert first.json == {"plays": 3, "ghosts": 1, "resolved": 1, "skipped": 0}
    assert send().json["plays"] == 0  # importing again adds nothing
    with app.app_context():
        from app.archive.service import search

        found = {i["key"]: i for i in search()["items"]}
    heat = {h["name"]: h["plays"] for h in found["movie_949"]["history"]}
    assert heat == {"marie": 3}  # 2 from Plex + 1 from Tautulli (its two sessions are one play)
    assert "paul" in {h["name"] for h in found["tv_280619"]["history"]}
    assert "marie" in {h["name"] for h in found["movie_194"]["history"]}
    bad = api.call("POST", "/api/archive/import/tautulli", data={"database": (io.BytesIO(b"not sqlite"), "x.db")},
                   content_type="multipart/form-data")
    assert bad.status_code == 422


def test_import_from_the_page(api, app, world, tmp_path) -> None:
    import io
    import re

    db = tmp_path / "tautulli.db"
    make_tautulli(db)
    page = api.client.get("/archive").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = api.client.post("/archive/import", data={"csrf_token": token, "database": (io.BytesIO(db.read_bytes()),
                                                                                        "tautulli.db")},
                             content_type="multipart/form-data", follow_redirects=True)
    assert answer.status_code == 200 and "Tautulli : 3 lecture(s) importée(s)" in answer.get_data(as_text=True)


def test_match_a_ghost_by_hand(api, app, world) -> None:
    import re

    world.delete_item(world.obscure["ratingKey"])
    run_sync(app)
    page = api.client.get("/archive/ghosts").get_data(as_text=True)
    assert "Un film introuvable" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="history_key" value="([^"]+)"', page).group(1)
    refused = api.client.post("/archive/ghosts/match", data={"csrf_token": token, "history_key": key,
                                                             "media_type": "movie", "external_id": "abc"},
                              follow_redirects=True)
    assert "TMDB" in refused.get_data(as_text=True)
    done = api.client.post("/archive/ghosts/match", data={"csrf_token": token, "history_key": key,
                                                          "media_type": "movie", "external_id": "424242"},
                           follow_redirects=True).get_data(as_text=True)
    assert "1 lecture(s) enregistrée(s)" in done and "Un film introuvable" not in done.split("<tbody>")[1]
    with app.app_context():
        from app.archive.service import search

        assert any(i["key"] == "movie_424242" for i in search()["items"])


def test_items_of_legacy_agents_are_recorded(api, app, world) -> None:
    legacy = world.add_movie(world.movies, "Le Samouraï", 1967, file="/m/samourai.mkv",
                             legacy_guid="com.plexapp.agents.themoviedb://5511?lang=fr")
    world.add_play(legacy["ratingKey"], 7, T0 + 3 * 86400)
    run_sync(app)
    with app.app_context():
        from app.archive.service import search

        assert [i["key"] for i in search(text="samourai")["items"]] == ["movie_5511"]
