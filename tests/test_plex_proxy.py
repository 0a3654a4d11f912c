"""Plex images reach the browser through MMS: the token never does."""

from __future__ import annotations

import pytest

from tests.emulators.plex import PlexEmulator


@pytest.fixture
def plex():
    emulator = PlexEmulator().start()
    section = emulator.add_section("Films", "movie", "/media/Movies")
    emulator.movie = emulator.add_movie(section, "Amélie", 2001, tmdb=194)
    yield emulator
    emulator.stop()


def test_recent_items_and_image_route_hide_the_token(api, plex) -> None:
    api.call("PUT", "/api/settings", json={"values": {"plex_url": plex.url, "plex_token": plex.token}})
    recent = api.call("GET", "/api/plex/recent")
    assert recent.status_code == 200 and plex.token not in recent.text
    [item] = recent.json["items"]
    assert item["title"] == "Amélie" and item["image"].startswith("/plex/image?path=")
    with api.client.get(item["image"]) as image:
        assert image.status_code == 200 and image.mimetype == "image/png"
        assert image.data == plex.images[plex.movie["thumb"]]
    assert plex.requests[-1].headers["x-plex-token"] == plex.token  # fetched server side, with the token
    for page in ("/", "/configuration", "/health"):
        assert plex.token not in api.client.get(page).text, page
    for bad in ("http://evil.example/x.png", "//evil/x", "/library/../etc/passwd", "/status/sessions"):
        with api.client.get("/plex/image", query_string={"path": bad}) as response:
            assert response.status_code == 400, bad


def test_recent_items_report_plex_failures(api, plex) -> None:
    assert api.call("GET", "/api/plex/recent").json == {"items": [], "error": None, "configured": False}
    api.call("PUT", "/api/settings", json={"values": {"plex_url": plex.url, "plex_token": "wrong"}})
    answer = api.call("GET", "/api/plex/recent").json
    assert answer["items"] == [] and "PLEX_TOKEN" in answer["error"]
