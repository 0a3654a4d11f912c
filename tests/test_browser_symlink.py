"""Media health page in Chromium: pick a folder, run a scan, read the counts and the results."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.browser import BrowserSession

pytestmark = pytest.mark.browser


def test_scan_from_the_page_and_read_the_counts(browser: BrowserSession) -> None:
    base = Path(tempfile.mkdtemp(prefix="mms-page-"))
    try:
        media, mount = base / "media", base / "mount"
        (media / "Movies" / "Gone (2019)").mkdir(parents=True)
        (media / "TV Shows" / "Show (2020)").mkdir(parents=True)
        mount.mkdir()
        (mount / "ok.mkv").write_bytes(os.urandom(4096))
        (media / "Movies" / "Gone (2019)" / "Gone.mkv").symlink_to(mount / "missing.mkv")
        (media / "Movies" / "Gone (2019)" / "Gone2.mkv").symlink_to(mount / "missing2.mkv")
        (media / "TV Shows" / "Show (2020)" / "S01E01.mkv").symlink_to(mount / "missing3.mkv")
        browser.app.extensions["mms"].settings.save({"media_root": str(media), "health_min_size_kib": 1})
        browser.login()
        page = browser.page
        page.goto(browser.url + "/symlink")
        page.click("#scanner-tab")
        page.locator("#folder-tree input[data-folder='Movies']").check()
        page.click("#scan-start")
        page.wait_for_selector("#scan-progress[data-state='completed']", timeout=30_000)
        badge = page.locator("#scan-counts [data-category='broken_link']")
        assert badge.get_attribute("data-count") == "2"  # only the chosen folder
        assert page.locator("#scan-results tbody tr[data-category='broken_link']").count() == 2
        browser.screenshot("symlink-scan")
        browser.assert_clean()
    finally:
        shutil.rmtree(base)


@pytest.mark.parametrize("width", [1400, 390])
def test_real_mode_deletes_only_the_ticked_files(browser: BrowserSession, width: int) -> None:
    from tests.media import make_video

    base = Path(tempfile.mkdtemp(prefix="mms-page-"))
    try:
        film = base / "media" / "Movies" / "Film (2020)"
        film.mkdir(parents=True)
        long = make_video(base / "long.mkv", 3.0, "320x240")
        (film / "Cut.mkv").write_bytes(long.read_bytes()[: long.stat().st_size // 2])  # truncated download
        (film / "Gone.mkv").symlink_to(base / "missing.mkv")
        (film / "Gone2.mkv").symlink_to(base / "missing2.mkv")
        (film / "Film.nfo").write_text("<movie/>")
        browser.app.extensions["mms"].settings.save({"media_root": str(base / "media"), "health_min_size_kib": 1})
        browser.login()
        page = browser.page
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(browser.url + "/symlink")
        page.click("#scanner-tab")
        assert page.is_checked("#scan-files")  # regular files are checked by default
        page.select_option("#scan-mode", "real")
        page.click("#scan-start")
        page.wait_for_selector("#scan-progress[data-state='completed']", timeout=60_000)
        rows = page.locator("#scan-results tbody tr")
        assert rows.count() == 3
        cut = page.locator("#scan-results tbody tr[data-category='corrupt_media']")
        assert "média corrompu" in cut.inner_text() and cut.locator("details").count() == 1  # raw output folded
        page.locator(f"#scan-results input[data-path='{film / 'Gone2.mkv'}']").uncheck()
        page.click("#delete-open")
        page.locator("#delete-modal.show").wait_for()
        assert page.locator("#delete-list li").count() == 2
        browser.screenshot(f"symlink-delete-ticked-{width}")
        page.click("#delete-confirm")
        page.wait_for_function("document.querySelectorAll('#scan-results tbody tr').length === 1")
        assert sorted(p.name for p in film.iterdir()) == ["Film.nfo", "Gone2.mkv"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        browser.screenshot(f"symlink-after-delete-{width}")
        browser.assert_clean()
    finally:
        shutil.rmtree(base)
