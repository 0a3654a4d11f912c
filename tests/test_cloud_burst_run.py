"""A whole cloud burst run (issue 16, items 4 and 5) on real components: a local OpenSSH sshd is "your own
host"; on it, a real ``rclone mount`` (FUSE) of a local S3 server (moto); the run's Plex is the Plex emulator,
reached through the run's SSH tunnel; Docker (no engine here) is a small script on the host that records its
commands, writes Plex's Preferences.xml and logs like the real container. The database goes up remapped,
the emulator's "scan" adds a film to it on the host, it comes home over SFTP, is remapped back, passes the
guard and is installed. MMS killed with SIGKILL mid-scan resumes. A Scaleway run, with the official SDK
against the instance API emulator, is cancelled and its machine destroyed."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.cloud_burst import runs, service
from app.cloud_burst.runner import archive_path
from tests import plexdb
from tests.emulators.plex import PlexEmulator
from tests.emulators.scaleway import ScalewayEmulator
from tests.test_cloud_burst_mount import s3  # noqa: F401 - the moto S3 fixture
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[1]
PMS = "plex/Library/Application Support/Plex Media Server"
SECRET = "0b5a7d36-32cc-4a53-9e3f-8b2b1b1fbe0c"
DOCKER_SHIM = """#!/bin/bash
# Docker stand-in on the test host (no Docker engine here): records each command, keeps container states.
here="$(dirname "$0")"; state="$here/containers"; mkdir -p "$state"
echo "$*" >> "$here/docker.log"
case "$1" in
  version) echo "Docker stand-in 1.0" ;;
  pull) echo "pulled $2" >> "$here/pulled" ;;
  inspect) [ -e "$state/$2" ] ;;
  start) [ -e "$state/$2" ] && echo running > "$state/$2" ;;
  stop) shift; [ "$1" = -t ] && shift 2; [ -e "$state/$1" ] && echo stopped > "$state/$1"; true ;;
  rm) shift; [ "$1" = -f ] && shift; rm -f "$state/$1"; true ;;
  run)
    shift; name=""; conf=""; envs=""
    while [ $# -gt 1 ]; do
      case "$1" in
        --name) name="$2"; shift 2 ;;
        --env-file) envs="$(cat "$2")"; shift 2 ;;
        -v) case "$2" in *:/config) conf="${2%:/config}" ;; esac; shift 2 ;;
        -e|--network) shift 2 ;;
        *) shift ;;
      esac
    done
    grep -q "pulled $1" "$here/pulled" || { echo "image $1 not pulled" >&2; exit 1; }
    printf '%s\\n' "$envs" > "$here/env-$name"
    pms="$conf/Library/Application Support/Plex Media Server"
    mkdir -p "$pms/Logs" "$pms/Metadata/Movies/a/abc.bundle"
    echo '<?xml version="1.0" encoding="utf-8"?><Preferences PlexOnlineToken="TOKEN" />' > "$pms/Preferences.xml"
    echo "Plex Media Server started" > "$pms/Logs/Plex Media Server.log"
    echo "<Movie/>" > "$pms/Metadata/Movies/a/abc.bundle/Info.xml"
    echo running > "$state/$name"; echo "container-$name" ;;
  *) echo "unknown $1" >&2; exit 1 ;;
