"""The Notifications page in Chromium, as a new user: add an ntfy target with its events, send a test that
reaches a local ntfy-compatible endpoint through Apprise, pause it; at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession
from tests.test_notifications import Receiver

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_add_a_target_and_send_a_test(browser: BrowserSession, width: int) -> None:
    receiver = Receiver()
    try:
        page = browser.start("/notifications", None, width)
        assert "Aucune cible pour l'instant" in page.inner_text("main")
        page.fill("#notif-name", "ntfy maison")
        page.fill("#notif-url", f"ntfy://127.0.0.1:{receiver.port}/mms")
        page.check("#new-grabbed")
        page.click("#notif-add button[type=submit]")
        page.wait_for_selector("[data-target]")
        card = page.locator("[data-target]")
        assert "ntfy maison" in card.inner_text()
        assert card.locator("input[value=grabbed]").is_checked()
        card.locator("[data-test]").click()
        page.wait_for_selector("[data-last=ok]")
        assert receiver.received[0][1]["message"] == "Notification de test de MediaManagerSuite"
        assert "Notification" not in page.inner_text("#notif-log") or "test" in page.inner_text("#notif-log")
        browser.screenshot(f"notifications-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        card.locator("input[name=enabled]").uncheck()
        card.locator("form[data-events] button[type=submit]").click()
        page.wait_for_selector("[data-target] .badge:has-text('en pause')")
        browser.assert_clean()
    finally:
        receiver.stop()
