"""Users and roles in Chromium: the admin adds a user and makes her a power user on the Users page; she logs
in in another browser context, sees only the pages her role opens, is refused the others with a clear page,
and sets her language on My account; at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_admin_adds_a_user_who_sees_her_pages_only(browser: BrowserSession, chromium, width: int) -> None:
    page = browser.start("/users", None, width)
    page.fill("#user-name", "marie")
    page.fill("#user-password", "un-mot-de-passe")
    page.click("#user-add button[type=submit]")
    row = page.wait_for_selector("tr[data-user=marie]")
    assert "utilisateur" in row.inner_text()
    page.select_option("tr[data-user=marie] [data-role]", "power")
    page.wait_for_selector("tr[data-user=marie] [data-role] option[value=power][selected]", state="attached")
    page.click("tr[data-user=marie] [data-quota] summary")
    page.fill("tr[data-user=marie] [data-quota-form] [name=movies]", "2")
    page.click("tr[data-user=marie] [data-quota-form] button")
    page.wait_for_selector("tr[data-user=marie] [data-quota] summary:has-text('propre')")
    assert browser.app.extensions["mms"].users.get("marie")["quota"] == {"movies": 2, "seasons": None, "days": None}
    page.click("tr[data-user=marie] [data-quota] summary")
    browser.screenshot(f"users-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context = chromium.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    try:
        marie = context.new_page()
        marie.goto(browser.url + "/login")
        marie.fill("#username", "marie")
        marie.fill("#password", "un-mot-de-passe")
        marie.click("button[type=submit]")
        marie.wait_for_url(browser.url + "/")
        links = marie.eval_on_selector_all("nav a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert "/search" in links and "/configuration" not in links and "/users" not in links
        answer = marie.goto(browser.url + "/configuration")
        assert answer.status == 403 and "Votre rôle (utilisateur avancé)" in marie.inner_text("#forbidden")
        marie.goto(browser.url + "/account")
        marie.select_option("#account-lang", "en")
        marie.click("#account-language button[type=submit]")
        marie.wait_for_selector("h1:has-text('My account')")
        marie.screenshot(path=str(browser.screenshot(f"account-{width}").with_name(f"account-marie-{width}.png")),
                         full_page=True)
        assert marie.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
    browser.assert_clean()