esac
"""


@pytest.fixture
def burst(tmp_path: Path, sshd, s3, make_app):  # noqa: F811 - s3 is the fixture imported above
    """The home Plex data folder with a database, the host's folders, the Docker stand-in, the Plex
    emulator, and an app whose settings point at them."""
    data = tmp_path / "home-plex"
    (data / "Plug-in Support" / "Databases").mkdir(parents=True)
    home_db = data / "Plug-in Support" / "Databases" / "com.plexapp.plugins.library.db"
    plexdb.build(home_db, {"Films": ["/data/media/Films"], "Concerts": ["/data/media/Concerts"]}, 30)
    tools = tmp_path / "host-tools"
    tools.mkdir()
    shim = tools / "docker"
    shim.write_text(DOCKER_SHIM)
    shim.chmod(0o755)
    mountpoint = tmp_path / "mnt"
    plex = PlexEmulator().start()
    shim.write_text(DOCKER_SHIM.replace("TOKEN", plex.token))
    plex.add_section("Films", "movie", f"{mountpoint}/Films")
    plex.add_section("Concerts", "movie", f"{mountpoint}/Concerts")
    app = make_app()
    app.extensions["mms"].settings.save({
        "plex_data_path": str(data), "cloud_burst_provider": "own_host", "cloud_burst_host": sshd.host,
        "cloud_burst_ssh_port": sshd.port, "cloud_burst_ssh_user": sshd.username,
        "cloud_burst_ssh_key_path": str(sshd.key_path), "cloud_burst_remote_root": str(tmp_path / "host-runs"),
        "cloud_burst_mount_path": str(mountpoint),
        "cloud_burst_path_mappings": [{"home": "/data/media", "cloud": str(mountpoint)}],
        "cloud_burst_docker": str(shim), "cloud_burst_plex_port": plex.port, "cloud_burst_s3_endpoint": s3,
        "cloud_burst_s3_region": "us-east-1", "cloud_burst_s3_bucket": "media",
        "cloud_burst_s3_access_key": "mms", "cloud_burst_s3_secret_key": "mms-secret", "cloud_burst_check_s": 1,
    })
    added: list[int] = []

    def scanner(section: int) -> None:
        """Plex's scanner on the host: section 1 finds a new film (written with its cloud path)."""
        if section != 1 or added:
            return
        remote_db = _remote_db(tmp_path)
        conn = sqlite3.connect(remote_db)
        conn.execute("INSERT INTO metadata_items (id, library_section_id, metadata_type, guid, title) VALUES "
                     "(90001, 1, 1, 'plex://movie/new', 'Nouveau film')")
        conn.execute("INSERT INTO media_items (id, library_section_id, metadata_item_id) VALUES (90001, 1, 90001)")
        conn.execute("INSERT INTO media_parts (id, media_item_id, file, size) VALUES (90001, 90001, ?, 5)",
                     (f"{mountpoint}/Films/Nouveau film (2026)/Nouveau film.mkv",))
        conn.commit()
        conn.close()
        added.append(section)

    plex.on_scan = scanner
    yield {"app": app, "plex": plex, "home_db": home_db, "tools": tools, "mount": mountpoint, "tmp": tmp_path,
           "added": added, "data": data}
    plex.stop()
    subprocess.run(["fusermount3", "-uz", str(mountpoint)], capture_output=True, check=False)
    subprocess.run(["pkill", "-f", f"rclone mount burst:media {mountpoint}"], capture_output=True, check=False)


def _remote_db(tmp: Path) -> Path:
    """The database the run sent to the host (what Plex there works on)."""
    return next((tmp / "host-runs").glob(f"*/{PMS}/Plug-in Support/Databases/com.plexapp.plugins.library.db"))


def _ended(app, run_id: str, timeout: float = 180) -> dict:
    """The run once it is done, failed or cancelled; a timeout names the step it stayed in and its log."""
    try:
        wait_for(lambda: _state(app, run_id)["state"] in runs.TERMINAL, timeout=timeout, interval=0.2,
                 what="the end of the run")
    except AssertionError as exc:
        run = _state(app, run_id)
        log = "\n".join(f"{x.get('at', '')} {x['msgid'] % x['params']}" for x in run["log"])
        raise AssertionError(f"{exc}; still in {run['state']} (waiting for {run.get('waiting_for')}):\n{log}") \
            from None
    return _state(app, run_id)


def _state(app, run_id: str) -> dict:
    with app.app_context():
        return runs.get(run_id)


def _give_claim(app, run_id: str) -> None:
    """Give the claim token when the run asks for it, as the page's form does."""
    wait_for(lambda: _state(app, run_id)["waiting_for"] == "plex_claim", timeout=120, interval=0.2,
             what="the run asking for a claim token")
    with app.app_context():
        service.give_claim(run_id, service.ClaimBody(token="claim-AbCdEfGhIjKlMnOp1234"))


def _answer_when_asked(app, run_id: str) -> None:
    """Give the claim token, then say the home Plex is stopped, as the page's buttons do."""
    _give_claim(app, run_id)
    wait_for(lambda: _state(app, run_id)["waiting_for"] == "plex_stopped"
             or _state(app, run_id)["state"] in runs.TERMINAL, timeout=180, interval=0.2,
             what="the run asking to stop the home Plex")
    with app.app_context():
        assert runs.get(run_id)["state"] == "installing", runs.get(run_id)["log"][-5:]
        service.confirm_plex_stopped(run_id)


