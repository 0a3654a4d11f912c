"""Cloud burst in Chromium, as a new user: read what a run needs, open the start dialog (estimate, sections),
start a delta run on "your own host" (a local sshd with a real rclone mount), paste the Plex claim token when
asked, confirm the home Plex is stopped, and read the result (steps, sections, before/after, log, logs
archive); at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession
from tests.test_cloud_burst_mount import s3  # noqa: F401 - the moto S3 fixture, used by burst
from tests.test_cloud_burst_run import burst  # noqa: F401 - the own host, its Plex and the home database

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_a_run_from_the_page(browser: BrowserSession, burst, width: int) -> None:  # noqa: F811
    settings = burst["app"].extensions["mms"].settings.load().model_dump(include={
        "plex_data_path", "cloud_burst_provider", "cloud_burst_host", "cloud_burst_ssh_port",
        "cloud_burst_ssh_user", "cloud_burst_ssh_key_path", "cloud_burst_remote_root", "cloud_burst_mount_path",
        "cloud_burst_path_mappings", "cloud_burst_docker", "cloud_burst_plex_port", "cloud_burst_s3_endpoint",
        "cloud_burst_s3_region", "cloud_burst_s3_bucket", "cloud_burst_s3_access_key", "cloud_burst_s3_secret_key",
        "cloud_burst_check_s"})
    page = browser.start("/cloud-burst", settings, width)
    assert page.locator("[data-ready=ok]").count() == 4
    assert "Aucune exécution pour l'instant." in page.inner_text("main")
    page.click("#burst-open")
    page.wait_for_selector("#burst-estimate:has-text('Estimation')")
    assert "0.00 €" in page.inner_text("#burst-estimate")  # your own host costs nothing
    page.check("#sec-1")
    browser.screenshot(f"cloud-burst-start-{width}")
    page.click("#burst-form button[type=submit]")
    page.wait_for_url("**/cloud-burst/runs/*")
    page.wait_for_selector("#claim-token", timeout=120_000)
    assert "plex.tv/claim" in page.inner_text("#burst-claim")
    page.fill("#claim-token", "claim-AbCdEfGhIjKlMnOp1234")
    page.click("#burst-claim button[type=submit]")
    page.wait_for_selector("#burst-stopped", timeout=120_000)
    browser.screenshot(f"cloud-burst-install-{width}")
    page.click("#burst-stopped")
    page.wait_for_selector("#burst-installed", timeout=120_000)
    page.wait_for_selector("#burst-run[data-state=done]")
    assert "Films" in page.inner_text("#burst-guard") and "acceptée" in page.inner_text("#burst-guard")
    assert page.locator("[data-section-state=done]").count() == 1
    log = page.inner_text("#burst-log")
    assert "Films scanné en" in log and "machine 127.0.0.1 libérée" in log
    assert page.get_attribute("#burst-archive", "href").endswith("/archive")
    response = page.request.get(browser.url + page.get_attribute("#burst-archive", "href"))
    assert response.status == 200 and response.body()[:2] == b"\x1f\x8b"  # a gzip archive
    browser.screenshot(f"cloud-burst-run-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.goto(browser.url + "/cloud-burst")
    assert page.locator("[data-run] [data-state=done]").count() == 1
    browser.screenshot(f"cloud-burst-runs-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    browser.assert_clean()
