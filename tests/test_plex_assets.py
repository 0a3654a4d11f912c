"""Kometa-style asset folders (issue 12, item 3): export what Plex shows to ``<folder>/poster.ext``,
``background.ext``, ``Season01.ext``, ``S01E01.ext``; import them back, each image checked; whole sections in
the background with failures recorded per item."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from app.plex_editor.library import CACHE
from tests.emulators.plex import PlexEmulator
from tests.waiting import wait_for


def image(fmt: str = "PNG", color=(200, 40, 40)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (40, 60), color).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def plex(api, tmp_path):
    CACHE.clear()
    emulator = PlexEmulator().start()
    emulator.movies = emulator.add_section("Films", "movie", "/media/Movies")
    emulator.shows = emulator.add_section("Séries", "show", "/media/TV")
    emulator.heat = emulator.add_movie(emulator.movies, "Heat", 1995, file="/media/Movies/Heat (1995)/Heat.mkv")
    emulator.dune = emulator.add_movie(emulator.movies, "Dune", 2021, file="/media/Movies/Dune (2021)/Dune.mkv")
    emulator.show = emulator.add_show(emulator.shows, "The Expanse", 2015, seasons={1: 2},
                                      folder="/media/TV/The Expanse")
    assets = tmp_path / "assets"
    assets.mkdir()
    emulator.assets = assets
    api.call("PUT", "/api/settings", json={"values": {"plex_url": emulator.url, "plex_token": emulator.token,
                                                      "kometa_assets_path": str(assets)}})
    yield emulator
    emulator.stop()


def test_export_then_import_a_show(api, plex) -> None:
    key = plex.show["ratingKey"]
    exported = api.call("POST", f"/api/plex-editor/items/{key}/assets/export").json
    assert exported["folder"] == "The Expanse" and exported["failed"] == []
    folder = plex.assets / "The Expanse"
    assert sorted(p.name for p in folder.iterdir()) == ["S01E01.png", "S01E02.png", "Season01.png", "background.png",
                                                        "poster.png"]
    assert (folder / "poster.png").read_bytes() == plex.images[plex.show["thumb"]]
    (folder / "poster.png").unlink()
    (folder / "poster.jpg").write_bytes(image("JPEG"))
    (folder / "S01E01.png").write_bytes(b"not an image at all")
    (folder / "background.png").unlink()
    (folder / "background.png").symlink_to("/etc/hostname")  # a link out of the asset folder
    imported = api.call("POST", f"/api/plex-editor/items/{key}/assets/import").json
    assert "poster.jpg" in imported["uploaded"] and "Season01.png" in imported["uploaded"]
    assert sorted(f["name"] for f in imported["failed"]) == ["S01E01.png", "background.png"]
    assert plex.images[plex.show["thumb"]] == image("JPEG")  # the show's poster is the folder's


def test_section_run_records_each_failure(api, plex) -> None:
    (plex.assets / "Heat (1995)").mkdir()
    (plex.assets / "Heat (1995)" / "poster.webp").write_bytes(image("WEBP"))
    (plex.assets / "Dune (2021)").mkdir()
    (plex.assets / "Dune (2021)" / "poster.png").write_bytes(image("GIF"))
    started = api.call("POST", f"/api/plex-editor/sections/{plex.movies}/assets/import")
    assert started.status_code == 202
    run = wait_for(lambda: (r := api.call("GET", f"/api/plex-editor/asset-runs/{started.json['id']}").json)
                   ["state"] != "running" and r, what="asset run")
    assert run["state"] == "partial" and run["images"] == 1 and run["done"] == 2
    assert run["failed"][0]["title"].startswith("Dune")
    assert plex.images[plex.heat["thumb"]] == image("WEBP")
    problems = api.call("GET", "/api/health").json["problems"]
    assert any(p.get("subject") == "Films" and "Dune" in p["detail"] for p in problems)


def test_refusals(api, plex, tmp_path) -> None:
    assert api.call("POST", f"/api/plex-editor/items/{plex.heat['ratingKey']}/assets/rename").status_code == 422
    api.call("PUT", "/api/settings", json={"values": {"kometa_assets_path": str(tmp_path / "missing")}})
    answer = api.call("POST", f"/api/plex-editor/items/{plex.heat['ratingKey']}/assets/export")
    assert answer.status_code == 422 and "missing" in answer.json["error"]["message"]
