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


def test_image_proxy_refuses_encoded_traversal_and_non_images(api, plex) -> None:
    api.call("PUT", "/api/settings", json={"values": {"plex_url": plex.url, "plex_token": plex.token}})
    thumb = plex.movie["thumb"]
    for bad in ("/library/%2e%2e/status/sessions", "/library/%252e%252e/x", "/library/metadata/1/../../x",
                "/library/./metadata", "/library\\..\\x", "/library/\x00/x", "/%2flibrary/x"):
        with api.client.get("/plex/image", query_string={"path": bad}) as response:
            assert response.status_code == 400, bad
    plex.images["/library/metadata/99/thumb/1"] = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    plex.image_types = {"/library/metadata/99/thumb/1": "image/svg+xml",
                        "/library/metadata/98/thumb/1": "text/html"}
    plex.images["/library/metadata/98/thumb/1"] = b"<html><script>alert(1)</script></html>"
    for refused in ("/library/metadata/99/thumb/1", "/library/metadata/98/thumb/1"):
        with api.client.get("/plex/image", query_string={"path": refused}) as response:
            assert response.status_code == 502 and b"<script>" not in response.data, refused
    with api.client.get("/plex/image", query_string={"path": thumb}) as ok:
        assert ok.status_code == 200 and ok.headers["X-Content-Type-Options"] == "nosniff"


def test_every_response_forbids_framing_and_sniffing(api) -> None:
    for path in ("/", "/configuration", "/api/health", "/login", "/static/css/theme.css"):
        with api.client.get(path) as response:
            assert response.headers["X-Frame-Options"] == "DENY", path
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
            assert "script-src 'self'" in response.headers["Content-Security-Policy"], path
            assert response.headers["X-Content-Type-Options"] == "nosniff", path


def test_a_failed_csrf_check_never_redirects_to_the_referer(api) -> None:
    response = api.client.post("/logout", headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 400 and "Location" not in response.headers
    assert "evil.example" not in response.text
