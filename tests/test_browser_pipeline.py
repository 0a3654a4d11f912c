"""Seedbox page in Chromium: a transfer's progress bar moves while the sftp_scanner job pulls over SFTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.utils.stores.mapping_manager import Mapping
from tests.browser import BrowserSession
from tests.services.sshd import SshServer
from tests.torrents import write_file

pytestmark = pytest.mark.browser


def test_progress_bar_moves_during_a_transfer(browser: BrowserSession, tmp_path: Path) -> None:
    sshd = SshServer(tmp_path)
    try:
        size = 24 * 1024 * 1024
        source = write_file(tmp_path / "seedbox" / "Film.2021.MULTi.1080p.mkv", size)
        mms = browser.app.extensions["mms"]
        mms.settings.save({"sftp_host": sshd.host, "sftp_port": sshd.port, "sftp_username": sshd.username,
                           "sftp_key_path": str(sshd.key_path), "staging_path": str(tmp_path / "staging"),
                           "transfer_rate_limit_kib": 3072})
        info_hash = "EF" * 20
        mms.mapping.add(info_hash, source.stem, Mapping("movie", "Film", 2021, tmdb_id=7))
        mms.mapping.transition(info_hash, "completed", "finished", seedbox_path=str(source), bytes_total=size)
        browser.login()
        page = browser.page
        page.goto(browser.url + "/seedbox")
        row = page.locator(f"#pipeline tr[data-hash='{info_hash}']")
        row.wait_for()
        page.evaluate("() => window.MMS.api('POST', '/api/jobs/sftp_scanner/run')")
        bar = row.locator("[role=progressbar]")
        page.wait_for_function(
            f"Number(document.querySelector(\"#pipeline tr[data-hash='{info_hash}'] [role=progressbar]\")"
            ".getAttribute('aria-valuenow')) > 10", timeout=30_000)
        first = int(bar.get_attribute("aria-valuenow"))
        page.wait_for_function(
            f"Number(document.querySelector(\"#pipeline tr[data-hash='{info_hash}'] [role=progressbar]\")"
            f".getAttribute('aria-valuenow')) > {first}", timeout=30_000)
        assert row.get_attribute("data-state") == "transferring"
        browser.screenshot("pipeline-progress")
        page.wait_for_selector(f"#pipeline tr[data-hash='{info_hash}'][data-state='transferred']", timeout=60_000)
        assert (tmp_path / "staging" / info_hash / source.name).stat().st_size == size
        browser.assert_clean(allowed_statuses={502})  # the unconfigured torrent client on the same page
    finally:
        sshd.stop()
