"""The Configuration page's "Test connection": success or the exact reason, through the real route."""

from __future__ import annotations

import socket
import time

import pytest

from app.utils.clients.arr import READ_ATTEMPTS
from tests.emulators.arr import ProwlarrEmulator, RadarrEmulator, SonarrEmulator


@pytest.fixture
def sonarr():
    with SonarrEmulator() as emulator:
        yield emulator


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _configure(api, **values) -> None:
    response = api.call("PUT", "/api/settings", json={"values": values})
    assert response.status_code == 200, response.json


def _test(api, service: str, values: dict | None = None) -> dict:
    response = api.call("POST", f"/api/settings/test/{service}", json={"values": values} if values else None)
    assert response.status_code == 200, response.json
    return response.json


def test_success_reports_version(api, sonarr) -> None:
    _configure(api, sonarr_url=sonarr.url, sonarr_api_key=sonarr.api_key)
    report = _test(api, "sonarr")
    assert report["ok"] is True and "Sonarr 4.0.9" in report["message"]
    assert sonarr.requests[-1].headers["x-api-key"] == sonarr.api_key


@pytest.mark.parametrize("emulator_cls", [SonarrEmulator, RadarrEmulator, ProwlarrEmulator])
def test_bad_key_names_the_setting(api, emulator_cls) -> None:
    with emulator_cls() as emulator:
        service = emulator.app_name.lower()
        _configure(api, **{f"{service}_url": emulator.url, f"{service}_api_key": "wrong"})
        report = _test(api, service)
    assert report["ok"] is False and report["code"] == "auth"
    assert f"{service.upper()}_API_KEY" in report["message"]


def test_refused(api) -> None:
    port = _free_port()
    _configure(api, radarr_url=f"http://127.0.0.1:{port}", radarr_api_key="k")
    report = _test(api, "radarr")
    assert (report["ok"], report["code"]) == (False, "refused")
    assert "connection refused" in report["message"]


def test_timeout_within_the_configured_time(api, sonarr) -> None:
    _configure(api, sonarr_url=sonarr.url, sonarr_api_key=sonarr.api_key, service_timeout_s=1)
    sonarr.fail_next("timeout")
    start = time.monotonic()
    report = _test(api, "sonarr")
    assert (report["ok"], report["code"]) == (False, "timeout")
    assert time.monotonic() - start < 5
    assert "1 s" in report["message"]


def test_server_error_and_malformed_answer(api, sonarr) -> None:
    _configure(api, sonarr_url=sonarr.url, sonarr_api_key=sonarr.api_key)
    sonarr.fail_next(500, times=READ_ATTEMPTS)
    report = _test(api, "sonarr")
    assert report["code"] == "server_error" and "HTTP 500" in report["message"]
    sonarr.fail_next("malformed")
    report = _test(api, "sonarr")
    assert report["code"] == "bad_response" and "not JSON" in report["message"]


def test_unsaved_form_values_are_tested_without_saving(api, sonarr) -> None:
    report = _test(api, "sonarr", {"sonarr_url": sonarr.url, "sonarr_api_key": sonarr.api_key})
    assert report["ok"] is True
    assert api.client.application.extensions["mms"].settings.load().sonarr_url != sonarr.url


def test_not_configured_and_unknown_service(api) -> None:
    report = _test(api, "tmdb")
    assert report["code"] == "not_configured" and "TMDB_API_KEY" in report["message"]
    response = api.call("POST", "/api/settings/test/nothing")
    assert response.status_code == 404 and response.json["error"]["code"] == "unknown_service"
    bad = api.call("POST", "/api/settings/test/sonarr", json={"values": {"sftp_port": 0}})
    assert bad.status_code == 422 and "sftp_port" in bad.json["error"]["fields"]
