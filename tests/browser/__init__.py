"""Playwright driving Debian's Chromium (``/usr/bin/chromium``), headless, no sandbox."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

CHROMIUM = os.environ.get("MMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
SCREENSHOTS = Path(os.environ.get("MMS_SCREENSHOTS", "/tmp/mms-screenshots"))


@dataclass
class BrowserSession:
    """A page on a live MMS, with every console error and failed request recorded."""

    page: Page
    url: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[tuple[int, str]] = field(default_factory=list)
    app: Any = None

    def watch(self) -> None:
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: self.bad_responses.append((r.status, r.url)) if r.status >= 400 else None)

    def _failed(self, request) -> None:
        # net::ERR_ABORTED is the browser cancelling a request because the page navigated away (a reload
        # while the favicon loads): not a failure of the app.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.failed_requests.append(f"{request.url} {request.failure}")

    def login(self, username: str = "admin", password: str = "a-long-password") -> None:
        """Create the admin on first start (setup page) or log in."""
        self.page.goto(self.url + "/")
        target = "#password_confirm" if self.page.url.endswith("/setup") else None
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        if target:
            self.page.fill(target, password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.url + "/")

    def start(self, path: str, settings: dict[str, Any] | None = None, width: int = 1400) -> Page:
        """Save ``settings``, log in, size the window to ``width`` px and open ``path``; the page."""
        if settings:
            self.app.extensions["mms"].settings.save(settings)
        self.login()
        self.page.set_viewport_size({"width": width, "height": 900})
        self.page.goto(self.url + path)
        return self.page

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self, allowed_statuses: set[int] = frozenset()) -> None:
        """No console error, no failed request, no HTTP error but the allowed ones."""
        unexpected = [(s, u) for s, u in self.bad_responses if s not in allowed_statuses]
        console = [m for m in self.console_errors
                   if not any(str(s) in m for s in allowed_statuses) or "Failed to load resource" not in m]
        assert console == [], console
        assert self.failed_requests == [], self.failed_requests
        assert unexpected == [], unexpected
