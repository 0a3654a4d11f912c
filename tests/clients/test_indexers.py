"""Torznab and Prowlarr clients: real sample feeds, the emulators, every failure typed."""

from __future__ import annotations

import time

import pytest

from app.utils.clients.arr import READ_ATTEMPTS
from app.utils.clients.errors import UpstreamAuthError, UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from app.utils.clients.prowlarr import ProwlarrClient
from app.utils.clients.torznab import TorznabClient
from tests.emulators.arr import ProwlarrEmulator
from tests.emulators.base import Reply
from tests.emulators.openapi import SPECS, OpenApiSpec
from tests.emulators.torznab import TorznabEmulator

TIMEOUT = (2.0, 1.0)


@pytest.fixture
def indexer():
    with TorznabEmulator() as emulator:
        yield emulator


@pytest.fixture
def prowlarr():
    emulator = ProwlarrEmulator().start()
    yield emulator
    emulator.stop()
    OpenApiSpec("prowlarr/openapi-v1.json").check_exchanges(emulator.exchanges)


def _client(emulator, key=None) -> TorznabClient:
    return TorznabClient(emulator.url, key or emulator.feed.api_key, indexer="Ygg", auth_setting="TORZNAB_API_KEY",
                         timeout=TIMEOUT)


@pytest.mark.parametrize("sample", sorted(p.name for p in (SPECS / "torznab").glob("prowlarr-test-torznab_*.xml")
                                          if "caps" not in p.name))
def test_real_sample_feeds_parse(indexer, sample) -> None:
    raw = (SPECS / "torznab" / sample).read_bytes()
    indexer.override("GET", r"/api", lambda r: Reply(200, raw, {"Content-Type": "application/rss+xml"}))
    releases = _client(indexer).search("x")
    assert releases, sample
    for release in releases:
        assert release.title and release.indexer == "Ygg" and release.size > 0
        assert release.download_url or release.magnet_url
        assert release.info_hash is None or (len(release.info_hash) == 40 and release.info_hash.isupper())


def test_hdaccess_sample_fields(indexer) -> None:
    raw = (SPECS / "torznab" / "prowlarr-test-torznab_hdaccess_net.xml").read_bytes()
    indexer.override("GET", r"/api", lambda r: Reply(200, raw, {"Content-Type": "application/rss+xml"}))
    first = _client(indexer).search("saul")[0]
    assert first.title == "Better Call Saul S01E05 Alpine Shepherd 1080p NF WEBRip DD5.1 x264"
    assert (first.size, first.seeders, first.leechers) == (2538463390, 7, 0)
    assert first.info_hash == "63E07FF523710CA268567DAD344CE1E0E6B7E8A3"
    assert first.publish_date.isoformat() == "2015-03-14T17:10:42-04:00"
    assert first.imdb_id == "tt3032476" and first.tvdb_id == 273181 and 5040 in first.categories
    assert first.download_url.startswith("https://hdaccess.net/download.php")


def test_emulated_indexer_search_caps_and_parameters(indexer) -> None:
    feed = indexer.feed
    feed.add_release("Les.Revenants.S02E03.FRENCH.1080p.WEB.x264-GRP", size=1_200_000_000, seeders=55, leechers=5,
                     tvdbid=259570)
    feed.add_release("Les.Revenants.S02.MULTi.1080p.BluRay.x265-GRP", size=9_000_000_000, seeders=12, leechers=1)
    feed.add_release("Les.Revenants.S01E01.VOSTFR.720p.HDTV.x264-GRP", magnet_only=True)
    feed.add_release("Amelie.2001.MULTi.1080p.BluRay.x264-GRP", categories=(2000, 2040), imdb="tt0211915")
    client = _client(indexer)
    caps = client.caps()
    assert "tv-search" in caps.searching and "season" in caps.searching["tv-search"] and caps.categories[5000] == "TV"
    assert client.search("nothing at all") == []
    season2 = client.search("Les Revenants", kind="tvsearch", categories=(5000,), season=2)
    assert [r.title[:18] for r in season2] == ["Les.Revenants.S02E", "Les.Revenants.S02."]
    assert [r.title for r in client.search("revenants", kind="tvsearch", season=2, episode=3)] == [
        "Les.Revenants.S02E03.FRENCH.1080p.WEB.x264-GRP"]
    first = season2[0]
    assert (first.seeders, first.leechers, first.size, first.tvdb_id) == (55, 5, 1_200_000_000, 259570)
    assert first.download_url.endswith("passkey=secret") and first.magnet_url.startswith("magnet:?xt=urn:btih:")
    magnet_only = client.search("VOSTFR")[0]
    assert magnet_only.download_url is None and magnet_only.info_hash in magnet_only.magnet_url.upper()
    movies = client.search(kind="movie", imdb_id="tt0211915", categories=(2000,))
    assert [m.title for m in movies] == ["Amelie.2001.MULTi.1080p.BluRay.x264-GRP"]
    sent = indexer.requests[-1]
    assert sent.arg("t") == "movie" and sent.arg("imdbid") == "0211915" and sent.arg("cat") == "2000"


