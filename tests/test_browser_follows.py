"""Followed series and the calendar in Chromium, as a new user: follow a series by its TheTVDB id, search it
now, read the log and the calendar; at 1,400 and 390 px."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser import BrowserSession
from tests.emulators.torznab import TorznabEmulator
from tests.emulators.tvdb import TvdbEmulator

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_follow_then_calendar(browser: BrowserSession, width: int) -> None:
    day = datetime.now(ZoneInfo("Europe/Paris")) - timedelta(days=1)
    with TvdbEmulator() as tvdb, TorznabEmulator() as indexer:
        series = tvdb.add_series(259570, "Les Revenants", 2012, original_language="fra", seasons={1: 3},
                                 translations={"fra": {"name": "Les Revenants", "overview": ""}})
        series["aired"] = {(1, n): (day + timedelta(days=2 * (n - 1))).strftime("%Y-%m-%d") for n in (1, 2, 3)}
        indexer.feed.add_release("Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP", age_hours=1, size=1_800_000_000,
                                 tvdbid=259570, categories=(5000, 5040))
        indexer.feed.add_release("Les.Revenants.S01E01.MULTi.1080p.WEB.x264-TINY", age_hours=1, size=30_000_000,
                                 tvdbid=259570, categories=(5000, 5040))
        page = browser.start("/follows", {
            "tvdb_url": tvdb.api_url, "tvdb_api_key": tvdb.api_key,
            "torznab_indexers": [{"name": "Ygg", "url": f"{indexer.url}/api", "api_key": indexer.feed.api_key}]},
            width)
        assert "Aucune série n'est encore suivie." in page.inner_text("#follows-list")
        page.fill("#follow-tvdb", "259570")
        page.click("#follow-add button[type=submit]")
        page.wait_for_selector("[data-follow]")
        card = page.locator("[data-follow]")
        assert "Les Revenants (2012)" in card.inner_text()
        card.locator("details summary", has_text="Ce que la série accepte").click()  # watch only, from 1080p
        card.locator("select[name=mode]").select_option("watch")
        card.locator("select[name=min_resolution]").select_option("1080p")
        card.locator("form[data-settings] button[type=submit]").click()
        page.wait_for_selector("[data-follow] .badge:has-text('surveille seulement')")
        page.wait_for_function("() => window.MMS && window.MMS.api")  # the reloaded page's modules
        stored = page.evaluate("(id) => window.MMS.api('GET', `/api/follows/${id}`)", card.get_attribute("data-follow"))
        assert (stored["mode"], stored["min_resolution"]) == ("watch", "1080p")
        page.click("[data-check]")
        page.wait_for_selector("[data-follow] [data-log]", state="attached")
        page.locator("[data-follow] details summary", has_text="Dernières vérifications").click()
        log = page.locator("[data-log]").first.inner_text()
        assert "Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP" in log and "est trop petit" in log
        browser.screenshot(f"follows-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(browser.url + "/calendar")
        episodes = page.locator("#calendar [data-state]")
        assert episodes.count() >= 2
        assert episodes.first.get_attribute("data-state") == "searching"  # aired yesterday, nothing grabbed
        assert "à venir" in page.inner_text("#calendar")
        browser.screenshot(f"calendar-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        browser.assert_clean()
