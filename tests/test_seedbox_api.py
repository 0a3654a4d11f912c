"""Sending releases to a real qbittorrent-nox through the app's API; the pending map records them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.utils.stores.mapping_manager import MappingManager, TransitionError
from tests.emulators.base import Reply
from tests.emulators.torznab import TorznabEmulator
from tests.services.qbittorrent import QBittorrentServer
from tests.torrents import make_torrent, write_file
from tests.waiting import wait_for

MOVIE = {"media_type": "movie", "title": "Dune", "year": 2021, "tmdb_id": 438631}


@pytest.fixture
def qbt(tmp_path: Path):
    server = QBittorrentServer(tmp_path / "qbt")
    yield server
    server.stop()


def _configure(api, qbt, **extra) -> None:
    values = {"torrent_client": "qbittorrent", "qbittorrent_url": qbt.url, "qbittorrent_username": qbt.username,
              "qbittorrent_password": qbt.password, "batch_pause_s": 0, "service_timeout_s": 5, **extra}
    assert api.call("PUT", "/api/settings", json={"values": values}).status_code == 200


def _torrent_on_indexer(indexer: TorznabEmulator, qbt: QBittorrentServer, name: str, index: int) -> str:
    content = write_file(qbt.downloads / f"{name}.mkv", 40_000 + index)
    data, info_hash = make_torrent(content)
    kind = {"Content-Type": "application/x-bittorrent"}
    indexer.route("GET", rf"/dl/{index}\.torrent", lambda r: Reply(200, data, kind))
    return info_hash


def test_send_search_result_records_pending_entry(api, qbt) -> None:
    _configure(api, qbt)
    with TorznabEmulator("Ygg") as indexer:
        indexer.feed.base_url = indexer.url
        name = "Dune.2021.MULTi.VFF.1080p.BluRay.x264-GRP"
        expected_hash = _torrent_on_indexer(indexer, qbt, name, 0)
        indexer.feed.add_release(name, categories=(2000,), info_hash=expected_hash.lower())
        api.call("PUT", "/api/settings", json={"values": {"torznab_indexers": [
            {"name": "Ygg", "url": indexer.url, "api_key": indexer.feed.api_key}]}})
        [result] = api.call("POST", "/api/search", json={"query": "dune"}).json["results"]
        answer = api.call("POST", "/api/seedbox/send", json={"items": [{"result_id": result["id"]}], "mapping": MOVIE})
    assert answer.status_code == 200 and answer.json["sent"] == 1, answer.json
    info_hash = answer.json["report"][0]["info_hash"]
    assert info_hash == expected_hash
    entry = api.call("GET", "/api/pending").json["entries"][0]
    assert entry["info_hash"] == info_hash and entry["state"] == "downloading"
    assert (entry["tmdb_id"], entry["media_type"], entry["client"], entry["label"]) == (438631, "movie",
                                                                                        "qbittorrent", "mms")
    assert entry["release_name"] == name and entry["indexer"] == "Ygg" and entry["audio_class"] == "MULTI"
    assert entry["history"][0]["state"] == "downloading"
    listed = wait_for(lambda: api.call("GET", "/api/seedbox/torrents").json["torrents"], timeout=20, what="listed")
    assert listed[0]["info_hash"] == info_hash and listed[0]["pending"]["title"] == "Dune"
    with pytest.raises(TransitionError):
        MappingManager(api.client.application.instance_path).transition(info_hash, "imported")


def test_batch_of_five_where_the_third_fails(api, qbt) -> None:
    _configure(api, qbt)
    with TorznabEmulator() as indexer:
        names = [f"Show.S01E0{i}.MULTi.1080p.WEB.x264-GRP" for i in range(1, 6)]
        hashes = [_torrent_on_indexer(indexer, qbt, n, i) for i, n in enumerate(names)]
        items = [{"link": f"{indexer.url}/dl/{i}.torrent", "name": n} for i, n in enumerate(names)]
        items[2]["link"] = f"{indexer.url}/dl/missing.torrent"
        mapping = {"media_type": "tv", "title": "Show", "tvdb_id": 1234}
        answer = api.call("POST", "/api/seedbox/send", json={"items": items, "mapping": mapping}).json
    assert (answer["sent"], answer["failed"]) == (4, 1)
    assert [r["ok"] for r in answer["report"]] == [True, True, False, True, True]
    assert "404" in answer["report"][2]["error"]
    pending = {e["info_hash"]: e for e in api.call("GET", "/api/pending").json["entries"]}
    assert set(pending) == {hashes[i] for i in (0, 1, 3, 4)}
    assert pending[hashes[3]]["season"] == 1 and pending[hashes[3]]["episodes"] == [4]  # read from the name


def test_upload_remove_and_bad_input(api, qbt) -> None:
    _configure(api, qbt)
    content = write_file(qbt.downloads / "Amelie.2001.mkv", 30_000)
    data, info_hash = make_torrent(content)
    upload = api.call("POST", "/api/seedbox/upload", data={
        "torrent": (io.BytesIO(data), "amelie.torrent"),
        "mapping": json.dumps({"media_type": "movie", "title": "Amélie", "tmdb_id": 194})},
        content_type="multipart/form-data")
    assert upload.status_code == 201 and upload.json["entry"]["info_hash"] == info_hash
    garbage = api.call("POST", "/api/seedbox/upload", data={
        "torrent": (io.BytesIO(b"garbage"), "x.torrent"), "mapping": json.dumps(MOVIE)},
        content_type="multipart/form-data")
    assert garbage.status_code == 422 and ".torrent non valide" in garbage.json["error"]["message"]
    no_id = api.call("POST", "/api/seedbox/send", json={"items": [{"link": "magnet:?xt=urn:btih:" + "A" * 40}],
                                                        "mapping": {"media_type": "movie", "title": "X"}})
    assert no_id.status_code == 422 and no_id.json["error"]["code"] == "invalid_mapping"
    wait_for(lambda: api.call("GET", "/api/seedbox/torrents").json["torrents"], timeout=20, what="listed")
    assert api.call("DELETE", f"/api/seedbox/torrents/{info_hash}?delete_data=1").status_code == 200
    wait_for(lambda: not content.exists(), timeout=10, what="data deleted")
    assert api.call("GET", "/api/pending").json["entries"][0]["state"] == "removed"
    assert api.call("DELETE", "/api/seedbox/torrents/nothex").status_code == 422


def test_stopped_client_is_a_clear_502(api, qbt) -> None:
    _configure(api, qbt)
    qbt.stop()
    listing = api.call("GET", "/api/seedbox/torrents")
    assert listing.status_code == 502 and listing.json["error"]["code"] == "upstream_unavailable"
    assert "qBittorrent" in listing.json["error"]["message"]
    report = api.call("POST", "/api/seedbox/send", json={
        "items": [{"link": "magnet:?xt=urn:btih:" + "B" * 40 + "&tr=http%3A%2F%2F127.0.0.1%3A9"}],
        "mapping": MOVIE}).json["report"]
    assert report[0]["ok"] is False and "cannot connect" in report[0]["error"]
    assert api.call("DELETE", f"/api/seedbox/torrents/{'C' * 40}").status_code == 502


def test_inspect_refuses_what_is_not_a_torrent_and_reads_the_name(api) -> None:
    bad_file = api.call("POST", "/api/seedbox/inspect", data={"torrent": (io.BytesIO(b"<html>"), "x.torrent")},
                        content_type="multipart/form-data")
    assert bad_file.status_code == 422 and bad_file.json["error"]["code"] == "not_a_torrent"
    for text in ("hello", "ftp://x/y.torrent", "magnet:?dn=no-hash"):
        answer = api.call("POST", "/api/seedbox/inspect", json={"link": text})
        assert answer.status_code == 422, text
    magnet = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Le.Fabuleux.Destin.d.Amelie.Poulain.2001.MULTi.1080p.BluRay"
    info = api.call("POST", "/api/seedbox/inspect", json={"link": magnet}).json
    assert (info["title"], info["year"], info["media_type"], info["pending"]) == (
        "Le Fabuleux Destin d Amelie Poulain", 2001, "movie", None)
    data, info_hash = make_torrent(write_file(Path(api.client.application.instance_path) / "Show.S02.MULTi.mkv", 999))
    from_file = api.call("POST", "/api/seedbox/inspect", data={"torrent": (io.BytesIO(data), "s.torrent")},
                         content_type="multipart/form-data").json
    assert from_file["info_hash"] == info_hash and from_file["media_type"] == "tv" and from_file["season"] == 2


def test_what_is_already_pending_is_sent_only_when_confirmed(api, qbt) -> None:
    _configure(api, qbt)
    mms = api.client.application.extensions["mms"]
    from app.utils.stores.mapping_manager import Mapping

    mms.mapping.add("CD" * 20, "Show.S01E02.VOSTFR.720p", Mapping("tv", "Show", tvdb_id=77, season=1, episodes=(2,)))
    magnet = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=Show.S01E02.VOSTFR.720p"
    mapping = {"media_type": "tv", "title": "Show", "tvdb_id": 77}
    again = api.call("POST", "/api/seedbox/send", json={"items": [{"link": magnet}], "mapping": mapping}).json
    assert again["sent"] == 0 and again["report"][0]["already_pending"] == ["Show.S01E02.VOSTFR.720p (downloading)"]
    inspected = api.call("POST", "/api/seedbox/inspect", json={"link": magnet}).json
    assert inspected["pending"] == {"state": "downloading", "title": "Show"}
    pack = "magnet:?xt=urn:btih:" + "ef" * 20 + "&dn=Show.S01.MULTi.1080p.WEB.x264-GRP"
    held = api.call("POST", "/api/seedbox/send", json={"items": [{"link": pack}], "mapping": mapping}).json
    assert held["report"][0]["already_pending"] == ["Show.S01E02.VOSTFR.720p: S01 E02 (downloading)"]
    assert "EF" * 20 not in {e["info_hash"] for e in api.call("GET", "/api/pending").json["entries"]}
    sent = api.call("POST", "/api/seedbox/send", json={"items": [{"link": pack}], "mapping": mapping,
                                                       "confirm": True}).json
    assert sent["sent"] == 1
    assert "EF" * 20 in {e["info_hash"] for e in api.call("GET", "/api/pending").json["entries"]}
