"""Search by media in Chromium (issue 11, item 1): the media is picked by typing its title (accents
optional), the search uses ids where the indexer can, a failed media search clears the old results."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession
from tests.emulators.arr import RadarrEmulator
from tests.emulators.torznab import TorznabEmulator

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_pick_a_movie_by_its_title_and_find_its_releases(browser: BrowserSession, width: int) -> None:
    with RadarrEmulator() as radarr, TorznabEmulator("Ids", "key-ids") as ids, \
            TorznabEmulator("TextOnly", "key-text", id_search=False) as text_only:
        radarr.add_movie("Amélie", 2001, 194, original_title="Le Fabuleux Destin d'Amélie Poulain")
        ids.feed.add_release("Le.Fabuleux.Destin.d.Amelie.Poulain.2001.MULTi.1080p.BluRay.x264-GRP", tmdbid=194,
                             categories=(2000,))
        text_only.feed.add_release("Amelie.2001.FRENCH.720p.WEB.x264-GRP", categories=(2000,))
        browser.app.extensions["mms"].settings.save({
            "radarr_url": radarr.url, "radarr_api_key": radarr.api_key, "service_timeout_s": 2,
            "trailer_youtube_search": "off",  # no test reaches YouTube
            "torznab_indexers": [{"name": "Ids", "url": ids.url, "api_key": "key-ids"},
                                 {"name": "TextOnly", "url": text_only.url, "api_key": "key-text"}]})
        browser.login()
        page = browser.page
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(browser.url + "/search")
        page.fill("#media-title", "amelie")  # typed without the accent
        option = page.locator("#media-suggestions li", has_text="Amélie (2001)")
        option.wait_for()
        assert "bibliothèque" in option.inner_text()
        browser.screenshot(f"media-suggestions-{width}")
        option.click()
        page.click("#media-form button[type=submit]")
        page.wait_for_selector("#results tbody tr >> nth=1")
        text = page.locator("#results tbody").inner_text()
        assert "Le.Fabuleux.Destin.d.Amelie.Poulain" in text and "Amelie.2001.FRENCH" in text
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # the media's trailer button (the global trailer modal), coloured by its status
        trailer = page.locator("#media-info .search-trailer-btn[data-external-id='194']")
        page.locator("#media-info .search-trailer-btn[data-trailer-status='NONE']").wait_for()
        browser.screenshot(f"media-results-{width}")
        trailer.click()
        page.locator("#trailer-modal.show").wait_for()
        assert page.inner_text("#trailer-title").startswith("Amélie")
        page.click("#trailer-modal [data-bs-dismiss='modal']")
        page.locator("#trailer-modal.show").wait_for(state="detached")
        radarr.fail_next(500, times=10)  # the next media search fails: nothing old stays on screen
        page.click("#media-form button[type=submit]")
        page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 0")
        assert "échoué" in page.locator("#search-message").inner_text()
        browser.assert_clean(allowed_statuses={502})


@pytest.mark.parametrize("width", [1400, 390])
def test_follow_a_series_from_the_search_page(browser: BrowserSession, width: int) -> None:
    from tests.emulators.arr import SonarrEmulator

    with SonarrEmulator() as sonarr, TorznabEmulator("Ids", "key-ids") as ids:
        series = sonarr.add_series("Les Revenants", 2012, 259570, {1: 2})
        browser.app.extensions["mms"].settings.save({
            "sonarr_url": sonarr.url, "sonarr_api_key": sonarr.api_key, "service_timeout_s": 2,
            "trailer_youtube_search": "off",
            "torznab_indexers": [{"name": "Ids", "url": ids.url, "api_key": "key-ids"}]})
        browser.login()
        page = browser.page
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(browser.url + "/search")
        page.select_option("#media-type", "tv")
        page.fill("#media-title", "revenants")
        option = page.locator("#media-suggestions li", has_text="Les Revenants")
        option.wait_for()
        option.click()
        page.click("#media-form button[type=submit]")
        follow = page.locator("#search-follow-btn")
        follow.wait_for()
        assert follow.inner_text() == "Suivre cette série"
        follow.click()
        page.wait_for_function("document.querySelector('#search-follow-btn').textContent.startsWith('Suivie')")
        browser.screenshot(f"search-follow-{width}")
        followed = page.evaluate("() => window.MMS.api('GET', '/api/follows')")
        assert [(f["title"], f["tvdb_id"], f["sonarr_series_id"]) for f in followed] == [
            ("Les Revenants", 259570, series["id"])]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        browser.assert_clean()
