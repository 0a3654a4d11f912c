"""Configuration page, in Chromium: "Test connection" against each emulator, success and every failure reason."""

from __future__ import annotations

import socket

import pytest

from app.utils.clients.arr import READ_ATTEMPTS
from tests.browser import BrowserSession
from tests.emulators.arr import ProwlarrEmulator, RadarrEmulator, SonarrEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.emulators.plex import PlexEmulator
from tests.emulators.tmdb import TmdbEmulator
from tests.emulators.tvdb import TvdbEmulator

pytestmark = pytest.mark.browser


@pytest.fixture
def emulators():
    started = {
        "plex": (PlexEmulator().start(), "plex_url", "plex_token", "token", "url"),
        "sonarr": (SonarrEmulator().start(), "sonarr_url", "sonarr_api_key", "api_key", "url"),
        "radarr": (RadarrEmulator().start(), "radarr_url", "radarr_api_key", "api_key", "url"),
        "prowlarr": (ProwlarrEmulator().start(), "prowlarr_url", "prowlarr_api_key", "api_key", "url"),
        "tmdb": (TmdbEmulator().start(), "tmdb_url", "tmdb_api_key", "api_key", "api_url"),
        "tvdb": (TvdbEmulator().start(), "tvdb_url", "tvdb_api_key", "api_key", "api_url"),
        "ollama": (OllamaEmulator().start(), "ollama_url", None, None, "url"),
    }
    yield started
    for emulator, *_ in started.values():
        emulator.stop()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_test(browser: BrowserSession, service: str) -> tuple[str, str]:
    page = browser.page
    result = page.locator(f"[data-test-result='{service}']")
    result.evaluate("el => { delete el.dataset.code; el.textContent = ''; }")
    page.click(f"[data-test-service='{service}']")
    page.wait_for_function(f"document.querySelector(\"[data-test-result='{service}']\").dataset.code !== undefined")
    return result.get_attribute("data-code"), result.inner_text()


def test_test_connection_reports_each_reason(browser: BrowserSession, emulators) -> None:
    browser.login()
    page = browser.page
    page.goto(browser.url + "/configuration")
    page.fill("#s-service_timeout_s", "1")
    for emulator, url_field, key_field, key_attr, url_attr in emulators.values():
        page.fill(f"#s-{url_field}", getattr(emulator, url_attr))
        if key_field:
            page.fill(f"#s-{key_field}", getattr(emulator, key_attr))
    page.click("#settings-save")
    page.locator(".toast[data-kind='success']").wait_for()

    closed = f"http://127.0.0.1:{_closed_port()}"
    for service, (emulator, url_field, key_field, key_attr, url_attr) in emulators.items():
        code, text = _run_test(browser, service)
        assert code == "ok", (service, text)
        if key_field:
            page.fill(f"#s-{key_field}", "wrong-key")
            code, text = _run_test(browser, service)
            assert code == "auth" and key_field.upper() in text, (service, text)
            page.fill(f"#s-{key_field}", "")  # back to the saved key
        emulator.fail_next("timeout")
        code, text = _run_test(browser, service)
        assert code == "timeout" and "1 s" in text, (service, text)
        emulator.fail_next(500, times=READ_ATTEMPTS)
        code, text = _run_test(browser, service)
        assert code == "server_error" and "500" in text, (service, text)
        page.fill(f"#s-{url_field}", closed + ("/3" if service == "tmdb" else "/v4" if service == "tvdb" else ""))
        if key_field:  # another host (port): the saved key is not sent there unless typed again
            code, text = _run_test(browser, service)
            assert code == "invalid_setting" and key_field.upper() in text, (service, text)
            page.fill(f"#s-{key_field}", getattr(emulator, key_attr))
        code, text = _run_test(browser, service)
        assert code == "refused" and "refused" in text, (service, text)
        page.fill(f"#s-{url_field}", getattr(emulator, url_attr))
        if key_field:
            page.fill(f"#s-{key_field}", "")
    browser.screenshot("configuration-tests")
    browser.assert_clean(allowed_statuses={422})  # the new-host refusals above
