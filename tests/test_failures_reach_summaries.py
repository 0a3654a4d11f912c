"""Failures reach every summary (issue 11, item 3): a light check of each configured service drives the
dashboard badges, the health page and the health status; failed pipeline entries show their attempts and
next try; "Test all connections" on the health page, in Chromium at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from app.utils.stores.mapping_manager import Mapping
from tests.emulators.arr import SonarrEmulator
from tests.services.common import free_port


@pytest.fixture
def sonarr():
    with SonarrEmulator() as emulator:
        yield emulator


def _configure(mms, sonarr) -> None:
    mms.settings.save({"sonarr_url": sonarr.url, "sonarr_api_key": sonarr.api_key,
                       "radarr_url": f"http://127.0.0.1:{free_port()}", "radarr_api_key": "k",
                       "service_timeout_s": 2})


def test_reachability_is_measured_not_assumed(api, sonarr) -> None:
    mms = api.client.application.extensions["mms"]
    _configure(mms, sonarr)
    before = {s["service"]: s for s in api.call("GET", "/api/health").json["services"]}
    assert before["sonarr"]["configured"] and before["sonarr"]["reachable"] is None  # not checked yet
    checked = {s["service"]: s for s in api.call("POST", "/api/services/check").json["services"]}
    assert checked["sonarr"]["reachable"] is True and checked["radarr"]["reachable"] is False
    assert "refused" in checked["radarr"]["message"] and checked["plex"]["reachable"] is None  # not configured
    health = api.call("GET", "/api/health").json
    assert health["status"] == "degraded"
    assert any(p["title"] == "Service unreachable" and p["subject"] == "Radarr" and "refused" in p["detail"]
               for p in health["problems"])
    page = api.client.get("/").text
    assert 'data-service="radarr" data-reachable="False"' in page and "text-bg-danger" in page
    assert mms.jobs.execute("service_check", "manual") == "partial"
    assert "radarr" in mms.job_runs.runs("service_check")[0]["result"].split("unreachable: ")[1]
    sonarr.fail_next(500, times=10)  # a service that stops answering shows at the next check
    again = {s["service"]: s for s in api.call("POST", "/api/services/check").json["services"]}
    assert again["sonarr"]["reachable"] is False


def test_failed_entries_show_attempts_and_next_try(api) -> None:
    mms = api.client.application.extensions["mms"]
    mms.mapping.add("AA" * 20, "Film.2020", Mapping("movie", "Film", 2020, tmdb_id=1))
    mms.mapping.transition("AA" * 20, "transfer_failed", "connection cut", seedbox_path="/downloads/Film.2020")
    mms.mapping.add("BB" * 20, "Show.S01", Mapping("tv", "Show", tvdb_id=1, season=1))
    for state in ("completed", "transferring", "transferred", "import_failed"):
        mms.mapping.transition("BB" * 20, state, "test")
    entries = {e["info_hash"]: e for e in api.call("GET", "/api/pending").json["entries"]}
    transfer, imported = entries["AA" * 20], entries["BB" * 20]
    assert transfer["attempts"] == 1 and transfer["next_try_at"] > transfer["updated_at"]
    assert imported["next_try_at"] is None  # an import waits for the user's retry
    problems = api.call("GET", "/api/health").json["problems"]
    failed = next(p for p in problems if p["title"] == "Failed pipeline entries")
    assert "Film.2020 (échec du transfert, 1x)" in failed["detail"] and "Show.S01" in failed["detail"]


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 390])
def test_test_all_connections_from_the_health_page(browser, sonarr, width) -> None:
    _configure(browser.app.extensions["mms"], sonarr)
    browser.login()
    page = browser.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(browser.url + "/health")
    assert page.locator("#services-table tr[data-service='sonarr']").get_attribute("data-reachable") == "None"
    page.click("#check-services")
    page.wait_for_selector("#services-table tr[data-service='radarr'][data-reachable='False']")
    assert page.locator("#services-table tr[data-service='sonarr']").get_attribute("data-reachable") == "True"
    assert "injoignable" in page.locator("#services-table tr[data-service='radarr']").inner_text()
    browser.screenshot(f"health-services-{width}")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-responsive'))
        .map((el) => el.tagName + '#' + el.id + '.' + el.className).slice(0, 5)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
    page.goto(browser.url + "/")
    assert page.locator(".badge[data-service='radarr']").get_attribute("class").count("text-bg-danger") == 1
    browser.screenshot(f"dashboard-services-{width}")
    browser.assert_clean()
