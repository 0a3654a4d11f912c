"""The Upgrades page in Chromium, as a new user: look for upgrades, read a candidate (on disk vs proposed),
set one aside, change a rule; at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession
from tests.emulators.torznab import TorznabEmulator
from tests.media import make_tagged_video

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_find_then_set_aside(browser: BrowserSession, tmp_path, width: int) -> None:
    movies = tmp_path / "Films"
    make_tagged_video(movies / "Heat (1995) {tmdb-949}" / "Heat (1995) - 1080p.mkv", audio=[("eng", "")],
                      subtitles=["fre"], size="1920x800")
    make_tagged_video(movies / "Amelie (2001) {tmdb-194}" / "Amelie (2001) - 720p.mkv", audio=[("fre", "")],
                      size="1280x720")
    with TorznabEmulator() as indexer:
        indexer.feed.add_release("Heat.1995.MULTi.VFF.1080p.BluRay.x264-GRP", tmdbid=949, seeders=25,
                                 size=12_400_000_000, categories=(2000, 2040))
        indexer.feed.add_release("Amelie.2001.MULTi.1080p.WEB.x264-GRP", tmdbid=194, seeders=7,
                                 size=4_100_000_000, categories=(2000, 2040))
        page = browser.start("/quality", {
            "movies_path": str(movies), "upgrade_pause_s": 0,
            "torznab_indexers": [{"name": "Ygg", "url": f"{indexer.url}/api", "api_key": indexer.feed.api_key}]},
            width)
        page.click("#quality-scan")
        page.wait_for_selector("#quality-files tbody tr[data-path]")
        page.goto(browser.url + "/upgrades")
        assert "Aucune amélioration n'attend votre accord." in page.inner_text("#upgrade-candidates")
        page.click("#upgrades-check")
        page.wait_for_selector("#upgrade-candidates [data-candidate]")
        cards = page.locator("#upgrade-candidates [data-candidate]")
        assert cards.count() == 2
        heat = cards.filter(has_text="Heat")
        assert "Heat.1995.MULTi.VFF.1080p.BluRay.x264-GRP" in heat.inner_text()
        assert "VOSTFR · 1080p · x264" in heat.inner_text() and "MULTI (MULTi, VFF)" in heat.inner_text()
        assert heat.locator("[data-gain]").inner_text() == "+20"
        browser.screenshot(f"upgrades-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        heat.locator("[data-dismiss]").click()
        page.wait_for_function("document.querySelectorAll('#upgrade-candidates [data-candidate]').length === 1")
        assert "écartée" in page.inner_text("#upgrade-history")
        row = page.locator("#upgrade-rules tr[data-rule='1080p-to-2160p']")
        with page.expect_response("**/api/upgrades/rules/1080p-to-2160p") as answer:
            row.locator("[data-field='enabled']").check()
        assert answer.value.status == 200
        page.reload()
        assert page.locator("#upgrade-rules tr[data-rule='1080p-to-2160p'] [data-field='enabled']").is_checked()
        browser.screenshot(f"upgrades-after-{width}")
        browser.assert_clean()
