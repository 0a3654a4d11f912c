"""The one trailer modal in Chromium (issue 13): opened from the Plex editor and from the add-torrent mapping
dialog; candidates ranked, a lock, the buttons change colour on close, and the mapping dialog comes back with
its state (the release is then sent); at 1,400 and 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.plex_editor.library import CACHE
from tests.browser import BrowserSession
from tests.emulators.arr import RadarrEmulator
from tests.emulators.plex import PlexEmulator
from tests.emulators.tmdb import TmdbEmulator
from tests.services.qbittorrent import QBittorrentServer
from tests.test_trailers import FakeYouTube, entry

pytestmark = pytest.mark.browser
MAGNET = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=Heat.1995.MULTi.1080p.BluRay.x264-GRP"


@pytest.fixture
def services(monkeypatch):
    CACHE.clear()
    youtube = FakeYouTube("http://127.0.0.1:9/none", {"VF": [entry("YtVfTrail01", "Heat (1995) bande annonce VF")],
                                                      "trailer": [entry("YtRemake001", "Heat (2013) trailer")]})
    monkeypatch.setattr("app.trailers.service.youtube_client", lambda: youtube)
    with PlexEmulator() as plex, TmdbEmulator() as tmdb:
        section = plex.add_section("Films", "movie", "/media/Movies")
        plex.add_movie(section, "Heat", 1995, tmdb=949, file="/media/Movies/Heat (1995)/Heat.mkv")
        tmdb.add_movie(949, "Heat", 1995, translations={"fr-FR": {"title": "Heat", "overview": "x"}},
                       videos=[{"key": "TmdbTrail01", "name": "Heat - Bande-annonce VF", "iso_639_1": "fr"}])
        yield plex, tmdb


@pytest.mark.parametrize("width", [1400, 390])
def test_lock_from_the_plex_editor_recolours_the_button(browser: BrowserSession, services, width: int) -> None:
    plex, tmdb = services
    page = browser.start("/plex", {"plex_url": plex.url, "plex_token": plex.token, "tmdb_url": tmdb.api_url,
                                   "tmdb_api_key": tmdb.api_key}, width)
    button = page.locator(".find-and-play-trailer-btn[data-external-id='949']")
    page.locator(".find-and-play-trailer-btn[data-trailer-status='NONE']").wait_for()
    button.click()
    page.locator("#trailer-modal.show").wait_for()
    page.locator("#trailer-candidates li[data-video-id='TmdbTrail01']").wait_for()
    first = page.locator("#trailer-candidates li").first
    assert first.get_attribute("data-video-id") == "TmdbTrail01"  # TMDB's French trailer first
    assert "VF" in first.inner_text()
    browser.screenshot(f"trailer-modal-{width}")
    page.click("#trailer-candidates li[data-video-id='YtVfTrail01'] [data-lock]")
    page.locator("#trailer-status[data-status='LOCKED']").wait_for()
    page.click("#trailer-modal [data-bs-dismiss='modal']")
    page.locator(".find-and-play-trailer-btn[data-external-id='949'][data-trailer-status='LOCKED']").wait_for()
    assert "btn-success" in button.get_attribute("class")
    page.reload()  # the status comes from the server
    page.locator(".find-and-play-trailer-btn[data-external-id='949'][data-trailer-status='LOCKED']").wait_for()
    page.goto(browser.url + "/trailers")
    page.locator("#trailer-table tr[data-key='movie_949']").wait_for()
    assert page.locator("#trailer-summary [data-count='LOCKED']").inner_text() == "1"
    browser.screenshot(f"trailers-page-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    browser.assert_clean()


def test_from_the_mapping_dialog_and_back_with_its_state(browser: BrowserSession, services, tmp_path: Path) -> None:
    plex, tmdb = services
    qbt = QBittorrentServer(tmp_path / "qbt")
    try:
        with RadarrEmulator() as radarr:
            radarr.add_movie("Heat", 1995, 949)
            browser.app.extensions["mms"].settings.save({
                "torrent_client": "qbittorrent", "qbittorrent_url": qbt.url, "qbittorrent_username": qbt.username,
                "qbittorrent_password": qbt.password, "radarr_url": radarr.url, "radarr_api_key": radarr.api_key,
                "plex_url": plex.url, "plex_token": plex.token, "tmdb_url": tmdb.api_url,
                "tmdb_api_key": tmdb.api_key})
            browser.login()
            page = browser.page
            page.goto(browser.url + "/seedbox")
            page.click("#add-open")
            page.locator("#add-panel.show").wait_for()
            page.fill("#add-link", MAGNET)
            page.click("#add-form button[type=submit]")
            page.locator("#mapping-modal.show").wait_for()
            page.locator("#mapping-candidates button[data-source='radarr']").first.click()
            trailer = page.locator("#mapping-choice .find-trailer-from-map-btn")
            trailer.wait_for()
            trailer.click()
            page.locator("#trailer-modal.show").wait_for()
            assert page.locator("#mapping-modal.show").count() == 0  # hidden while the trailer modal is open
            page.locator("#trailer-candidates li[data-video-id='TmdbTrail01'] [data-lock]").click()
            page.locator("#trailer-status[data-status='LOCKED']").wait_for()
            page.click("#trailer-modal [data-bs-dismiss='modal']")
            page.locator("#mapping-modal.show").wait_for()  # back, with what was chosen
            assert "Heat" in page.inner_text("#mapping-choice") and page.is_enabled("#mapping-send")
            assert "btn-success" in page.get_attribute("#mapping-choice .find-trailer-from-map-btn", "class")
            page.click("#mapping-send")
            page.locator("#pipeline tbody tr[data-hash='" + "CD" * 20 + "']").wait_for()
            browser.assert_clean()
    finally:
        qbt.stop()


def test_download_from_the_modal_with_its_progress(browser: BrowserSession, tmp_path: Path, monkeypatch) -> None:
    from tests.clients.test_youtube import VideoSite
    from tests.media import make_video

    CACHE.clear()
    site_folder = tmp_path / "site"
    make_video(site_folder / "trailer.mp4", 1.5)
    site = VideoSite(site_folder)
    movie = tmp_path / "Movies" / "Heat (1995)"
    make_video(movie / "Heat (1995).mkv", 0.5)
    monkeypatch.setattr("app.trailers.service.youtube_client", lambda: FakeYouTube(site.url))
    try:
        with PlexEmulator() as plex:
            section = plex.add_section("Films", "movie", str(tmp_path / "Movies"))
            plex.add_movie(section, "Heat", 1995, tmdb=949, file=str(movie / "Heat (1995).mkv"))
            browser.app.extensions["mms"].settings.save({"plex_url": plex.url, "plex_token": plex.token,
                                                         "movies_path": str(tmp_path / "Movies"),
                                                         "trailer_youtube_search": "off"})
            browser.login()
            page = browser.page
            page.goto(browser.url + "/plex")
            page.locator(".find-and-play-trailer-btn[data-external-id='949']").click()
            page.locator("#trailer-modal.show").wait_for()
            page.fill("#trailer-link", "https://www.youtube.com/watch?v=YtVfTrail01")
            page.click("#trailer-link-form button[type=submit]")
            page.locator("#trailer-status[data-status='LOCKED']").wait_for()
            page.click("#trailer-download")
            page.locator("#trailer-progress[data-state='done']").wait_for(timeout=60_000)
            assert (movie / "Heat (1995)-trailer.mkv").is_file()
            page.locator(".toast[data-kind='success']").last.wait_for()
            assert page.inner_text("#trailer-disk") == "sur le disque"
            browser.screenshot("trailer-downloaded")
            browser.assert_clean()
    finally:
        site.stop()
