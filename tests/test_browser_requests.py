"""Requests and live updates in Chromium (issue 17, items 3 and 5): a user requests a film on the Requests
page; the admin approves it in another browser context; the user's page follows the request's state through
the event stream, without reloading. Twenty browsers on the seedbox page while the pipeline moves entries:
each shows the new states live, the ones past ``live_max_streams`` through their polling fallback. At 1,400
and 390 px."""

from __future__ import annotations

import pytest

from app.utils.stores.mapping_manager import Mapping
from tests.browser import BrowserSession
from tests.emulators.tmdb import TmdbEmulator

pytestmark = pytest.mark.browser
PASSWORD = "a-long-password"


def _sign_in(chromium, url: str, name: str, width: int):
    context = chromium.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return context, page


@pytest.mark.parametrize("width", [1400, 390])
def test_a_request_approved_by_the_admin_updates_live_for_the_user(browser: BrowserSession, chromium,
                                                                    width: int) -> None:
    tmdb = TmdbEmulator().start()
    try:
        tmdb.add_movie(949, "Heat", 1995, translations={"fr-FR": {"title": "Heat", "overview": "Un casse à L.A."}})
        tmdb.add_tv(1399, "Game of Thrones", 2011, translations={"fr-FR": {"name": "Le Trône de fer"}},
                    seasons={1: 10, 2: 10}, tvdb_id=121361)
        admin = browser.start("/requests", {"tmdb_url": tmdb.api_url, "tmdb_api_key": tmdb.api_key,
                                            "tmdb_image_url": tmdb.image_url, "service_timeout_s": 3}, width)
        browser.app.extensions["mms"].users.create_user("paul", PASSWORD, "user")
        context, paul = _sign_in(chromium, browser.url, "paul", width)
        try:
            paul.goto(browser.url + "/requests")
            assert "0 / 5 films" in paul.inner_text("#request-quota")
            paul.fill("#request-q", "heat")
            paul.click("#request-search button[type=submit]")
            paul.click("[data-result='949'] button")
            paul.wait_for_selector("[data-result='949'] .badge")
            card = paul.wait_for_selector("#requests-list [data-request][data-state=pending]")
            assert "Heat (1995)" in card.inner_text() and "en attente" in card.inner_text()
            paul.wait_for_function("document.getElementById('request-quota').textContent.includes('1 / 5')")
            # a series: two seasons chosen
            paul.select_option("#request-kind", "tv")
            paul.fill("#request-q", "trône")
            paul.click("#request-search button[type=submit]")
            paul.click("[data-result='1399'] button")
            paul.check("#season-1399-2")
            paul.click("[data-result='1399'] button[type=submit]")
            paul.wait_for_selector("#requests-list [data-request]:has-text('saisons 2')")
            paul.evaluate("window.mmsNotReloaded = true")
            paul.wait_for_function("document.documentElement.dataset.live === 'open'")
            paul.screenshot(path=str(browser.screenshot(f"requests-user-{width}")), full_page=True)
            assert paul.evaluate("document.documentElement.scrollWidth") <= width

            admin.reload()
            pending = admin.wait_for_selector("#requests-pending [data-request]:has-text('Heat')")
            assert "par paul" in pending.inner_text()
            browser.screenshot(f"requests-admin-{width}")
            assert admin.evaluate("document.documentElement.scrollWidth") <= width
            admin.click("#requests-pending [data-request]:has-text('Heat') .btn-success")
            # no indexer is configured here: approved, then failed with the reason, both seen live by paul
            failed = paul.wait_for_selector("#requests-list [data-request][data-state=failed]:has-text('Heat')")
            assert "indexeur" in failed.inner_text()
            assert paul.evaluate("window.mmsNotReloaded") is True
            paul.screenshot(path=str(browser.screenshot(f"requests-user-live-{width}")), full_page=True)
            toast = paul.wait_for_selector("#mms-toasts .toast:has-text('Demande en échec')")
            assert "Heat" in toast.inner_text()
        finally:
            context.close()
    finally:
        tmdb.stop()
    browser.assert_clean()


def test_twenty_browsers_follow_the_pipeline_live(browser: BrowserSession, chromium) -> None:
    page = browser.start("/seedbox", {"live_poll_s": 2, "torrent_client": "qbittorrent",
                                      "qbittorrent_url": "http://127.0.0.1:9"}, 1400)
    app = browser.app
    cookies = page.context.cookies()
    contexts, pages = [], [page]
    try:
        for _ in range(19):
            context = chromium.new_context(locale="fr-FR", viewport={"width": 1000, "height": 700})
            context.add_cookies(cookies)
            contexts.append(context)
            other = context.new_page()
            other.goto(browser.url + "/seedbox")
            pages.append(other)
        for each in pages:
            each.wait_for_selector("#pipeline")
        live = app.extensions["mms_live"]
        assert live.open_streams <= live.max_streams == 16
        mapping = app.extensions["mms"].mapping
        hashes = [f"{n:040X}" for n in range(1, 4)]
        for n, info_hash in enumerate(hashes):
            mapping.add(info_hash, f"Film.{n}.2020.MULTi.1080p.WEB.x264-GRP",
                        Mapping(media_type="movie", title=f"Film {n}", year=2020, tmdb_id=100 + n))
        for info_hash in hashes:
            for state in ("completed", "transferring"):
                mapping.transition(info_hash, state, state)
        for each in pages:  # the 4 past the 16 stream slots come back every 2 s and catch up
            for info_hash in hashes:
                each.wait_for_selector(f"tr[data-hash='{info_hash}'][data-state=transferring]", timeout=15000)
        mapping.transition(hashes[0], "transfer_failed", "SFTP: %(reason)s", detail_params={"reason": "coupé"})
        for each in pages:
            each.wait_for_selector(f"tr[data-hash='{hashes[0]}']:has-text('coupé')", timeout=15000)
        assert sum(1 for each in pages if each.evaluate("document.documentElement.dataset.live") == "open") >= 16
        browser.screenshot("seedbox-live-1400")
    finally:
        for context in contexts:
            context.close()
    browser.assert_clean({502})  # the seedbox's torrent client is not there: its list answers 502