def _home_paths(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT file FROM media_parts")]
    finally:
        conn.close()


def test_a_delta_run_on_your_own_host_brings_the_new_film_home(burst) -> None:
    app, plex = burst["app"], burst["plex"]
    with app.app_context():
        run = service.start(service.StartRun(mode="delta", sections=[1]))
    _answer_when_asked(app, run["id"])
    done = _ended(app, run["id"])
    assert done["state"] == "done", [line["msgid"] % line["params"] for line in done["log"]][-6:]
    # every step ran, was timed, and in order
    assert [s for s in runs.STEPS if s in done["steps"]] == list(runs.STEPS)
    assert all("seconds" in done["steps"][s] for s in runs.STEPS[:-1])
    # only the chosen section was scanned, over a mount that read real bytes, through the SSH tunnel
    assert plex.scans == [(1, None)]
    assert done["sections"]["1"]["state"] == "done"
    # the film found on the host is home, with its home path; every path is a home path again
    paths = _home_paths(burst["home_db"])
    assert "/data/media/Films/Nouveau film (2026)/Nouveau film.mkv" in paths
    assert len(paths) == 61 and all(p.startswith("/data/media/") for p in paths)
    films = next(s for s in done["guard"]["sections"] if s["name"] == "Films")
    assert (films["before"], films["after"], films["refused"]) == (30, 31, False)
    # the previous home database is kept; the metadata bundle made on the host is merged in
    assert Path(done["install"]["backup"], "com.plexapp.plugins.library.db").is_file()
    assert (burst["data"] / "Metadata/Movies/a/abc.bundle/Info.xml").read_text() == "<Movie/>\n"
    # the claim token went on standard input, never on a command line; the image was pulled first
    shim_log = (burst["tools"] / "docker.log").read_text()
    assert "claim-" not in shim_log
    assert (burst["tools"] / f"env-mms-burst-{run['id']}").read_text().strip() == \
        "PLEX_CLAIM=claim-AbCdEfGhIjKlMnOp1234"
    assert shim_log.index("pull ") < shim_log.index("run -d")
    # the host is clean: no credentials, no run folder, no mount, Plex removed
    assert not list((burst["tmp"] / "host-runs").glob("*/rclone.conf"))
    assert not (burst["tmp"] / "host-runs" / run["id"]).exists()
    assert not os.path.ismount(burst["mount"])
    assert f"rm -f mms-burst-{run['id']}" in shim_log
    assert done["destroyed_at"] and done["cost"]["actual"] == 0.0
    # the run archive holds Plex's log and rclone's
    with app.app_context(), tarfile.open(archive_path(run["id"])) as archive:
        names = archive.getnames()
    assert any(n.endswith("rclone.log") for n in names)
    assert any(n.endswith("Plex Media Server.log") for n in names)


def test_a_scan_that_loses_the_library_is_refused_and_home_untouched(burst) -> None:
    app, plex = burst["app"], burst["plex"]
    before = burst["home_db"].read_bytes()

    def lose_films(section: int) -> None:
        remote_db = _remote_db(burst["tmp"])
        conn = sqlite3.connect(remote_db)
        conn.execute("UPDATE metadata_items SET deleted_at = 1 WHERE library_section_id = 1 AND id % 3 = 0")
        conn.commit()
        conn.close()

    plex.on_scan = lose_films
    with app.app_context():
        run = service.start(service.StartRun(mode="delta", sections=[1]))
    _give_claim(app, run["id"])
    failed = _ended(app, run["id"])
    assert failed["state"] == "failed" and failed["error"]["step"] == "verifying"
    films = next(s for s in failed["guard"]["sections"] if s["name"] == "Films")
    assert films["refused"] and films["lost"] == 10 and len(films["vanished"]) == 10
    assert burst["home_db"].read_bytes() == before
    assert failed["destroyed_at"]
    # the failure reaches the health page's summary
    with app.app_context():
        found = service.problems(app)
    assert any(p["subject"] == run["id"] for p in found)


def test_mms_killed_mid_scan_resumes_the_run(burst) -> None:
    app, plex = burst["app"], burst["plex"]
    plex.scans_held = True  # the scan of section 1 goes on until released
    instance = app.extensions["mms"].instance_path
    env = {**os.environ, "MMS_INSTANCE_PATH": str(instance), "MMS_BACKUP_PATH": str(burst["tmp"] / "backups")}
    env.pop("AWS_CA_BUNDLE", None)
    first = subprocess.Popen([sys.executable, "-m", "flask", "--app", "run", "cloudburst", "start", "--section", "1",
                              "--claim", "claim-AbCdEfGhIjKlMnOp1234"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: runs_in(app) and runs_in(app)[0]["sections"].get("1", {}).get("state") == "scanning",
                 timeout=120, interval=0.2, what="the scan under way in the first MMS")
    finally:
        first.send_signal(signal.SIGKILL)
        output = first.communicate(timeout=30)[0].decode()
    run = runs_in(app)[0]
    assert run["state"] == "scanning", output
    plex.scans_held = False
    second = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "cloudburst", "resume", run["id"],
                             "--plex-stopped"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    done = runs_in(app)[0]
    assert done["state"] == "done", second.stdout[-2000:] + second.stderr[-2000:]
    assert done["steps"]["scanning"]["resumed"] == 1
    assert "/data/media/Films/Nouveau film (2026)/Nouveau film.mkv" in _home_paths(burst["home_db"])
    # the container made by the first MMS was started again, not made anew
    assert f"start mms-burst-{run['id']}" in (burst["tools"] / "docker.log").read_text()


def runs_in(app) -> list[dict]:
    """The runs as stored (written by another process too)."""
    with app.app_context():
        return runs.runs()


@pytest.fixture
def scaleway(make_app, tmp_path: Path):
    emulator = ScalewayEmulator(SECRET).start()
    app = make_app()
    data = tmp_path / "home-plex"
    (data / "Plug-in Support" / "Databases").mkdir(parents=True)
    plexdb.build(data / "Plug-in Support" / "Databases" / "com.plexapp.plugins.library.db",
                 {"Films": ["/data/media/Films"]}, 5)
    app.extensions["mms"].settings.save({
        "plex_data_path": str(data), "cloud_burst_provider": "scaleway", "scaleway_api_url": emulator.url,
        "scaleway_access_key": "SCWABCDEFGHIJKLMNOPQ", "scaleway_secret_key": SECRET,
        "scaleway_project_id": "2a4f8a1e-5d1c-4a63-9e0b-7b0f0c9d8e71", "cloud_burst_ssh_port": 9,
        "cloud_burst_path_mappings": [{"home": "/data/media", "cloud": "/mnt/mms-burst"}],
        "cloud_burst_s3_bucket": "media", "cloud_burst_s3_access_key": "k", "cloud_burst_s3_secret_key": "s",
    })
    yield app, emulator
    emulator.stop()


def test_cancel_destroys_the_scaleway_machine(scaleway) -> None:
    app, emulator = scaleway
    with app.app_context():
        assert service.estimate("scaleway", 10)["estimate"] == pytest.approx(1.25)
        run = service.start(service.StartRun(planned_hours=10))
    # the machine is made, given its cloud-init, powered on; SSH (port 9) never answers
    wait_for(lambda: (emulator.actions and _state(app, run["id"])["machine"])
             or _state(app, run["id"])["state"] in runs.TERMINAL, timeout=60, interval=0.1, what="the machine")
    assert _state(app, run["id"])["state"] not in runs.TERMINAL, _state(app, run["id"])["log"]
    server_id = _state(app, run["id"])["machine"]["id"]
    user_data = emulator.user_data[(server_id, "cloud-init")].decode()
    assert user_data.startswith("#cloud-config") and "ssh-ed25519 " in user_data and "rclone" in user_data
    assert "mms-cloud-burst" in emulator.servers[server_id]["tags"]
    wait_for(lambda: _state(app, run["id"])["machine"].get("host") == "127.0.0.1", timeout=60, interval=0.1,
             what="the machine's address")
    with app.app_context():
        service.cancel(run["id"])
    wait_for(lambda: _state(app, run["id"])["state"] == "cancelled", timeout=60, interval=0.1,
             what="the cancel")
    ended = _state(app, run["id"])
    assert emulator.servers == {} and emulator.volumes == set() and emulator.ips == set()
    assert (server_id, "terminate") in emulator.actions
    assert ended["destroyed_at"] and ended["cost"]["actual"] is not None and ended["cost"]["estimate"] == 1.25


def test_the_watchdog_destroys_forgotten_machines_only(scaleway) -> None:
    app, emulator = scaleway
    old = datetime.now(UTC) - timedelta(hours=100)
    forgotten = emulator.add_server("mms-burst-dead", ["mms-cloud-burst", "run:dead"], old)
    recent = emulator.add_server("mms-burst-new", ["mms-cloud-burst"], datetime.now(UTC) - timedelta(hours=1))
    other = emulator.add_server("my-web-server", ["web"], old)
    with app.app_context():
        counts = service.watchdog(app)
    assert counts["destroyed"] == 1
    assert forgotten not in emulator.servers and {recent, other} <= set(emulator.servers)


def test_the_emulator_speaks_the_sdk_types(scaleway) -> None:
    from scaleway.instance.v1 import types

    _app, emulator = scaleway
    server = emulator.servers[emulator.add_server("x", [], datetime.now(UTC))]
    assert set(server) <= {f.name for f in dataclasses.fields(types.Server)}
    assert set(server["public_ips"][0]) <= {f.name for f in dataclasses.fields(types.ServerIp)}
    assert set(server["volumes"]["0"]) <= {f.name for f in dataclasses.fields(types.VolumeServer)}


def test_start_is_refused_while_not_configured(make_app) -> None:
    app = make_app()
    with app.app_context(), pytest.raises(runs.RunRefused) as refused:
        service.start(service.StartRun())
    assert refused.value.status == 422


def test_the_home_guard_reports_a_library_drop_after_a_scan_mms_asked_for(make_app, tmp_path: Path) -> None:
    from app.cloud_burst import home_guard

    app = make_app()
    data = tmp_path / "home-plex"
    (data / "Plug-in Support" / "Databases").mkdir(parents=True)
    db = plexdb.build(data / "Plug-in Support" / "Databases" / "com.plexapp.plugins.library.db",
                      {"Films": ["/data/media/Films"], "Docs": ["/data/media/Docs"]}, 50)
    app.extensions["mms"].settings.save({"plex_data_path": str(data)})
    with app.app_context():
        app.extensions["mms"].plex_scan_asked()  # what an import does before asking Plex to scan
        later = datetime.now(UTC) + timedelta(seconds=home_guard.SETTLE_S + 1)
        assert home_guard.check(later, busy=True) is None  # Plex still busy: not judged yet
        assert home_guard.check(datetime.now(UTC)) is None  # too soon after the scan
        conn = sqlite3.connect(db)
        conn.execute("UPDATE metadata_items SET deleted_at = 1 WHERE library_section_id = 1 AND id % 5 = 0")
        conn.commit()
        conn.close()
        verdict = home_guard.check(later)
        films = next(s for s in verdict["sections"] if s["name"] == "Films")
        assert (films["before"], films["after"], films["refused"]) == (50, 40, True)
        assert not next(s for s in verdict["sections"] if s["name"] == "Docs")["refused"]
        assert [p["subject"] for p in service.problems(app)] == ["Films"]
        # the next scan's check passes again: the warning goes away
        app.extensions["mms"].plex_scan_asked()
        assert home_guard.check(later)["ok"] and service.problems(app) == []


def test_a_mount_that_stops_reading_mid_scan_cancels_it_and_nothing_comes_home(burst) -> None:
    app, plex = burst["app"], burst["plex"]
    before = burst["home_db"].read_bytes()
    plex.scans_held = True
    with app.app_context():
        run = service.start(service.StartRun(mode="delta", sections=[1]))
    _give_claim(app, run["id"])
    wait_for(lambda: plex.scans == [(1, None)], timeout=60, interval=0.1, what="the scan under way")
    rclone = _state(app, run["id"])["rclone_pid"]
    os.kill(rclone, signal.SIGSTOP)  # the mount still lists from its cache, every read hangs
    try:
        _ended(app, run["id"])
    finally:
        for sig in (signal.SIGCONT, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.kill(rclone, sig)
    ended = _state(app, run["id"])
    log = "\n".join(x["msgid"] % x["params"] for x in ended["log"])
    assert plex.cancelled_scans == [1], log  # the monitor cancelled Plex's scan of the section
    assert ended["sections"]["1"]["state"] == "untrusted"
    assert ended["state"] == "failed" and ended["error"]["step"] == "verifying"
    assert next(s for s in ended["guard"]["sections"] if s["name"] == "Films")["untrusted"]
    assert burst["home_db"].read_bytes() == before  # nothing installed
    assert ended["destroyed_at"]


def test_a_new_user_sees_what_a_run_needs_and_cannot_start_one(api) -> None:
    page = api.client.get("/cloud-burst")
    assert page.status_code == 200
    assert page.text.count('data-ready="missing"') == 4 and "/configuration#group-cloud_burst" in page.text
    refused = api.call("POST", "/api/cloud-burst/runs", json={"mode": "delta"})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "cloud_burst_refused"
    assert "PLEX_DATA_PATH" in refused.json["error"]["message"]
    bad = api.call("POST", "/api/cloud-burst/runs", json={"mode": "sideways"})
    assert bad.status_code == 422 and "mode" in bad.json["error"]["fields"]
    assert api.call("POST", "/api/cloud-burst/runs/nope/cancel").status_code == 404
    assert api.client.get("/cloud-burst/runs/nope").status_code == 404
