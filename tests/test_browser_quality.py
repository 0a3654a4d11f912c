"""The quality page in Chromium, as a new user: measure the library, read the table, use a ready-made filter;
at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession
from tests.media import make_tagged_video

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_measure_then_filter(browser: BrowserSession, tmp_path, width: int) -> None:
    root = tmp_path / "Films"
    make_tagged_video(root / "Heat (1995)" / "Heat.1995.MULTi.1080p.mkv", audio=[("fre", "VFF"), ("eng", "")],
                      size="1920x800")
    make_tagged_video(root / "Oppenheimer (2023)" / "Oppenheimer.2023.VOSTFR.720p.mkv", audio=[("eng", "")],
                      subtitles=["fre"], size="1280x720")
    (root / "Broken (2000)").mkdir(parents=True)
    (root / "Broken (2000)" / "Broken.mkv").write_bytes(b"not a video" * 100)
    page = browser.start("/quality", {"movies_path": str(root)}, width)
    assert "Rien n'a encore été mesuré." in page.inner_text("main")
    page.click("#quality-scan")
    page.wait_for_selector("#quality-files tbody tr[data-path]")
    rows = page.locator("#quality-files tbody tr[data-path]")
    assert rows.count() == 2
    assert "1 fichier ne peut pas être lu par ffprobe." in page.inner_text("#quality-failed")
    browser.screenshot(f"quality-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click("#quality-presets a:has-text('VOSTFR uniquement')")
    page.wait_for_url("**/quality?audio=VOSTFR")
    assert rows.count() == 1 and "Oppenheimer" in rows.first.inner_text()
    assert rows.first.locator("[data-audio-class]").inner_text() == "VOSTFR"
    browser.screenshot(f"quality-vostfr-{width}")
    browser.assert_clean()
