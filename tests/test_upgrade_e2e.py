"""An upgrade through the real pipeline (issue 15): a VOSTFR movie on disk, a MULTi release on the indexer
(the Torznab emulator serves its .torrent), the upgrade check grabs it on its own, real qbittorrent-nox and
OpenSSH sshd bring it home, the import replaces the old file only after ffprobe read the new one, and the
library file then has a French audio track."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.utils.media.probe import probe
from tests.emulators.torznab import TorznabEmulator
from tests.media import make_tagged_video
from tests.services.qbittorrent import QBittorrentServer
from tests.services.sshd import SshServer
from tests.torrents import make_torrent
from tests.waiting import wait_for

RELEASE = "Heat.1995.MULTi.1080p.BluRay.x264-GRP"


@pytest.fixture
def world(tmp_path: Path):
    client = QBittorrentServer(tmp_path / "qbt")
    sshd = SshServer(tmp_path)
    indexer = TorznabEmulator().start()
    yield {"client": client, "sshd": sshd, "indexer": indexer, "library": tmp_path / "library",
           "staging": tmp_path / "staging"}
    indexer.stop()
    sshd.stop()
    client.stop()


def _run_until(api, job: str, info_hash: str, state: str) -> dict:
    runner = api.client.application.extensions["mms"].jobs

    def done():
        runner.execute(job, "manual")
        entries = {e["info_hash"]: e for e in api.call("GET", "/api/pending").json["entries"]}
        return entries[info_hash] if entries[info_hash]["state"] == state else None

    return wait_for(done, timeout=60, interval=0.5, what=f"{job} -> {state}")


@pytest.mark.parametrize("bad_download", [False, True], ids=["multi", "unreadable"])
def test_vostfr_movie_replaced_by_multi(api, world, bad_download: bool) -> None:
    w = world
    movies = w["library"] / "Films"
    old = make_tagged_video(movies / "Heat (1995) {tmdb-949}" / "Heat (1995) - 1080p.mkv", audio=[("eng", "")],
                            subtitles=["fre"], size="1920x800")
    old_bytes = old.read_bytes()
    download = w["client"].downloads / f"{RELEASE}.mkv"
    if bad_download:  # a "MULTi" release that is not a video at all: the import must keep the old file
        download.parent.mkdir(parents=True, exist_ok=True)
        download.write_bytes(b"\x1a\x45\xdf\xa3" + b"garbage" * 4000)
    else:
        make_tagged_video(download, audio=[("fre", "VFF"), ("eng", "")], size="1920x800", seconds=1.0)
    torrent, info_hash = make_torrent(download)
    w["indexer"].add_torrent(RELEASE, torrent, info_hash, tmdbid=949, categories=(2000, 2040), seeders=25,
                             size=download.stat().st_size)
    client, sshd = w["client"], w["sshd"]
    settings = {
        "torrent_client": "qbittorrent", "qbittorrent_url": client.url, "qbittorrent_username": client.username,
        "qbittorrent_password": client.password, "sftp_host": sshd.host, "sftp_port": sshd.port,
        "sftp_username": sshd.username, "sftp_key_path": str(sshd.key_path), "sftp_remote_path": str(client.downloads),
        "staging_path": str(w["staging"]), "movies_path": str(movies), "service_timeout_s": 5, "upgrade_pause_s": 0,
        "torznab_indexers": [{"name": "Ygg", "url": f"{w['indexer'].url}/api", "api_key": w["indexer"].feed.api_key}]}
    assert api.call("PUT", "/api/settings", json={"values": settings}).status_code == 200
    rule = next(r for r in api.call("GET", "/api/upgrades/rules").json if r["id"] == "vostfr-to-vf")
    api.call("PUT", "/api/upgrades/rules/vostfr-to-vf", json={**rule, "auto_grab": True})

    runner = api.client.application.extensions["mms"].jobs
    runner.execute("quality_probe", "manual")
    runner.execute("upgrade_checks", "manual")  # finds the MULTi release and grabs it on its own
    grabbed = api.call("GET", "/api/upgrades/candidates?state=grabbed").json
    assert [c["release"] for c in grabbed] == [RELEASE] and grabbed[0]["info_hash"] == info_hash

    _run_until(api, "sftp_scanner", info_hash, "transferred")
    if bad_download:
        entry = _run_until(api, "staging_processor", info_hash, "import_failed")
        assert "upgrade refused, the old files stay" in entry["error"]
        assert old.read_bytes() == old_bytes  # untouched
        assert sorted(p.name for p in old.parent.iterdir()) == [old.name]  # no half-placed new file left
        runner.execute("upgrade_checks", "manual")  # the job follows the candidate to its failure
        failed = api.call("GET", "/api/upgrades/candidates?state=failed").json
        assert [c["release"] for c in failed] == [RELEASE]
        return
    entry = _run_until(api, "staging_processor", info_hash, "imported")
    assert entry["replaced"] == [{"path": str(old), "outcome": "replaced",
                                  "reason": "same name: the new file took its place"}]
    assert sorted(p.name for p in old.parent.iterdir()) == [old.name]  # one file: the new one, at the old name
    measured = probe(str(old))
    assert measured.audio_class == "MULTI" and measured.audio_languages == ("fre", "eng")  # French audio now
    assert old.read_bytes() != old_bytes
    done = api.call("GET", "/api/upgrades/candidates?state=imported").json
    assert [c["release"] for c in done] == [RELEASE] and done[0]["replaced"][0]["outcome"] == "replaced"
    actions = [h["action"] for h in api.call("GET", "/api/upgrades/history").json]
    assert actions[:3] == ["imported", "grabbed", "found"]


def test_follow_grabs_vostfr_then_the_upgrade_brings_multi(api, world, tmp_path: Path) -> None:
    """Issue 15's story on real components: the follow grabs the VOSTFR episode after it aired (the MULTi
    pack already listed is refused: published before the season's last episode aired), then the upgrade check
    replaces it with the MULTi season pack through the same pipeline; the library episode ends with French
    audio (ffprobe)."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from app.follows import service as follows
    from tests.emulators.tvdb import TvdbEmulator

    w = world
    client, sshd, indexer = w["client"], w["sshd"], w["indexer"]
    day = datetime.now(ZoneInfo("Europe/Paris")) - timedelta(days=1)
    downloads = client.downloads
    vostfr = make_tagged_video(downloads / "Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP.mkv",
                               audio=[("eng", "")], subtitles=["fre"], size="1920x1080", seconds=1.0)
    pack = downloads / "Les.Revenants.S01.MULTi.1080p.WEB.x264-GRP"
    for n in (1, 2):
        make_tagged_video(pack / f"Les.Revenants.S01E0{n}.MULTi.1080p.WEB.x264-GRP.mkv",
                          audio=[("fre", ""), ("eng", "")], size="1920x1080", seconds=1.0)
    tv = {"tvdbid": 259570, "categories": (5000, 5040)}
    for content, name, size in ((vostfr, "Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP", 1_800_000_000),
                                (pack, "Les.Revenants.S01.MULTi.1080p.WEB.x264-GRP", 3_600_000_000)):
        torrent, info_hash = make_torrent(content)
        indexer.add_torrent(name, torrent, info_hash, age_hours=1, seeders=20, size=size, **tv)
    with TvdbEmulator() as tvdb:
        series = tvdb.add_series(259570, "Les Revenants", 2012, original_language="fra", seasons={1: 2},
                                 translations={"fra": {"name": "Les Revenants", "overview": ""}})
        series["aired"] = {(1, 1): day.strftime("%Y-%m-%d"),
                           (1, 2): (day + timedelta(days=7)).strftime("%Y-%m-%d")}
        shows = w["library"] / "Séries"
        settings = {
            "torrent_client": "qbittorrent", "qbittorrent_url": client.url, "qbittorrent_username": client.username,
            "qbittorrent_password": client.password, "sftp_host": sshd.host, "sftp_port": sshd.port,
            "sftp_username": sshd.username, "sftp_key_path": str(sshd.key_path),
            "sftp_remote_path": str(downloads), "staging_path": str(w["staging"]), "tv_path": str(shows),
            "tvdb_url": tvdb.api_url, "tvdb_api_key": tvdb.api_key, "service_timeout_s": 5, "upgrade_pause_s": 0,
            "torznab_indexers": [{"name": "Ygg", "url": f"{indexer.url}/api", "api_key": indexer.feed.api_key}]}
        assert api.call("PUT", "/api/settings", json={"values": settings}).status_code == 200
        follow = api.call("POST", "/api/follows", json={"tvdb_id": 259570}).json
        with api.client.application.app_context():
            result = follows.check_follow(follow["id"], datetime.now(UTC))
        assert result["grabbed"] == 1
        log = api.call("GET", f"/api/follows/{follow['id']}").json["log"][-1]
        assert log["found"] == "Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP"
        assert any(r["release"] == "Les.Revenants.S01.MULTi.1080p.WEB.x264-GRP"
                   and "before the episode aired" in r["reason"] for r in log["refused"])
        first = log["info_hash"]
        _run_until(api, "sftp_scanner", first, "transferred")
        _run_until(api, "staging_processor", first, "imported")
        season = shows / "Les Revenants (2012) {tvdb-259570}" / "Season 01"
        episode = season / "Les Revenants (2012) - S01E01 - Episode 1.mkv"
        assert probe(str(episode)).audio_class == "VOSTFR"
        calendar = api.call("GET", "/api/calendar").json
        assert [(e["episode"], e["state"]) for e in calendar] == [(1, "imported"), (2, "to_air")]

        rule = next(r for r in api.call("GET", "/api/upgrades/rules").json if r["id"] == "vostfr-to-vf")
        api.call("PUT", "/api/upgrades/rules/vostfr-to-vf", json={**rule, "auto_grab": True})
        runner = api.client.application.extensions["mms"].jobs
        runner.execute("quality_probe", "manual")
        runner.execute("upgrade_checks", "manual")
        grabbed = api.call("GET", "/api/upgrades/candidates?state=grabbed").json
        assert [c["release"] for c in grabbed] == ["Les.Revenants.S01.MULTi.1080p.WEB.x264-GRP"]
        second = grabbed[0]["info_hash"]
        _run_until(api, "sftp_scanner", second, "transferred")
        entry = _run_until(api, "staging_processor", second, "imported")
        assert [o["outcome"] for o in entry["replaced"]] == ["replaced"]
        assert sorted(p.name for p in season.iterdir()) == [
            "Les Revenants (2012) - S01E01 - Episode 1.mkv", "Les Revenants (2012) - S01E02 - Episode 2.mkv"]
        assert probe(str(episode)).audio_class == "MULTI"  # French audio now
        assert "fre" in probe(str(episode)).audio_languages
