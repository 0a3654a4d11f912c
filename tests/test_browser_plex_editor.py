"""The Plex editor in Chromium against the stateful Plex emulator: the user filter changes the watched badges,
a title edited and locked keeps its lock after a reload, an uploaded image becomes the selected poster, a fixed
match shows the new ids; at 1,400 and 390 px."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from app.plex_editor.library import CACHE
from tests.browser import BrowserSession
from tests.emulators.plex import PlexEmulator

pytestmark = pytest.mark.browser


@pytest.fixture
def plex():
    CACHE.clear()
    emulator = PlexEmulator().start()
    emulator.movies = emulator.add_section("Films", "movie", "/media/Movies")
    emulator.add_section("Séries", "show", "/media/TV")
    emulator.add_section("Musique", "artist", "/media/Music")
    emulator.amelie = emulator.add_movie(emulator.movies, "Amélie", 2001, tmdb=194, file="/media/Movies/a.mkv",
                                         audio=("fra",), size=4_000_000_000)
    emulator.heat = emulator.add_movie(emulator.movies, "Heat", 1995, tmdb=949, file="/media/Movies/h.mkv",
                                       audio=("eng",), resolution="4k", size=9_000_000_000)
    for n in range(8):
        emulator.add_movie(emulator.movies, f"Film {n:02d}", 2010 + n, file=f"/media/Movies/{n}.mkv")
    emulator.add_account(7, "marie")
    emulator.add_play(emulator.heat["ratingKey"], 7, 1_700_000_500)
    emulator.match_catalog = [{"guid": "plex://movie/5d776b", "name": "Heat", "year": 1995,
                               "guids": ["imdb://tt0113277", "tmdb://949"]}]
    yield emulator
    emulator.stop()


def card(page, title):
    return page.locator(".mms-card", has=page.locator(".mms-card-title", has_text=title))


@pytest.mark.parametrize("width", [1400, 390])
def test_browse_edit_lock_upload_and_match(browser: BrowserSession, plex, tmp_path: Path, width: int) -> None:
    page = browser.start("/plex", {"plex_url": plex.url, "plex_token": plex.token}, width)
    card(page, "Heat").wait_for()
    assert page.locator("#section-tabs button[disabled]").inner_text().startswith("Musique")  # read-only
    assert card(page, "Amélie").locator("[data-french='true']").count() == 1
    assert page.locator(".mms-card [data-watch]").count() == 0  # no user chosen: no watched state

    if width < 768:  # the filters fold behind a button on a phone
        assert page.locator("#f-user").is_visible() is False
        page.click("[data-bs-target='#filters']")
        page.locator("#f-user").wait_for(state="visible")
    page.select_option("#f-user", "7")
    card(page, "Heat").locator("[data-watch='watched']").wait_for()
    assert card(page, "Amélie").locator("[data-watch='unwatched']").count() == 1
    page.select_option("#f-watched", "watched")
    page.wait_for_function("() => document.querySelectorAll('.mms-card').length === 1")
    browser.screenshot(f"plex-editor-filtered-{width}")
    page.reload()  # the last selection comes back
    page.wait_for_function("() => document.querySelectorAll('.mms-card').length === 1")
    assert page.input_value("#f-user") == "7" and page.input_value("#f-watched") == "watched"
    if width < 768:
        page.click("[data-bs-target='#filters']")
        page.locator("#f-watched").wait_for(state="visible")
    page.select_option("#f-watched", "all")
    card(page, "Amélie").wait_for()

    card(page, "Amélie").locator(".mms-card-open").click()
    page.locator("#item-modal.show").wait_for()
    page.fill("#field-title", "Le Fabuleux Destin d'Amélie Poulain")
    assert page.get_attribute("[data-lock='title']", "aria-pressed") == "true"  # changing a field locks it
    page.click("#general-save")
    page.locator(".toast[data-kind='success']").first.wait_for()
    browser.screenshot(f"plex-editor-general-{width}")
    page.reload()
    card(page, "Le Fabuleux Destin").locator(".mms-card-open").click()
    page.locator("#item-modal.show").wait_for()
    page.wait_for_function("() => document.getElementById('field-title').value.startsWith('Le Fabuleux')")
    assert page.get_attribute("[data-lock='title']", "aria-pressed") == "true"  # the lock, read back from Plex
    assert "title" in plex.amelie["locked"]

    image = tmp_path / "poster.png"
    Image.new("RGB", (200, 300), (30, 160, 90)).save(image)
    page.click("[data-bs-target='#tab-posters']")
    page.locator("#tab-posters .mms-art").first.wait_for()
    before = page.locator("#tab-posters .mms-art").count()
    page.set_input_files("#upload-file-posters", str(image))
    page.click("#tab-posters [data-upload] button[type=submit]")
    page.wait_for_function(f"() => document.querySelectorAll('#tab-posters .mms-art').length === {before + 1}")
    assert page.locator("#tab-posters .mms-art").last.get_attribute("aria-pressed") == "true"
    assert page.locator("#tab-posters .mms-art[aria-pressed='true']").count() == 1
    buffer = BytesIO()
    Image.open(image).save(buffer, "PNG")
    assert plex.images[plex.amelie["thumb"]] == image.read_bytes()
    browser.screenshot(f"plex-editor-posters-{width}")
    page.click("[data-bs-dismiss='modal'][aria-label]")
    page.locator("#item-modal.show").wait_for(state="detached")

    card(page, "Heat").locator(".mms-card-open").click()
    page.locator("#item-modal.show").wait_for()
    page.click("#match-tab")
    page.click("#match-form button[type=submit]")
    page.locator("#match-results [data-guid='plex://movie/5d776b'] button").click()
    page.wait_for_function("() => document.getElementById('match-guids').textContent.includes('tt0113277')")
    browser.screenshot(f"plex-editor-match-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    browser.assert_clean()


@pytest.mark.parametrize("width", [1400, 390])
def test_seasons_next_to_sonarr(browser: BrowserSession, width: int) -> None:
    from tests.emulators.arr import SonarrEmulator

    CACHE.clear()
    with PlexEmulator() as plex, SonarrEmulator() as sonarr:
        shows = plex.add_section("Séries", "show", "/media/TV")
        plex.add_show(shows, "The Expanse", 2015, tvdb=280619, seasons={1: 2})
        series = sonarr.add_series("The Expanse", 2015, 280619, {1: 3})
        sonarr.add_episode_file(series["id"], 1, [1], "Season 01/The.Expanse.S01E01.mkv", 1_500_000_000)
        page = browser.start("/plex", {"plex_url": plex.url, "plex_token": plex.token, "sonarr_url": sonarr.url,
                                       "sonarr_api_key": sonarr.api_key}, width)
        card(page, "The Expanse").locator(".mms-card-open").click()
        page.locator("#item-modal.show").wait_for()
        page.click("#seasons-tab")
        page.locator("#seasons-list tr[data-episode='S01E03']").wait_for()
        assert page.get_attribute("#seasons-list tr[data-episode='S01E01']", "data-missing") == "false"
        assert page.get_attribute("#seasons-list tr[data-episode='S01E02']", "data-missing") == "true"
        assert "Plex" in page.inner_text("#seasons-list tr[data-episode='S01E03']")  # "pas dans Plex"
        link = page.locator("#seasons-list [data-search-season='1']")
        assert link.get_attribute("target") == "_blank"
        follow = page.locator("#seasons-info [data-follow-show='280619']")
        follow.click()  # follow the show from here: new episodes grabbed from their air time
        page.wait_for_function("document.querySelector('[data-follow-show]').textContent.startsWith('Suivie')")
        followed = page.evaluate("() => window.MMS.api('GET', '/api/follows')")
        assert [(f["title"], f["tvdb_id"], f["sonarr_series_id"]) for f in followed] == [
            ("The Expanse", 280619, series["id"])]
        browser.screenshot(f"plex-editor-seasons-{width}")
        href = link.get_attribute("href")
        with page.expect_response(lambda r: "/api/search/media" in r.url):
            page.goto(browser.url + href)
        assert page.input_value("#media-title") == "The Expanse"
        browser.assert_clean(allowed_statuses={404, 502})


@pytest.mark.parametrize("width", [1400, 390])
def test_move_with_a_progress_bar(browser: BrowserSession, tmp_path: Path, width: int) -> None:
    from tests.emulators.arr import RadarrEmulator

    CACHE.clear()
    first, second = tmp_path / "Movies", tmp_path / "Movies 4K"
    (first / "Heat (1995)").mkdir(parents=True)
    second.mkdir()
    (first / "Heat (1995)" / "Heat (1995).mkv").write_bytes(b"\0" * 2_000_000)
    with PlexEmulator() as plex, RadarrEmulator() as radarr:
        section = plex.add_section("Films", "movie", str(first))
        plex.add_section("Films 4K", "movie", str(second))
        plex.add_movie(section, "Heat", 1995, tmdb=949, file=str(first / "Heat (1995)" / "Heat (1995).mkv"))
        movie = radarr.add_movie("Heat", 1995, 949, root=str(first))
        movie["path"] = str(first / "Heat (1995)")
        radarr.move_delay_s = 1.5  # long enough to see the bar running
        page = browser.start("/plex", {
            "plex_url": plex.url, "plex_token": plex.token, "radarr_url": radarr.url, "radarr_api_key": radarr.api_key,
            "movies_path": str(first), "library_root_folders": [str(second)]}, width)
        card(page, "Heat").locator(".mms-card-open").click()
        page.locator("#item-modal.show").wait_for()
        page.click("#move-tab")
        page.wait_for_function("() => document.querySelectorAll('#move-root option').length === 1")
        assert page.input_value("#move-root") == str(second.resolve())
        page.click("#move-start")
        page.locator("#move-progress[data-state='running']").wait_for()
        assert page.locator("#move-progress").is_visible()
        browser.screenshot(f"plex-editor-move-running-{width}")
        page.locator("#move-progress[data-state='done']").wait_for(timeout=20_000)
        assert (second / "Heat (1995)" / "Heat (1995).mkv").is_file() and not (first / "Heat (1995)").exists()
        assert {path for _key, path in plex.scans[-2:]} == {str(first.resolve() / "Heat (1995)"),
                                                            str(second.resolve() / "Heat (1995)")}
        browser.screenshot(f"plex-editor-move-done-{width}")
        browser.assert_clean()
