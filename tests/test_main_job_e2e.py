"""The whole main job on real components: a torrent client, OpenSSH sshd, ffmpeg-made media, the app's own API
and jobs; only the services that cannot run here are emulated (Radarr, Sonarr, TheTVDB, Plex)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.emulators.arr import RadarrEmulator, SonarrEmulator
from tests.emulators.plex import PlexEmulator
from tests.emulators.tvdb import TvdbEmulator
from tests.media import make_video
from tests.services.qbittorrent import QBittorrentServer
from tests.services.rtorrent import RTorrentServer
from tests.services.sshd import SshServer
from tests.torrents import make_torrent, sha256_of
from tests.waiting import wait_for

MOVIE_NAME = "Amelie.2001.MULTi.1080p.BluRay.x264-GRP"
PACK_NAME = "Les.Revenants.S01.MULTi.1080p.WEB.x264-GRP"


@pytest.fixture
def world(tmp_path: Path, request):
    """Seedbox (client + sshd), emulators, library folders, media and their .torrent files."""
    kind = request.param
    client = QBittorrentServer(tmp_path / "qbt") if kind == "qbittorrent" else RTorrentServer(tmp_path / "rt")
    sshd = SshServer(tmp_path)
    downloads = client.downloads
    movie = make_video(downloads / f"{MOVIE_NAME}.mkv", 1.0)
    pack = downloads / PACK_NAME
    episodes = [make_video(pack / f"Les.Revenants.S01E0{i}.MULTi.1080p.WEB.x264-GRP.mkv", 0.5 + i / 10)
                for i in (1, 2, 3)]
    subtitle = "1\n00:00:00,000 --> 00:00:01,000\nBonjour\n"
    (pack / "Les.Revenants.S01E01.MULTi.1080p.WEB.x264-GRP.fr.srt").write_text(subtitle)
    (pack / "sample-les.revenants.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + b"0" * 1000)
    (pack / "Les.Revenants.S01.nfo").write_text("release notes")
    library = tmp_path / "library"
    radarr, sonarr, tvdb, plex = RadarrEmulator().start(), SonarrEmulator().start(), TvdbEmulator().start(), \
        PlexEmulator().start()
    movie_item = radarr.add_movie("Le Fabuleux Destin d'Amélie Poulain", 2001, 194, root=str(library / "Movies"))
    series = sonarr.add_series("Les Revenants", 2012, 259570, {1: 3}, root=str(library / "TV Shows"))
    tvdb.add_series(259570, "Les Revenants", 2012, original_language="fra", seasons={1: 8},
                    translations={"fra": {"name": "Les Revenants", "overview": "..."}},
                    episode_names={(1, n): {"fra": name} for n, name in
                                   ((1, "Camille"), (2, "Simon"), (3, "Julie"))})
    plex.add_section("Films", "movie", str(library / "Movies"))
    plex.add_section("Séries", "show", str(library / "TV Shows"))
    yield {"kind": kind, "client": client, "sshd": sshd, "movie": movie, "pack": pack, "episodes": episodes,
           "library": library, "radarr": radarr, "sonarr": sonarr, "tvdb": tvdb, "plex": plex,
           "movie_item": movie_item, "series": series, "staging": tmp_path / "staging"}
    for emulator in (radarr, sonarr, tvdb, plex):
        emulator.stop()
    sshd.stop()
    client.stop()


def _settings(w) -> dict:
    client = w["client"]
    values = {
        "torrent_client": w["kind"], "sftp_host": w["sshd"].host, "sftp_port": w["sshd"].port,
        "sftp_username": w["sshd"].username, "sftp_key_path": str(w["sshd"].key_path),
        "sftp_remote_path": str(client.downloads), "staging_path": str(w["staging"]),
        "movies_path": str(w["library"] / "Movies"), "tv_path": str(w["library"] / "TV Shows"),
        "radarr_url": w["radarr"].url, "radarr_api_key": w["radarr"].api_key, "sonarr_url": w["sonarr"].url,
        "sonarr_api_key": w["sonarr"].api_key, "tvdb_url": w["tvdb"].api_url, "tvdb_api_key": w["tvdb"].api_key,
        "plex_url": w["plex"].url, "plex_token": w["plex"].token, "service_timeout_s": 5, "batch_pause_s": 0,
    }
    if w["kind"] == "qbittorrent":
        values.update(qbittorrent_url=client.url, qbittorrent_username=client.username,
                      qbittorrent_password=client.password)
    else:
        values.update(rtorrent_url=client.url)
    return values


def _upload(api, path: Path, mapping: dict) -> str:
    data, info_hash = make_torrent(path)
    answer = api.call("POST", "/api/seedbox/upload", data={"torrent": (io.BytesIO(data), f"{path.name}.torrent"),
                                                           "mapping": json.dumps(mapping)},
                      content_type="multipart/form-data")
    assert answer.status_code == 201, answer.json
    assert answer.json["entry"]["info_hash"] == info_hash
    return info_hash


def _run_until(api, job: str, info_hashes: list[str], state: str, timeout: float = 60) -> dict:
    runner = api.client.application.extensions["mms"].jobs

    def done():
        runner.execute(job, "manual")
        entries = {e["info_hash"]: e for e in api.call("GET", "/api/pending").json["entries"]}
        return entries if all(entries[h]["state"] == state for h in info_hashes) else None

    return wait_for(done, timeout=timeout, interval=0.5, what=f"{job} -> {state}")


@pytest.mark.parametrize("world", ["qbittorrent", "rtorrent"], indirect=True)
def test_movie_and_season_pack_end_to_end(api, world) -> None:
    w = world
    assert api.call("PUT", "/api/settings", json={"values": _settings(w)}).status_code == 200
    movie_hash = _upload(api, w["movie"], {"media_type": "movie", "title": "Le Fabuleux Destin d'Amélie Poulain",
                                           "year": 2001, "tmdb_id": 194,
                                           "radarr_movie_id": w["movie_item"]["id"]})
    pack_hash = _upload(api, w["pack"], {"media_type": "tv", "title": "Les Revenants", "year": 2012,
                                         "tvdb_id": 259570, "sonarr_series_id": w["series"]["id"]})
    hashes = [movie_hash, pack_hash]
    _run_until(api, "sftp_scanner", hashes, "transferred")
    entries = _run_until(api, "staging_processor", hashes, "imported")

    movie_dir = w["library"] / "Movies" / "Le Fabuleux Destin d'Amélie Poulain (2001) {tmdb-194}"
    movie_file = movie_dir / "Le Fabuleux Destin d'Amélie Poulain (2001) - 1080p.mkv"
    assert sha256_of(movie_file) == sha256_of(w["movie"])
    season = w["library"] / "TV Shows" / "Les Revenants (2012) {tvdb-259570}" / "Season 01"
    expected = {f"Les Revenants (2012) - S01E0{i} - {name}.mkv": w["episodes"][i - 1]
                for i, name in ((1, "Episode 1"), (2, "Episode 2"), (3, "Episode 3"))}
    assert sorted(p.name for p in season.iterdir()) == sorted(
        [*expected, "Les Revenants (2012) - S01E01 - Episode 1.fr.srt"])
    for name, source in expected.items():
        assert sha256_of(season / name) == sha256_of(source)
    assert sorted(w["plex"].scans) == sorted([(1, str(movie_dir)), (2, str(season))])
    assert [(c["name"]) for c in w["radarr"].commands] == ["RescanMovie"]
    assert w["radarr"].command_bodies[w["radarr"].commands[0]["id"]]["movieId"] == w["movie_item"]["id"]
    assert [(c["name"]) for c in w["sonarr"].commands] == ["RescanSeries"]
    states = [h["state"] for h in entries[pack_hash]["history"]]
    assert states == ["downloading", "completed", "transferring", "transferred", "importing", "imported"]
    assert "sample/junk" in entries[pack_hash]["history"][-1]["detail"]
    # staging left clean: the sample and junk the pack brought are removed, then its empty folders
    assert "leftover file(s) removed" in entries[pack_hash]["history"][-1]["detail"]
    assert not (w["staging"] / pack_hash).exists() and not (w["staging"] / movie_hash).exists()
    assert w["staging"].is_dir()  # the staging area itself stays
    assert entries[movie_hash]["bytes_done"] == w["movie"].stat().st_size
