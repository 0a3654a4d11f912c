"""qBittorrent and rTorrent clients against the real qbittorrent-nox and rtorrent."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.utils.clients.errors import UpstreamAuthError, UpstreamBadResponse, UpstreamNotFound, UpstreamUnavailable
from app.utils.clients.qbittorrent import QBittorrentClient
from app.utils.clients.rtorrent import RTorrentClient
from app.utils.clients.torrent import TorrentSource, TorrentSourceError, fetch_source
from tests.emulators.base import Emulator, Reply
from tests.services.qbittorrent import QBittorrentServer
from tests.services.rtorrent import RTorrentServer
from tests.torrents import make_torrent, write_file
from tests.waiting import wait_for

MAGNET_HASH = "C12FE1C06BBA254A9DC9F519B335AA7C1367A88A"


@pytest.fixture(params=["qbittorrent", "rtorrent"])
def client(request, tmp_path: Path):
    removed: list[str] = []
    if request.param == "qbittorrent":
        server = QBittorrentServer(tmp_path / "qbt")
        made = QBittorrentClient(server.url, server.username, server.password, timeout=(2.0, 5.0))
    else:
        server = RTorrentServer(tmp_path / "rt")
        made = RTorrentClient(server.url, timeout=5.0, data_remover=removed.append)
    made.server, made.removed = server, removed
    yield made
    server.stop()


def test_add_by_torrent_upload_completes_and_lists(client) -> None:
    content = client.server.downloads / "Amelie.2001.MULTi.1080p.BluRay.x264-GRP.mkv"
    write_file(content, 300_000)
    data, info_hash = make_torrent(content)
    source = TorrentSource.from_torrent(data)
    assert source.info_hash == info_hash and source.size == 300_000
    assert client.add(source, label="mms", save_path=str(client.server.downloads)) == info_hash
    done = wait_for(lambda: next((t for t in client.torrents() if t.info_hash == info_hash and t.complete), None),
                    timeout=30, what="the torrent checked complete")
    assert done.name == content.name and done.label == "mms" and done.size == 300_000
    assert done.state in ("seeding", "paused", "queued") and done.progress == 1.0
    assert Path(done.save_path) == client.server.downloads
    assert Path(done.content_path) == content
    detail = client.torrent(info_hash)
    assert [(f.path, f.size) for f in detail.files] == [(content.name, 300_000)]
    assert [t.info_hash for t in client.torrents(label="mms")] == [info_hash]
    assert client.torrents(label="other") == []


def test_add_by_magnet_and_by_url(client) -> None:
    magnet = TorrentSource.from_magnet(f"magnet:?xt=urn:btih:{MAGNET_HASH.lower()}&dn=Some.Release.720p"
                                       "&tr=http%3A%2F%2F127.0.0.1%3A9%2Fannounce")
    assert client.add(magnet, label="mms") == MAGNET_HASH
    wait_for(lambda: any(t.info_hash == MAGNET_HASH for t in client.torrents()), timeout=20, what="magnet listed")
    folder = client.server.downloads / "Show.S01.MULTi.1080p.WEB.x264-GRP"
    write_file(folder / "Show.S01E01.mkv", 100_000)
    write_file(folder / "Show.S01E02.mkv", 120_000)
    data, info_hash = make_torrent(folder)
    with Emulator() as indexer:
        torrent_type = {"Content-Type": "application/x-bittorrent"}
        indexer.route("GET", r"/dl/1\.torrent", lambda r: Reply(200, data, torrent_type))
        indexer.route("GET", r"/go/1", lambda r: Reply(302, b"", {"Location": "/dl/1.torrent"}))
        indexer.route("GET", r"/magnet/1", lambda r: Reply(301, b"", {"Location": magnet.magnet}))
        source = fetch_source(f"{indexer.url}/go/1")
        assert source.info_hash == info_hash and source.torrent == data
        assert fetch_source(f"{indexer.url}/magnet/1").info_hash == MAGNET_HASH
    client.add(source, label="mms", save_path=str(client.server.downloads))
    pack = wait_for(lambda: next((t for t in client.torrents() if t.info_hash == info_hash and t.complete), None),
                    timeout=30, what="season pack complete")
    assert Path(pack.content_path) == folder and Path(pack.save_path) == client.server.downloads
    assert sorted(f.size for f in client.torrent(info_hash).files) == [100_000, 120_000]


def test_remove_with_and_without_data(client) -> None:
    keep = write_file(client.server.downloads / "Keep.2020.1080p.mkv", 50_000)
    drop = write_file(client.server.downloads / "Drop.2020.1080p.mkv", 50_000)
    hashes = []
    for path in (keep, drop):
        data, info_hash = make_torrent(path)
        client.add(TorrentSource.from_torrent(data), label="mms", save_path=str(client.server.downloads))
        hashes.append(info_hash)
    wait_for(lambda: {t.info_hash for t in client.torrents() if t.complete} >= set(hashes), timeout=30,
             what="both complete")
    client.remove(hashes[0])
    client.remove(hashes[1], delete_data=True)
    wait_for(lambda: not {t.info_hash for t in client.torrents()} & set(hashes), timeout=20, what="both removed")
    assert keep.exists()
    if isinstance(client, RTorrentClient):
        assert client.removed == [str(drop)] and drop.exists()  # data goes through the SFTP remover only
    else:
        wait_for(lambda: not drop.exists(), timeout=10, what="qBittorrent deleting the data")
    with pytest.raises(UpstreamNotFound):
        client.remove(hashes[0])


def test_rtorrent_refusal_is_reported(tmp_path: Path) -> None:
    server = RTorrentServer(tmp_path / "r")
    try:
        client = RTorrentClient(server.url, timeout=5.0)
        trackerless = TorrentSource.from_magnet(f"magnet:?xt=urn:btih:{MAGNET_HASH}")
        with pytest.raises(UpstreamBadResponse, match="did not take"):
            client.add(trackerless, label="mms")
    finally:
        server.stop()


def test_stopped_client_and_bad_sources(client) -> None:
    client.server.stop()
    with pytest.raises(UpstreamUnavailable, match="refused"):
        client.torrents()
    with pytest.raises(TorrentSourceError):
        TorrentSource.from_torrent(b"not bencoded")
    with pytest.raises(TorrentSourceError):
        TorrentSource.from_magnet("magnet:?dn=no-hash")


def test_qbittorrent_wrong_password(tmp_path: Path) -> None:
    server = QBittorrentServer(tmp_path / "q")
    try:
        with pytest.raises(UpstreamAuthError, match="QBITTORRENT_PASSWORD"):
            QBittorrentClient(server.url, server.username, "wrong").torrents()
    finally:
        server.stop()
