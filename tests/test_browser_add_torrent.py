"""Adding a torrent from the seedbox page in Chromium (issue 11, items 2 and 7): what is not a torrent is
refused before the dialog, a magnet pre-fills the dialog (its search already run), what is already in the
pipeline asks first in MMS's own dialog, and re-mapping opens pre-filled; at 1,400 and 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import BrowserSession
from tests.emulators.arr import RadarrEmulator
from tests.services.qbittorrent import QBittorrentServer

pytestmark = pytest.mark.browser
MAGNET = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Le.Fabuleux.Destin.d.Amelie.Poulain.2001.MULTi.1080p.BluRay"


@pytest.mark.parametrize("width", [1400, 390])
def test_add_a_magnet_then_again(browser: BrowserSession, tmp_path: Path, width: int) -> None:
    qbt = QBittorrentServer(tmp_path / "qbt")
    try:
        with RadarrEmulator() as radarr:
            radarr.add_movie("Amélie", 2001, 194, original_title="Le Fabuleux Destin d'Amélie Poulain")
            browser.app.extensions["mms"].settings.save({
                "torrent_client": "qbittorrent", "qbittorrent_url": qbt.url, "qbittorrent_username": qbt.username,
                "qbittorrent_password": qbt.password, "radarr_url": radarr.url, "radarr_api_key": radarr.api_key})
            browser.login()
            page = browser.page
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(browser.url + "/seedbox")
            page.click("#add-open")
            page.locator("#add-panel.show").wait_for()  # the panel has finished opening
            page.fill("#add-link", "this is not a link")
            page.click("#add-form button[type=submit]")
            page.locator(".toast[data-kind='danger']").wait_for()
            assert page.locator("#mapping-modal.show").count() == 0  # refused before the dialog
            page.fill("#add-link", MAGNET)
            page.click("#add-form button[type=submit]")
            page.locator("#mapping-modal.show").wait_for()
            assert page.input_value("#mapping-query") == "Le Fabuleux Destin d Amelie Poulain"
            first = page.locator("#mapping-candidates button").first
            first.wait_for()  # the search ran as the dialog opened; the library comes first
            assert first.get_attribute("data-source") == "radarr"
            browser.screenshot(f"add-mapping-{width}")
            first.click()
            page.click("#mapping-send")
            page.locator("#pipeline tbody tr[data-hash='" + "AB" * 20 + "']").wait_for()
            page.fill("#add-link", MAGNET)  # the same release again
            page.click("#add-form button[type=submit]")
            page.locator("#mms-confirm.show").wait_for()
            assert "Amelie" in page.locator("#mms-confirm-body").inner_text()
            browser.screenshot(f"add-already-pending-{width}")
            page.click("#mms-confirm [data-bs-dismiss='modal'].btn")
            page.locator("#mms-confirm.show").wait_for(state="detached")
            assert page.locator("#mapping-modal.show").count() == 0
            page.reload()  # the page as it loads, no dialog state
            page.wait_for_load_state("networkidle")
            page.locator("#pipeline tbody tr[data-hash='" + "AB" * 20 + "']").wait_for()
            page.evaluate("window.scrollTo(1000, 0)")
            assert page.evaluate("window.scrollX") == 0  # the page itself never scrolls sideways
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.click("#pipeline tbody tr[data-hash='" + "AB" * 20 + "'] [data-action='remap']")
            page.locator("#mapping-modal.show").wait_for()
            assert page.inner_text("#mapping-send") == "Réassocier"
            assert page.input_value("#mapping-query") == "Amélie"
            browser.screenshot(f"remap-{width}")
            browser.assert_clean(allowed_statuses={422})
    finally:
        qbt.stop()
