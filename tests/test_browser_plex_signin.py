"""Sign in with Plex in Chromium: a friend who shares the server clicks "Se connecter avec Plex" on the login
page, accepts in the Plex window (the plex.tv emulator's page), and lands in MMS with the role of new Plex
users; at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession
from tests.emulators.plex import MACHINE_ID, PlexEmulator
from tests.emulators.plextv import PlexTvEmulator

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_sign_in_with_plex(browser: BrowserSession, chromium, width: int) -> None:
    with PlexEmulator() as plex, PlexTvEmulator() as plextv:
        browser.start("/users", {"plex_url": plex.url, "plex_token": plex.token, "plex_tv_url": plextv.url,
                                 "plex_auth_url": f"{plextv.url}/auth"}, width)  # the admin exists
        plextv.signed_in = plextv.add_account(42, "julie", [MACHINE_ID])
        context = chromium.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.goto(browser.url + "/login")
            assert "Pour les comptes qui partagent ce serveur Plex." in page.inner_text("#plex-state")
            page.screenshot(path=str(browser.screenshot(f"login-plex-{width}")), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            with page.expect_popup() as opened:
                page.click("#plex-signin")
            popup = opened.value
            popup.wait_for_url(f"{plextv.url}/auth**")
            page.wait_for_selector("#plex-state:has-text('Acceptez sur la page Plex')")
            popup.click("#authorize")
            page.wait_for_url(browser.url + "/")
            links = page.eval_on_selector_all("nav a[href]", "els => els.map(e => e.getAttribute('href'))")
            assert "/account" in links and "/search" not in links  # a new Plex user is a "user"
            page.goto(browser.url + "/account")
            assert "julie · utilisateur" in page.inner_text("main")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        finally:
            context.close()
