"""Search page in Chromium: search, select five releases, map them once, send; read the per-item report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import BrowserSession
from tests.emulators.base import Reply
from tests.emulators.tmdb import TmdbEmulator
from tests.emulators.torznab import TorznabEmulator
from tests.services.qbittorrent import QBittorrentServer
from tests.torrents import make_torrent, write_file

pytestmark = pytest.mark.browser


@pytest.fixture
def world(tmp_path: Path):
    qbt = QBittorrentServer(tmp_path / "qbt")
    indexer = TorznabEmulator("Ygg").start()
    indexer.feed.base_url = indexer.url
    tmdb = TmdbEmulator().start()
    tmdb.add_movie(438631, "Dune", 2021, translations={"fr-FR": {"title": "Dune", "overview": "Paul Atréides"}})
    tags = ["MULTi.VFF.2160p.BluRay.REMUX.HDR.HEVC", "MULTi.1080p.BluRay.x265", "TRUEFRENCH.1080p.WEB-DL.x264",
            "VOSTFR.1080p.WEBRip.x264", "VOSTFR.720p.HDTV.x264"]
    names = [f"Dune.2021.{t}-GRP{i}" for i, t in enumerate(tags)]
    for i, name in enumerate(names):
        data, info_hash = make_torrent(write_file(qbt.downloads / f"{name}.mkv", 20_000 + i))
        indexer.feed.add_release(name, categories=(2000,), seeders=60 - i * 10, info_hash=info_hash.lower())
        if i != 2:  # the third release's download link is dead
            indexer.route("GET", rf"/dl/{i}\.torrent",
                          lambda r, d=data: Reply(200, d, {"Content-Type": "application/x-bittorrent"}))
    yield qbt, indexer, tmdb, names
    indexer.stop()
    tmdb.stop()
    qbt.stop()


def test_batch_of_five_where_the_third_fails(browser: BrowserSession, world) -> None:
    qbt, indexer, tmdb, names = world
    browser.login()
    page = browser.page
    settings = {"torrent_client": "qbittorrent", "qbittorrent_url": qbt.url, "qbittorrent_username": qbt.username,
                "qbittorrent_password": qbt.password, "batch_pause_s": 0.2, "tmdb_url": tmdb.api_url,
                "tmdb_api_key": tmdb.api_key, "tmdb_image_url": tmdb.image_url,
                "torznab_indexers": [{"name": "Ygg", "url": indexer.url, "api_key": indexer.feed.api_key}]}
    page.goto(browser.url + "/search")
    page.evaluate("values => window.MMS.api('PUT', '/api/settings', {values})", settings)
    page.fill("#q", "dune")
    page.click("#search-button")
    page.locator("#results tbody tr").nth(4).wait_for()
    assert page.locator("#indexer-status [data-indexer='Ygg'][data-ok='true']").count() == 1
    assert [page.locator("#results tbody tr").nth(i).locator("td").nth(1).inner_text() for i in range(5)] == names
    page.check("#select-all")
    assert page.inner_text("#selected-count") == "5"
    page.click("#send-selected")
    page.locator("#mapping-modal.show").wait_for()
    assert page.input_value("#mapping-query") == "Dune"
    page.click("#mapping-search button[type=submit]")
    tmdb_row = page.locator("#mapping-candidates [data-source='tmdb']").first
    # the poster is shown, fetched by MMS from the image server (the page's CSP allows MMS only)
    tmdb_row.locator("img.mms-poster").wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('#mapping-candidates img.mms-poster')]"
                           ".every((img) => img.complete && img.naturalWidth === 20)")
    assert tmdb_row.locator("img.mms-poster").get_attribute("src").startswith("/img/remote?")
    browser.screenshot("mapping-posters")
    tmdb_row.click()
    page.click("#mapping-send")
    page.locator("#send-report-list li").nth(4).wait_for()
    lines = page.locator("#send-report-list li")
    oks = [lines.nth(i).get_attribute("data-ok") for i in range(5)]
    assert oks == ["true", "true", "false", "true", "true"]
    failed = lines.nth(2).inner_text()
    assert names[2] in failed and "404" in failed
    browser.screenshot("search-batch-report")
    browser.assert_clean()
