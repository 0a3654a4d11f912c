"""Transfer faults on a real sshd: a cut connection and an app killed mid-transfer resume without
re-sending what is on disk; an unknown episode fails the import with that reason and moves nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.utils.stores.mapping_manager import Mapping, MappingManager
from app.utils.transfer import SEGMENT_THRESHOLD, SftpPuller, SftpTarget, TransferError
from tests.media import make_video
from tests.services.sshd import SshServer
from tests.torrents import sha256_of, write_file
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent


def _target(sshd: SshServer) -> SftpTarget:
    return SftpTarget(sshd.host, sshd.port, sshd.username, key_path=str(sshd.key_path))


@pytest.mark.parametrize(("size", "connections"), [(24 * 1024 * 1024, 1), (SEGMENT_THRESHOLD + 16 * 1024 * 1024, 2)])
def test_cut_connection_resumes_without_resending(tmp_path: Path, sshd: SshServer, size: int, connections: int) -> None:
    source = write_file(tmp_path / "seedbox" / "Big.Movie.2020.1080p.mkv", size)
    staging = tmp_path / "staging"
    seen: list = []
    puller = SftpPuller(_target(sshd), connections=connections, rate_limit=6 * 1024 * 1024, on_progress=seen.append)
    failure: list[Exception] = []

    def first_run() -> None:
        try:
            puller.pull(str(source), staging)
        except TransferError as exc:
            failure.append(exc)

    thread = threading.Thread(target=first_run)
    thread.start()
    wait_for(lambda: seen and seen[-1].done > size * 0.3, timeout=60, what="30% transferred")
    assert sshd.kill_sessions() >= 1  # cut the SSH connections in the middle
    thread.join(timeout=60)
    assert failure and not (staging / source.name).exists()  # no file that looks complete
    part = staging / f"{source.name}.part"
    assert part.exists()
    again: list = []
    [pulled] = SftpPuller(_target(sshd), connections=connections, on_progress=again.append).pull(str(source), staging)
    assert sha256_of(pulled) == sha256_of(source)
    assert 0 < again[-1].read_this_run < size  # only what was missing crossed the network again
    assert not part.exists() and not Path(f"{part}.json").exists()


APP_RUN = """
import sys
from app import create_app
app = create_app({"INSTANCE_PATH": sys.argv[1], "BACKUP_PATH": sys.argv[2], "SCHEDULER_ENABLED": False})
app.extensions["mms"].jobs.execute("sftp_scanner", "manual")
"""


def test_app_killed_mid_transfer_resumes(tmp_path: Path, sshd: SshServer, make_app) -> None:
    size = 32 * 1024 * 1024
    source = write_file(tmp_path / "seedbox" / "Film.2021.1080p.mkv", size)
    app = make_app()
    mms = app.extensions["mms"]
    mms.settings.save({"sftp_host": sshd.host, "sftp_port": sshd.port, "sftp_username": sshd.username,
                       "sftp_key_path": str(sshd.key_path), "staging_path": str(tmp_path / "staging"),
                       "transfer_rate_limit_kib": 4096, "sftp_remote_path": str(source.parent)})
    info_hash = "AB" * 20
    mms.mapping.add(info_hash, source.stem, Mapping("movie", "Film", 2021, tmdb_id=1))
    mms.mapping.transition(info_hash, "completed", "test", seedbox_path=str(source), bytes_total=size)
    child = subprocess.Popen([sys.executable, "-c", APP_RUN, str(app.instance_path), str(tmp_path / "backups")],
                             cwd=ROOT, env={**os.environ, "ADMIN_PASSWORD": ""})
    part = tmp_path / "staging" / info_hash / f"{source.name}.part"
    wait_for(lambda: (mms.mapping.get(info_hash).get("bytes_done") or 0) > size * 0.3, timeout=60,
             what="the first app process at 30%")
    os.kill(child.pid, signal.SIGKILL)  # the app dies in the middle of the transfer
    child.wait()
    assert mms.mapping.get(info_hash)["state"] == "transferring" and part.exists()
    assert mms.jobs.execute("sftp_scanner", "manual") == "ok"  # the restarted app picks it up
    entry = mms.mapping.get(info_hash)
    assert entry["state"] == "transferred", entry["history"][-1]
    assert sha256_of(tmp_path / "staging" / info_hash / source.name) == sha256_of(source)
    assert 0 < entry["progress"]["read_this_run"] < size


def test_unknown_episode_fails_the_import_and_moves_nothing(tmp_path: Path, make_app) -> None:
    from tests.emulators.tvdb import TvdbEmulator

    app = make_app()
    mms = app.extensions["mms"]
    staging = tmp_path / "staging"
    info_hash = "CD" * 20
    video = make_video(staging / info_hash / "Show.S01E09.MULTi.1080p.WEB.x264-GRP.mkv", 0.5)
    with TvdbEmulator() as tvdb:
        tvdb.add_series(4242, "Show", 2020, seasons={1: 8})
        mms.settings.save({"staging_path": str(staging), "tv_path": str(tmp_path / "TV Shows"),
                           "tvdb_url": tvdb.api_url, "tvdb_api_key": tvdb.api_key})
        manager: MappingManager = mms.mapping
        manager.add(info_hash, video.stem, Mapping("tv", "Show", 2020, tvdb_id=4242))
        for state in ("completed", "transferring"):
            manager.transition(info_hash, state, "test")
        manager.transition(info_hash, "transferred", "test", staging_path=str(staging / info_hash))
        with app.app_context():
            from app.seedbox.pipeline import import_entry

            assert import_entry(info_hash) is False
    entry = manager.get(info_hash)
    assert entry["state"] == "import_failed" and entry["error"].startswith("unknown episode S01E09")
    assert video.exists() and not (tmp_path / "TV Shows").exists()
