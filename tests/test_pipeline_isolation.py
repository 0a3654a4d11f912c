"""Each pipeline entry fails on its own (issue 10, items 11, 12, 14, 15): a remote file that shrinks
mid-pull fails its own entry with the reason while the next one is pulled, on a real sshd; an import
left by a crash becomes retryable; re-mapping keeps history; stores hand out copies; no leaked processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from app.utils import transfer
from app.utils.media import health
from app.utils.stores.mapping_manager import Mapping
from tests.services.common import free_port, wait_port
from tests.services.sshd import SshServer
from tests.torrents import sha256_of, write_file
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent


def _completed(mms, info_hash: str, source: Path, title: str) -> None:
    mms.mapping.add(info_hash, source.stem, Mapping("movie", title, 2020, tmdb_id=7))
    mms.mapping.transition(info_hash, "completed", "test", seedbox_path=str(source), bytes_total=source.stat().st_size)


def test_a_file_shrinking_mid_pull_fails_its_entry_only(tmp_path: Path, sshd: SshServer, make_app, monkeypatch) -> None:
    app = make_app()
    mms = app.extensions["mms"]
    mms.settings.save({"sftp_host": sshd.host, "sftp_port": sshd.port, "sftp_username": sshd.username,
                       "sftp_key_path": str(sshd.key_path), "staging_path": str(tmp_path / "staging"),
                       "sftp_remote_path": str(tmp_path / "seedbox")})
    shrinking = write_file(tmp_path / "seedbox" / "Shrinks.2020.mkv", 6 * 1024 * 1024)
    healthy = write_file(tmp_path / "seedbox" / "Healthy.2020.mkv", 3 * 1024 * 1024)
    _completed(mms, "AA" * 20, shrinking, "Shrinks")
    _completed(mms, "BB" * 20, healthy, "Healthy")
    listed = transfer.list_remote

    def list_then_shrink(sftp, root):
        files = listed(sftp, root)
        if root == str(shrinking):
            os.truncate(shrinking, 1024 * 1024)  # the seedbox rewrites the file after it was listed
        return files

    monkeypatch.setattr(transfer, "list_remote", list_then_shrink)
    assert mms.jobs.execute("sftp_scanner", "manual") == "partial"
    failed, done = mms.mapping.get("AA" * 20), mms.mapping.get("BB" * 20)
    assert failed["state"] == "transfer_failed" and failed["error"] and failed["attempts"] == 1
    assert "EOF" in failed["error"] or "ends before" in failed["error"], failed["error"]
    assert done["state"] == "transferred"
    assert sha256_of(tmp_path / "staging" / ("BB" * 20) / healthy.name) == sha256_of(healthy)
    run = mms.job_runs.runs("sftp_scanner")[0]
    assert run["status"] == "partial" and "1 failed" in run["result"]
    with app.test_request_context():  # pages show it in the reader's language (French by default)
        from app.i18n import run_result

        assert run_result(run) == "0 vérifié(s), 0 terminé(s), 1 transféré(s), 1 en échec"
    assert any(p["title"].startswith("Seedbox") and "1 en échec" in p["detail"] for p in _problems(app))


def _problems(app) -> list[str]:
    with app.test_request_context():
        from app.core.service import health_report

        return health_report()["problems"]


def test_an_unexpected_error_in_one_import_does_not_stop_the_others(tmp_path: Path, make_app, monkeypatch) -> None:
    from app.seedbox import pipeline

    app = make_app()
    mms = app.extensions["mms"]
    for info_hash in ("CC" * 20, "DD" * 20):
        mms.mapping.add(info_hash, "Movie.2020", Mapping("movie", "Movie", 2020, tmdb_id=1))
        for state in ("completed", "transferring", "transferred"):
            mms.mapping.transition(info_hash, state, "test", staging_path=str(tmp_path / info_hash))
    calls = []

    def flaky(entry, settings):
        calls.append(entry["info_hash"])
        if entry["info_hash"] == "CC" * 20:
            raise KeyError("a field the import expected")
        return "imported by the test", {}

    monkeypatch.setattr(pipeline, "_builtin_import", flaky)
    with app.app_context():
        result = pipeline.process_once()
    assert result.failed == 1 and sorted(calls) == ["CC" * 20, "DD" * 20]
    assert mms.mapping.get("CC" * 20)["state"] == "import_failed"
    assert "KeyError" in mms.mapping.get("CC" * 20)["error"]
    assert mms.mapping.get("DD" * 20)["state"] == "imported"


def test_an_import_interrupted_by_a_crash_becomes_retryable(make_app) -> None:
    from app.seedbox import pipeline

    app = make_app()
    mms = app.extensions["mms"]
    key = "EE" * 20
    mms.mapping.add(key, "Film.2020", Mapping("movie", "Film", 2020, tmdb_id=1))
    for state in ("completed", "transferring", "transferred", "importing"):
        mms.mapping.transition(key, state, "test")
    # the process died here; the next run of the staging processor finds it
    assert mms.jobs.execute("staging_processor", "manual") == "partial"
    entry = mms.mapping.get(key)
    assert entry["state"] == "import_failed" and "interrupted" in entry["error"]
    with app.app_context():
        assert pipeline.retry(key)["state"] == "transferred"


def test_remap_keeps_the_history_and_refuses_a_removed_entry(api) -> None:
    mms = api.client.application.extensions["mms"]
    key = "FF" * 20
    mms.mapping.add(key, "Show.S01E01", Mapping("tv", "Wrong Show", tvdb_id=1, season=1, episodes=(1,)))
    mms.mapping.transition(key, "transfer_failed", "cut")
    body = {"media_type": "tv", "title": "Right Show", "tvdb_id": 2, "season": 1, "episodes": [1]}
    answer = api.call("POST", f"/api/pending/{key}/remap", json=body)
    assert answer.status_code == 200
    entry = answer.json["entry"]
    assert entry["state"] == "transfer_failed" and entry["title"] == "Right Show" and entry["attempts"] == 1
    assert [h["state"] for h in entry["history"]] == ["downloading", "transfer_failed", "transfer_failed"]
    assert "re-mapped" in entry["history"][-1]["detail"]
    mms.mapping.transition(key, "removed", "gone")
    refused = api.call("POST", f"/api/pending/{key}/remap", json=body)
    assert refused.status_code == 409
    assert mms.mapping.get(key)["state"] == "removed" and len(mms.mapping.get(key)["history"]) == 4


def test_stores_hand_out_copies(make_app) -> None:
    mms = make_app().extensions["mms"]
    entry = mms.mapping.add("12" * 20, "A.2020", Mapping("movie", "A", 2020, tmdb_id=1))
    entry["title"] = "edited by a caller"
    entry["history"].append({"state": "imported"})
    moved = mms.mapping.transition("12" * 20, "completed", "done")
    moved["state"] = "imported"
    mms.mapping.add("34" * 20, "B.2020", Mapping("movie", "B", 2020, tmdb_id=2))  # an unrelated write
    stored = mms.mapping.get("12" * 20)
    assert stored["title"] == "A" and stored["state"] == "completed" and len(stored["history"]) == 2
    assert b"edited by a caller" not in mms.mapping.store.path.read_bytes()


def test_changing_health_workers_replaces_the_pool(tmp_path: Path) -> None:
    for i in range(4):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "x.mkv").symlink_to(tmp_path / "missing")
    health.basic_check([str(tmp_path)], workers=2)
    first = set(health.worker_pids())
    assert len(first) == 2
    health.basic_check([str(tmp_path)], workers=3)
    wait_for(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                             for p in first), timeout=30, what="the old workers to exit")
    assert len(health.worker_pids()) == 3
    health.shutdown_workers()



def test_sigterm_leaves_no_process_behind(tmp_path: Path) -> None:
    port = free_port()
    media = tmp_path / "media"
    for i in range(4):
        (media / f"d{i}").mkdir(parents=True)
        (media / f"d{i}" / "x.mkv").symlink_to(tmp_path / "missing")
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "MMS_INSTANCE_PATH": str(tmp_path / "instance"),
           "MMS_BACKUP_PATH": str(tmp_path / "backups"), "ADMIN_PASSWORD": "a long password", "MEDIA_ROOT": str(media),
           "HEALTH_WORKERS": "2"}
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        import requests

        wait_port(port, server, timeout=60, what="MMS")
        session = requests.Session()
        login = session.get(f"http://127.0.0.1:{port}/login", timeout=10).text
        import re

        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        session.post(f"http://127.0.0.1:{port}/login", data={"csrf_token": token, "username": "admin",
                                                             "password": "a long password"}, timeout=10)
        page = session.get(f"http://127.0.0.1:{port}/health", timeout=10).text
        header = {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)}
        names = [f"Some.Movie.{i}.2020.1080p.MULTi.WEB.x264-GRP" for i in range(400)]
        assert session.post(f"http://127.0.0.1:{port}/api/releases/parse", json={"names": names}, headers=header,
                            timeout=60).status_code == 200
        started = session.post(f"http://127.0.0.1:{port}/api/symlink/scans", json={}, headers=header, timeout=10)
        assert started.status_code == 202, started.text
        wait_for(lambda: len(psutil.Process(server.pid).children(recursive=True)) >= 3, timeout=30,
                 what="worker processes")
        children = psutil.Process(server.pid).children(recursive=True)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
        _gone, alive = psutil.wait_procs(children, timeout=30)
        assert alive == [], [(p.pid, p.name()) for p in alive]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()



@pytest.mark.parametrize("recorded", [None, "", ".", "..", "/", "/etc", "STAGING_ROOT"])
def test_an_import_never_takes_files_from_outside_its_staging_folder(tmp_path: Path, make_app, monkeypatch,
                                                                     recorded) -> None:
    """An entry without a staging folder once imported from the working directory: a ``.ts`` file became the
    "movie" and every ``.idx`` (git's pack indexes) its "subtitles"."""
    from app.seedbox import pipeline

    work = tmp_path / "work"
    (work / ".git" / "objects" / "pack").mkdir(parents=True)
    bait = [work / "index.d.ts", work / ".git" / "objects" / "pack" / "pack-1.idx", work / "notes.srt"]
    for path in bait:
        path.write_bytes(b"x" * 4096)
    monkeypatch.chdir(work)
    app = make_app()
    mms = app.extensions["mms"]
    staging, library = tmp_path / "staging", tmp_path / "library"
    staging.mkdir()
    mms.settings.save({"staging_path": str(staging), "movies_path": str(library)})
    key = "AB" * 20
    mms.mapping.add(key, "Film.2020.1080p", Mapping("movie", "Film", 2020, tmdb_id=1))
    path = str(staging) if recorded == "STAGING_ROOT" else recorded
    for state in ("completed", "transferring", "transferred"):
        mms.mapping.transition(key, state, "test", staging_path=path)
    with app.app_context():
        result = pipeline.process_once()
    entry = mms.mapping.get(key)
    assert result.failed == 1 and entry["state"] == "import_failed", entry
    assert "staging" in entry["error"]
    assert all(p.exists() for p in bait) and not library.exists()


def test_the_pending_map_is_paged_newest_first(api) -> None:
    mms = api.client.application.extensions["mms"]
    for i in range(7):
        mms.mapping.add(f"{i:040X}", f"Film.{i}", Mapping("movie", f"Film {i}", 2020, tmdb_id=i + 1))
    mms.mapping.transition(f"{3:040X}", "transfer_failed", "cut")
    first = api.call("GET", "/api/pending?page_size=3").json
    assert first["total"] == 7 and len(first["entries"]) == 3 and first["counts"] == {"downloading": 6,
                                                                                     "transfer_failed": 1}
    created = [e["created_at"] for e in first["entries"]]
    assert created == sorted(created, reverse=True)
    third = api.call("GET", "/api/pending?page_size=3&page=3").json
    assert len(third["entries"]) == 1
    failed = api.call("GET", "/api/pending?state=transfer_failed").json
    assert [e["info_hash"] for e in failed["entries"]] == [f"{3:040X}"] and failed["total"] == 1
    for bad in ("page=0", "page_size=5000", "state=nope", "page=abc"):
        assert api.call("GET", f"/api/pending?{bad}").status_code == 400, bad


def test_staging_cleanup_removes_only_what_the_entry_brought(tmp_path: Path, make_app) -> None:
    from app.seedbox import pipeline

    app = make_app()
    mms = app.extensions["mms"]
    staging = tmp_path / "staging"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.nfo").write_text("not the entry's")
    folder = staging / ("CD" * 20)
    (folder / "Film" / "Sample").mkdir(parents=True)
    (folder / "Film" / "Film.nfo").write_text("nfo")
    (folder / "Film" / "Sample" / "sample.mkv").write_bytes(b"x" * 1000)
    (folder / "Film" / "link.nfo").symlink_to(outside / "keep.nfo")  # a link: the link goes, its target stays
    (folder / "Film" / "Bonus.mkv").write_bytes(b"x" * 5000)  # a video nobody imported: kept
    (staging / "other-entry").mkdir()
    (staging / "other-entry" / "x.nfo").write_text("another entry's")
    mms.settings.save({"staging_path": str(staging)})
    with app.app_context():
        report = pipeline.clean_staging({"staging_path": str(folder)}, mms.settings.load())
    assert "3 leftover file(s) removed" in report and "1 empty folder(s) removed" in report
    assert sorted(p.name for p in folder.rglob("*")) == ["Bonus.mkv", "Film"]
    assert (outside / "keep.nfo").read_text() == "not the entry's"
    assert (staging / "other-entry" / "x.nfo").exists()
    (folder / "Film" / "Bonus.mkv").unlink()
    with app.app_context():
        assert "2 empty folder(s) removed" in pipeline.clean_staging({"staging_path": str(folder)},
                                                                    mms.settings.load())
    assert not folder.exists() and staging.is_dir()
