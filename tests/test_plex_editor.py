"""The Plex editor's API against the stateful Plex emulator (plexapi unmodified) and the Sonarr/Radarr
emulators: browsing per user with server-side filters and paging, edits with locks, batches, artwork,
fix match, and clear JSON errors that change nothing."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from app.plex_editor.library import CACHE
from tests.emulators.arr import RadarrEmulator
from tests.emulators.plex import PlexEmulator

DAY = 86_400


@pytest.fixture
def plex(api):
    CACHE.clear()
    emulator = PlexEmulator().start()
    emulator.movies = emulator.add_section("Films", "movie", "/media/Movies")
    emulator.shows = emulator.add_section("Séries", "show", "/media/TV")
    emulator.music = emulator.add_section("Musique", "artist", "/media/Music")
    emulator.amelie = emulator.add_movie(emulator.movies, "Amélie", 2001, tmdb=194, file="/media/Movies/a.mkv",
                                         audio=("fra",), size=4_000_000_000, added_at=1_700_000_000)
    emulator.heat = emulator.add_movie(emulator.movies, "Heat", 1995, tmdb=949, file="/media/Movies/h.mkv",
                                       audio=("eng",), resolution="4k", size=9_000_000_000,
                                       added_at=1_700_000_000 + 30 * DAY)
    emulator.dune = emulator.add_movie(emulator.movies, "Dune", 2021, tmdb=438631, file="/media/Movies/d.mkv",
                                       audio=("eng", "fra"), resolution="720", added_at=1_700_000_000 + 60 * DAY)
    emulator.expanse = emulator.add_show(emulator.shows, "The Expanse", 2015, tvdb=280619, seasons={1: 2})
    emulator.add_account(7, "marie")
    emulator.add_play(emulator.heat["ratingKey"], 7, 1_700_000_500)
    episodes = emulator.items[emulator.expanse["children"][0]]["children"]
    emulator.add_play(episodes[0], 7, 1_700_000_600)
    api.call("PUT", "/api/settings", json={"values": {"plex_url": emulator.url, "plex_token": emulator.token}})
    yield emulator
    emulator.stop()


def items(api, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    answer = api.call("GET", f"/api/plex-editor/items?{query}")
    assert answer.status_code == 200, answer.json
    return answer.json


def titles(page):
    return [i["title"] for i in page["items"]]


def test_sections_users_and_filters(api, plex) -> None:
    data = api.call("GET", "/api/plex-editor/sections").json
    assert [(s["title"], s["editable"]) for s in data["sections"]] == [("Films", True), ("Séries", True),
                                                                        ("Musique", False)]
    assert {u["name"] for u in data["users"]} == {"owner", "marie"}
    page = items(api, section=plex.movies)
    assert titles(page) == ["Amélie", "Dune", "Heat"] and page["total"] == 3
    assert page["items"][0]["image"].startswith("/plex/image?path=")
    assert "token" not in str(page).lower()
    assert titles(items(api, section=plex.movies, audio="fr")) == ["Amélie", "Dune"]
    assert titles(items(api, section=plex.movies, audio="no_fr")) == ["Heat"]
    assert titles(items(api, section=plex.movies, resolution="4k")) == ["Heat"]
    assert titles(items(api, section=plex.movies, text="amelie")) == ["Amélie"]  # accents folded
    after = titles(items(api, section=plex.movies, added_after="2023-12-01", sort="added"))
    assert after == ["Heat", "Dune"]
    assert titles(items(api, section=plex.movies, added_before="2023-11-15")) == ["Amélie"]
    assert titles(items(api, section=plex.movies, sort="size", order="desc"))[0] == "Heat"
    paged = items(api, section=plex.movies, page=2, page_size=2)
    assert titles(paged) == ["Heat"] and paged["total"] == 3


def test_watched_state_per_user(api, plex, monkeypatch) -> None:
    marie = items(api, section=plex.movies, user=7)
    assert {i["title"]: i["watch"] for i in marie["items"]} == {"Amélie": "unwatched", "Dune": "unwatched",
                                                                "Heat": "watched"}
    assert titles(items(api, section=plex.movies, user=7, watched="watched")) == ["Heat"]
    assert titles(items(api, section=plex.movies, user=1, watched="watched")) == []
    show = items(api, section=plex.shows, user=7)["items"][0]
    assert show["watch"] == "in_progress"  # one episode of two
    plex.add_play(plex.amelie["ratingKey"], 7, 1_700_001_000)
    monkeypatch.setattr("app.plex_editor.library.PLAYS_TTL_S", 0.0)  # no reuse window: only new plays are read
    assert titles(items(api, section=plex.movies, user=7, watched="watched")) == ["Amélie", "Heat"]


def test_missing_files_filter_uses_radarr(api, plex) -> None:
    with RadarrEmulator() as radarr:
        radarr.add_movie("Amélie", 2001, 194, hasFile=True)
        radarr.add_movie("Heat", 1995, 949)  # in Radarr, but without its file
        api.call("PUT", "/api/settings", json={"values": {"radarr_url": radarr.url, "radarr_api_key": radarr.api_key}})
        page = items(api, section=plex.movies, missing="true")
    assert page["missing_checked"] is True
    assert titles(page) == ["Dune", "Heat"]  # Amélie's file is in Radarr


def test_edit_lock_reset_and_errors(api, plex) -> None:
    key = plex.amelie["ratingKey"]
    saved = api.call("PUT", f"/api/plex-editor/items/{key}", json={
        "values": {"title": "Le Fabuleux Destin d'Amélie Poulain", "summary": "Une serveuse"},
        "locks": {"title": True, "summary": False}, "tags": {"label": ["Favori"]}})
    assert saved.status_code == 200, saved.json
    assert saved.json["title"] == "Le Fabuleux Destin d'Amélie Poulain" and "title" in saved.json["locked"]
    assert "summary" not in saved.json["locked"] and saved.json["tags"]["label"] == ["Favori"]
    assert titles(items(api, section=plex.movies, text="fabuleux")) == ["Le Fabuleux Destin d'Amélie Poulain"]
    api.call("POST", "/api/plex-editor/bulk", json={"rating_keys": [key], "action": "refresh"})
    after = api.call("GET", f"/api/plex-editor/items/{key}").json
    assert after["title"] == "Le Fabuleux Destin d'Amélie Poulain" and after["summary"] == ""
    reset = api.call("POST", f"/api/plex-editor/items/{key}/reset", json={"field": "title"})
    assert reset.json["title"] == "Amélie" and "title" not in reset.json["locked"]

    edits = len(plex.edits)
    for body, status in (({"values": {"ratingKey": "1"}}, 422), ({"values": {"year": "abc"}}, 422),
                         ({"values": {"title": " "}}, 422), ({"tags": {"actor": ["x"]}}, 422)):
        answer = api.call("PUT", f"/api/plex-editor/items/{key}", json=body)
        assert answer.status_code == status and answer.json["error"]["message"], body
    assert api.call("GET", "/api/plex-editor/items/999999").status_code == 404
    assert api.call("PUT", "/api/plex-editor/items/999999", json={"values": {"title": "x"}}).status_code == 404
    assert len(plex.edits) == edits  # nothing was sent


def test_bulk_each_item_on_its_own(api, plex) -> None:
    keys = [plex.amelie["ratingKey"], plex.heat["ratingKey"], 999999]
    answer = api.call("POST", "/api/plex-editor/bulk", json={"rating_keys": keys, "action": "add_collection",
                                                             "value": "Ciné-club"}).json
    assert answer["done"] == keys[:2] and [f["rating_key"] for f in answer["failed"]] == [999999]
    assert plex.heat["collections"] == ["Ciné-club"]
    again = api.call("POST", "/api/plex-editor/bulk", json={"rating_keys": keys[:2], "action": "add_collection",
                                                            "value": "Ciné-club"}).json
    assert again["done"] == keys[:2] and plex.heat["collections"] == ["Ciné-club"]  # not removed by a second add
    api.call("POST", "/api/plex-editor/bulk", json={"rating_keys": keys[:1], "action": "lock", "fields": ["studio"]})
    assert "studio" in plex.amelie["locked"]
    api.call("POST", "/api/plex-editor/bulk", json={"rating_keys": keys[:2], "action": "analyze"})
    assert plex.analyzed[-2:] == keys[:2]
    assert api.call("POST", "/api/plex-editor/bulk", json={"rating_keys": keys, "action": "delete"}).status_code == 422


def png_bytes(fmt: str = "PNG", size=(60, 90)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (10, 200, 90)).save(buffer, fmt)
    return buffer.getvalue()


def test_artwork_select_and_checked_upload(api, plex) -> None:
    key = plex.amelie["ratingKey"]
    posters = api.call("GET", f"/api/plex-editor/items/{key}/artwork/posters").json["items"]
    assert [p["selected"] for p in posters] == [True, False]
    # the server's own image through /plex/image (token kept), the agent's CDN image through the remote proxy
    assert posters[0]["image"].startswith("/plex/image?") and posters[1]["image"].startswith("/img/remote?")
    chosen = api.call("PUT", f"/api/plex-editor/items/{key}/artwork/posters", json={"id": posters[1]["id"]}).json
    assert [p["selected"] for p in chosen["items"]] == [False, True]
    upload = api.call("POST", f"/api/plex-editor/items/{key}/artwork/posters/upload",
                      data={"image": (BytesIO(png_bytes()), "poster.png")}, content_type="multipart/form-data")
    assert upload.status_code == 200 and upload.json["uploaded"] == {"format": "PNG", "width": 60, "height": 90,
                                                                     "size": len(png_bytes())}
    assert upload.json["items"][-1]["selected"] and plex.images[plex.amelie["thumb"]] == png_bytes()
    count = len(plex.amelie["posters"])
    refused = api.call("POST", f"/api/plex-editor/items/{key}/artwork/posters/upload",
                       data={"image": (BytesIO(b"GIF89a" + b"\0" * 100), "x.gif")}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "image" in refused.json["error"]["message"].lower()
    assert len(plex.amelie["posters"]) == count  # nothing reached Plex
    assert api.call("GET", f"/api/plex-editor/items/{key}/artwork/logos").status_code == 422


def test_fix_match_reads_guids_back(api, plex) -> None:
    plex.match_catalog = [{"guid": "plex://movie/5d776b", "name": "Heat", "year": 1995,
                           "guids": ["imdb://tt0113277", "tmdb://949"]}]
    key = plex.heat["ratingKey"]
    found = api.call("GET", f"/api/plex-editor/items/{key}/matches?title=Heat&year=1995").json["matches"]
    assert found[0]["guid"] == "plex://movie/5d776b"
    fixed = api.call("POST", f"/api/plex-editor/items/{key}/match", json={"guid": found[0]["guid"], "name": "Heat"})
    assert fixed.json["guids"] == {"imdb": "tt0113277", "tmdb": "949"}
    assert api.call("POST", f"/api/plex-editor/items/{key}/unmatch").json["guids"] == {}


def test_not_configured_is_said_clearly(api) -> None:
    assert api.call("GET", "/api/plex-editor/sections").json == {"configured": False, "sections": [], "users": []}
    answer = api.call("GET", "/api/plex-editor/items?section=1")
    assert answer.status_code == 409 and "Plex" in answer.json["error"]["message"]


def test_seasons_side_by_side_with_sonarr(api, plex) -> None:
    from tests.emulators.arr import SonarrEmulator

    key = plex.expanse["ratingKey"]
    no_sonarr = api.call("GET", f"/api/plex-editor/items/{key}/seasons?user=7").json
    assert no_sonarr["sonarr"]["configured"] is False
    assert [(e["episode"], e["watch"]) for e in no_sonarr["seasons"][0]["episodes"]] == [(1, "watched"),
                                                                                        (2, "unwatched")]
    with SonarrEmulator() as sonarr:
        series = sonarr.add_series("The Expanse", 2015, 280619, {1: 3})
        sonarr.add_episode_file(series["id"], 1, [1], "Season 01/The.Expanse.S01E01.mkv", 1_500_000_000)
        api.call("PUT", "/api/settings", json={"values": {"sonarr_url": sonarr.url, "sonarr_api_key": sonarr.api_key}})
        data = api.call("GET", f"/api/plex-editor/items/{key}/seasons?user=7").json
        assert data["sonarr"]["series_id"] == series["id"] and data["tvdb_id"] == "280619"
        [season] = data["seasons"]
        by_number = {e["episode"]: e for e in season["episodes"]}
        assert by_number[1]["sonarr"]["has_file"] and by_number[1]["sonarr"]["size"] == 1_500_000_000
        assert by_number[1]["sonarr"]["quality"] and by_number[1]["missing"] is False
        assert by_number[2]["missing"] is True and by_number[2]["in_plex"] is True
        assert by_number[3] == {**by_number[3], "in_plex": False, "missing": True}  # only Sonarr knows it
        assert season["missing"] == 2
        sonarr.stop()
        degraded = api.call("GET", f"/api/plex-editor/items/{key}/seasons").json
        assert degraded["sonarr"]["error"] and len(degraded["seasons"][0]["episodes"]) == 2  # Plex's side still
    movie = api.call("GET", f"/api/plex-editor/items/{plex.amelie['ratingKey']}/seasons")
    assert movie.status_code == 422


def test_fix_match_from_a_tmdb_search(api, plex) -> None:
    from tests.emulators.tmdb import TmdbEmulator

    plex.match_catalog = [{"guid": "plex://movie/5d776b", "name": "Heat", "year": 1995,
                           "guids": ["imdb://tt0113277", "tmdb://949"]}]
    with TmdbEmulator() as tmdb:
        tmdb.add_movie(949, "Heat", 1995, translations={"fr-FR": {"title": "Heat", "overview": "x"}})
        api.call("PUT", "/api/settings", json={"values": {"tmdb_url": tmdb.api_url, "tmdb_api_key": tmdb.api_key}})
        key = plex.heat["ratingKey"]
        found = api.call("GET", f"/api/plex-editor/items/{key}/matches?title=heat&provider=tmdb").json["matches"]
        assert found[0]["guid"] == "tmdb-949" and found[0]["source"] == "tmdb"
    fixed = api.call("POST", f"/api/plex-editor/items/{key}/match", json={"guid": "tmdb-949", "name": "Heat"}).json
    assert fixed["guids"] == {"imdb": "tt0113277", "tmdb": "949"} and fixed["guid"] == "plex://movie/5d776b"
    typed = api.call("GET", f"/api/plex-editor/items/{key}/matches?title=imdb-tt0113277").json["matches"]
    assert [m["guid"] for m in typed] == ["plex://movie/5d776b"]
    unknown = api.call("POST", f"/api/plex-editor/items/{key}/match", json={"guid": "tmdb-1", "name": "x"})
    assert unknown.status_code == 404
