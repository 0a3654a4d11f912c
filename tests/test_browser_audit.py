"""The audit log in Chromium, as a new user: change a setting, then read who did it; at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_a_settings_change_in_the_audit_log(browser: BrowserSession, width: int) -> None:
    page = browser.start("/audit", {}, width)
    page.evaluate("() => window.MMS.api('PUT', '/api/settings', {values: {ranking: 'language'}})")
    page.reload()
    rows = page.locator("#audit-events tbody tr[data-action]")
    assert rows.count() >= 1
    first = rows.first.inner_text()
    assert "réglages modifiés" in first and "ranking" in first and "fait" in first
    page.select_option("#au-action", "settings changed")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url("**/audit?**")
    assert all(r.get_attribute("data-action") == "settings changed" for r in rows.all())
    browser.screenshot(f"audit-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    browser.assert_clean()
