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
