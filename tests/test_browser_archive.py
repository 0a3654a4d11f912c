"""The Archive page in Chromium: after a sync, each user's history written for people; deleted media keep
theirs; at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from app.plex_editor.library import CACHE
from tests.browser import BrowserSession
from tests.emulators.plex import PlexEmulator

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_archive_cards_after_a_sync(browser: BrowserSession, width: int) -> None:
    CACHE.clear()
    with PlexEmulator() as plex:
        movies = plex.add_section("Films", "movie", "/media/Movies")
        shows = plex.add_section("Séries", "show", "/media/TV")
        heat = plex.add_movie(movies, "Heat", 1995, tmdb=949, file="/m/heat.mkv", duration=10_200_000)
        heat.update(summary="Un braqueur méthodique et un flic obsessionnel s'affrontent dans Los Angeles.")
        expanse = plex.add_show(shows, "The Expanse", 2015, tvdb=280619, seasons={1: 3})
        plex.add_account(7, "marie")
        plex.add_play(heat["ratingKey"], 7, 1_700_000_000)
        for episode in plex.items[expanse["children"][0]]["children"][:2]:
            plex.add_play(episode, 1, 1_700_000_100)
        page = browser.start("/jobs", {"plex_url": plex.url, "plex_token": plex.token}, width)
        page.evaluate("() => window.MMS.api('POST', '/api/archive/sync')")
        plex.delete_item(heat["ratingKey"])  # deleted after being watched: its history stays
        page.evaluate("() => window.MMS.api('POST', '/api/archive/sync')")
        page.goto(browser.url + "/archive")
        card = page.locator("#archive-items article[data-key='movie_949']")
        assert "marie" in card.inner_text() and card.locator("[data-gone]").count() == 1
        assert "source=tmdb-movie&id=949" in card.locator("[data-search-again]").get_attribute("href")
        show = page.locator("#archive-items article[data-key='tv_280619']").inner_text()
        assert "Saison 1 : 2 / 3 ép. vus" in show
        browser.screenshot(f"archive-{width}")
        page.select_option("#a-user", "7")
        page.select_option("#a-watched", "watched")
        page.click("#archive-filters button[type=submit]")
        page.wait_for_url("**/archive?**")
        assert page.locator("#archive-items article").count() == 1
        assert page.inner_text("#archive-months li[data-month='2023-11']").endswith("1 lecture, 2,8 h")
        browser.screenshot(f"archive-user-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        browser.assert_clean()


def test_archive_then_delete_from_the_plex_editor(browser: BrowserSession) -> None:
    CACHE.clear()
    with PlexEmulator() as plex:
        movies = plex.add_section("Films", "movie", "/media/Movies")
        heat = plex.add_movie(movies, "Heat", 1995, tmdb=949, file="/m/heat.mkv")
        plex.add_movie(movies, "Dune", 2021, tmdb=438631, file="/m/dune.mkv")
        plex.add_account(7, "marie")
        plex.add_play(heat["ratingKey"], 7, 1_700_000_000)
        page = browser.start("/plex", {"plex_url": plex.url, "plex_token": plex.token})
        card = page.locator(".mms-card", has=page.locator(".mms-card-title", has_text="Heat"))
        card.locator(".mms-select").check()
        page.select_option("#bulk-action", "archive_delete")
        page.click("#bulk-apply")
        page.locator("#mms-confirm.show").wait_for()
        assert "Heat" in page.inner_text("#mms-confirm-body") and "plex" in page.inner_text("#mms-confirm-body")
        browser.screenshot("archive-delete-confirm")
        page.click("#mms-confirm [data-confirm-value='delete']")
        page.locator(".toast[data-kind='success']").last.wait_for()
        page.wait_for_function("() => ![...document.querySelectorAll('.mms-card-title')]"
                               ".some((t) => t.textContent === 'Heat')")
        assert plex.deleted == [heat["ratingKey"]]
        page.goto(browser.url + "/archive")
        assert "marie" in page.locator("#archive-items article[data-key='movie_949']").inner_text()
        browser.assert_clean()


def test_plex_editor_and_search_point_to_the_archive(browser: BrowserSession) -> None:
    from tests.emulators.arr import RadarrEmulator

    CACHE.clear()
    with PlexEmulator() as plex, RadarrEmulator() as radarr:
        movies = plex.add_section("Films", "movie", "/media/Movies")
        heat = plex.add_movie(movies, "Heat", 1995, tmdb=949, file="/m/heat.mkv")
        plex.add_movie(movies, "Dune", 2021, tmdb=438631, file="/m/dune.mkv")
        plex.add_account(7, "marie")
        plex.add_play(heat["ratingKey"], 7, 1_700_000_000)
        radarr.add_lookup_movie("Heat", 1995, 949)
        page = browser.start("/plex", {"plex_url": plex.url, "plex_token": plex.token, "radarr_url": radarr.url,
                                       "radarr_api_key": radarr.api_key, "trailer_youtube_search": "off"})
        page.evaluate("() => window.MMS.api('POST', '/api/archive/sync')")
        plex.delete_item(heat["ratingKey"])
        page.evaluate("() => window.MMS.api('POST', '/api/archive/sync')")
        page.reload()
        page.locator("#f-text").fill("heat")
        page.locator("#archive-fallback li", has_text="Heat").wait_for()  # not in Plex, remembered
        assert "marie ×1" in page.inner_text("#archive-fallback")
        browser.screenshot("plex-editor-archive-fallback")
        page.goto(browser.url + "/search")
        page.fill("#media-title", "heat")
        badge = page.locator("#media-suggestions .mms-archived").first
        badge.wait_for()
        assert badge.get_attribute("title") == "marie ×1"
        browser.assert_clean()


@pytest.mark.parametrize("width", [1400, 390])
def test_removed_page_and_live_progress(browser: BrowserSession, width: int) -> None:
    import json

    from tests.emulators.arr import RadarrEmulator

    CACHE.clear()
    with PlexEmulator() as plex, RadarrEmulator() as radarr:
        movies = plex.add_section("Films", "movie", "/media/Movies")
        kept = [plex.add_movie(movies, f"Film {n}", 2000 + n, tmdb=100 + n, file=f"/m/{n}.mkv") for n in range(9)]
        amelie = plex.add_movie(movies, "Le Fabuleux Destin d'Amélie Poulain", 2001, tmdb=194, file="/m/a.mkv",
                                size=4_200_000_000)
        plex.add_play(amelie["ratingKey"], 1, 1_700_000_000)
        radarr_amelie = radarr.add_movie("Amélie", 2001, 194)
        page = browser.start("/archive", {"plex_url": plex.url, "plex_token": plex.token, "radarr_url": radarr.url,
                                          "radarr_api_key": radarr.api_key, "archive_drop_warning_percent": 50},
                             width)
        page.evaluate("() => window.MMS.api('POST', '/api/archive/sync')")
        radarr.file_deleted(radarr_amelie["id"], "Manual")
        plex.delete_item(amelie["ratingKey"])
        plex.delete_item(kept[0]["ratingKey"])
        page.evaluate("() => window.MMS.api('POST', '/api/archive/sync')")
        page.goto(browser.url + "/archive/removed")
        rows = page.locator("#removed tbody tr")
        assert rows.count() == 2
        causes = {r.get_attribute("data-key"): r.locator("[data-cause]").inner_text() for r in rows.all()}
        assert causes == {"movie_194": "Radarr a supprimé le fichier (à la main)",
                          "movie_100": "Inconnu (à la main ou hors de MMS)"}
        assert "4,2 Go" in rows.first.inner_text() or "4,2 Go" in rows.last.inner_text()
        browser.screenshot(f"archive-removed-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        # a sync running: the page follows it, then reloads by itself when it ends
        archive = browser.app.extensions["mms"].archive
        running = {"done": 1000, "total": 4000, "started": "2026-12-02T00:00:00+00:00", "finished": None,
                   "backfill": True}

        def progress(value: dict) -> None:
            with browser.app.app_context(), archive.transaction() as conn:
                conn.execute("UPDATE state SET value = ? WHERE name = 'sync_progress'", (json.dumps(value),))

        progress(running)
        page.goto(browser.url + "/archive")
        assert "1000 / 4000" in page.inner_text("#archive-progress")
        progress({**running, "done": 3000})
        page.wait_for_function("document.querySelector('#archive-progress progress').value === 3000")
        browser.screenshot(f"archive-progress-{width}")
        progress({**running, "done": 4000, "finished": "2026-12-02T00:01:00+00:00"})
        page.wait_for_selector("#archive-progress", state="detached")
        browser.assert_clean()
