"""Every page works under MMS's real Content Security Policy (no bypass): no violation, no script error."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


def test_every_page_satisfies_the_csp(chromium, make_app) -> None:
    app = make_app(TESTING=False)
    server = LiveServer(app)
    context = chromium.new_context(locale="fr-FR")
    try:
        session = BrowserSession(context.new_page(), server.url)
        session.watch()
        session.login()
        pages = sorted({r.rule for r in app.url_map.iter_rules()
                        if "GET" in r.methods and not r.arguments and not r.rule.startswith(("/api", "/static",
                                                                                              "/bootstrap"))
                        and r.rule not in ("/healthz", "/plex/image", "/login", "/setup")})
        assert len(pages) >= 8, pages
        for path in pages:
            session.page.goto(server.url + path)
            session.page.wait_for_load_state("networkidle")
            header = session.page.evaluate("() => document.readyState")
            assert header == "complete"
        violations = [m for m in session.console_errors if "Content Security Policy" in m or "Refused to" in m]
        assert violations == [], violations
        assert [m for m in session.console_errors if "Failed to load resource" not in m] == []
    finally:
        context.close()
        server.stop()
