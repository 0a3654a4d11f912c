"""Shared fixtures: an isolated app per test, a logged-in client that sends the CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.utils.settings_schema import Settings, env_name

ADMIN = ("admin", "correct horse battery")
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session", autouse=True)
def _stop_parser_workers():
    """The release parser's worker processes end with the test run."""
    yield
    from app.utils.media import health, releases

    releases.shutdown_workers()
    health.shutdown_workers()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting leaks in from the developer's environment or .env."""
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)
    for name in ("ADMIN_PASSWORD", "ADMIN_USERNAME", "SECRET_KEY", "MMS_INSTANCE_PATH", "MMS_BACKUP_PATH",
                 "SCHEDULER_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("app.load_dotenv", lambda *a, **k: False)

    def _no_youtube(self, query: str, count: int = 8):
        raise AssertionError(f"a test tried to search YouTube for {query!r}: use tests.test_trailers.FakeYouTube")

    # this machine has no internet: no test may reach YouTube (FakeYouTube answers instead)
    monkeypatch.setattr("app.utils.clients.youtube.YouTubeClient.search", _no_youtube)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator:
    """``make_app(**config)`` builds an app on this test's own instance and backup folders."""
    apps: list[Flask] = []

    def factory(**config) -> Flask:
        base = {"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "BACKUP_PATH": tmp_path / "backups",
                "SCHEDULER_ENABLED": False}
        app = create_app({**base, **config})
        apps.append(app)
        return app

    yield factory
    from app.live import service as live
    from app.media_requests import fulfil

    for app in apps:
        live.shutdown(app)
        app.extensions["mms"].jobs.shutdown()
        fulfil.shutdown(app)


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


def form_token(html: str) -> str:
    """The CSRF token of a server-rendered form."""
    match = FORM_CSRF_RE.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


class ApiClient:
    """A logged-in test client; ``call`` sends the CSRF header like the page's fetch wrapper."""

    def __init__(self, client: FlaskClient):
        self.client = client
        page = client.get("/account")
        assert page.status_code == 200, page.status_code
        self.token = CSRF_RE.search(page.text).group(1)

    def call(self, method: str, url: str, **kwargs):
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, **kwargs)


def create_admin(client: FlaskClient, username: str = ADMIN[0], password: str = ADMIN[1]):
    """Go through the first-start page."""
    token = form_token(client.get("/setup").text)
    return client.post("/setup", data={"csrf_token": token, "username": username, "password": password,
                                       "password_confirm": password})


@pytest.fixture
def api(app: Flask) -> ApiClient:
    """A client logged in as the admin created on the setup page."""
    client = app.test_client()
    response = create_admin(client)
    assert response.status_code == 302
    return ApiClient(client)


@pytest.fixture
def sshd(tmp_path: Path):
    """A real OpenSSH sshd on 127.0.0.1 (key login), serving this test's folder."""
    from tests.services.sshd import SshServer

    server = SshServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium, make_app):
    """A fresh browser context on a live MMS (its own instance folder)."""
    from tests.browser import BrowserSession
    from tests.live_server import LiveServer

    app = make_app(TESTING=False)
    server = LiveServer(app)
    # Playwright's wait_for_function evaluates strings, which MMS's CSP (script-src 'self') forbids: the
    # pages are checked under the real CSP by tests/test_browser_csp.py
    context = chromium.new_context(locale="fr-FR", bypass_csp=True)
    session = BrowserSession(context.new_page(), server.url)
    session.app = app
    session.watch()
    yield session
    context.close()
    server.stop()