def test_torznab_failures(indexer) -> None:
    with pytest.raises(UpstreamAuthError, match="TORZNAB_API_KEY"):
        _client(indexer, key="wrong").search("x")
    indexer.fail_next(401)
    with pytest.raises(UpstreamAuthError):
        _client(indexer).search("x")
    indexer.fail_next("timeout")
    start = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        _client(indexer).search("x")
    assert time.monotonic() - start < TIMEOUT[1] + 1.5
    indexer.fail_next(500, times=READ_ATTEMPTS)
    with pytest.raises(UpstreamUnavailable):
        _client(indexer).search("x")
    indexer.fail_next("malformed")
    with pytest.raises(UpstreamBadResponse, match="unreadable XML"):
        _client(indexer).search("x")
    indexer.override("GET", r"/api", lambda r: Reply(200, '{"json": true}', {"Content-Type": "application/json"}))
    with pytest.raises(UpstreamBadResponse):
        _client(indexer).search("x")


def test_xml_bombs_are_refused(indexer) -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            '<rss><channel><item><title>&lol2;</title></item></channel></rss>')
    indexer.override("GET", r"/api", lambda r: Reply(200, bomb, {"Content-Type": "application/rss+xml"}))
    with pytest.raises(UpstreamBadResponse):
        _client(indexer).search("x")


def test_prowlarr_indexers_and_per_indexer_feeds(prowlarr) -> None:
    ygg = prowlarr.add_indexer("YggTorrent")
    prowlarr.add_indexer("Sharewood")
    prowlarr.add_indexer("NZBgeek", protocol="usenet")
    prowlarr.add_indexer("Disabled", enable=False)
    ygg.add_release("Dune.2021.MULTi.VFF.2160p.UHD.BluRay.x265-GRP", categories=(2000, 2045), seeders=80)
    client = ProwlarrClient(prowlarr.url, prowlarr.api_key, timeout=TIMEOUT)
    indexers = client.indexers()
    assert [i.name for i in indexers] == ["YggTorrent", "Sharewood"]
    assert len(client.indexers(torrent_only=False, enabled_only=False)) == 4
    ygg_client = client.torznab(indexers[0])
    [dune] = ygg_client.search("dune", kind="movie", categories=(2000,))
    assert dune.indexer == "YggTorrent" and dune.seeders == 80
    assert client.torznab(indexers[1]).search("dune") == []
    prowlarr.fail_indexer("Sharewood", "error", times=READ_ATTEMPTS)
    with pytest.raises(UpstreamUnavailable, match="Indexer Sharewood: Indexer is down"):
        client.torznab(indexers[1]).search("dune")
    assert ygg_client.search("dune")  # the other indexer is unaffected
    with pytest.raises(UpstreamAuthError, match="PROWLARR_API_KEY"):
        ProwlarrClient(prowlarr.url, "wrong", timeout=TIMEOUT).indexers()
    with pytest.raises(UpstreamAuthError, match="PROWLARR_API_KEY"):
        ProwlarrClient(prowlarr.url, "wrong", timeout=TIMEOUT).torznab(indexers[0]).search("dune")


def test_prowlarr_failures(prowlarr) -> None:
    client = ProwlarrClient(prowlarr.url, prowlarr.api_key, timeout=TIMEOUT)
    assert client.indexers() == []
    prowlarr.fail_next("timeout")
    with pytest.raises(UpstreamTimeout):
        client.indexers()
    prowlarr.fail_next(500, times=READ_ATTEMPTS)
    with pytest.raises(UpstreamUnavailable):
        client.indexers()
    prowlarr.fail_next("malformed")
    with pytest.raises(UpstreamBadResponse):
        client.indexers()
