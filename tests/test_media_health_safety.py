"""Media health deletes only broken media, re-checked at delete time, inside the media root (issue 10, 1-2)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app.utils.media import health
from tests.media import make_video
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
SIDECARS = ("Film.fr.srt", "Film.nfo", "poster.jpg", ".plexignore")


@pytest.fixture
def library():
    """A media root with a movie folder of sidecars (small and empty) beside broken and good media."""
    base = Path(tempfile.mkdtemp(prefix="mms-safety-"))
    media, mount = base / "media", base / "mount"
    film = media / "Movies" / "Film (2020)"
    film.mkdir(parents=True)
    mount.mkdir()
    good = make_video(mount / "good.mkv", 1.0)
    (film / "Film.fr.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nBonjour\n")
    (film / "Film.nfo").write_text("<movie/>")
    (film / "poster.jpg").write_bytes(b"\xff\xd8\xff" + b"\0" * 100)
    (film / ".plexignore").write_bytes(b"")
    (film / "Film (2020).mkv").symlink_to(good)
    (film / "Extra.mkv").write_bytes(b"")  # an empty media file: a real problem
    (film / "Gone.mkv").symlink_to(mount / "missing.mkv")
    (film / "Gone.srt").symlink_to(mount / "missing.srt")  # a broken sidecar link: shown, never deletable
    (film / "Tiny.mkv").write_bytes(os.urandom(512))
    yield {"base": base, "media": media, "mount": mount, "film": film, "good": good}
    shutil.rmtree(base)


def _configure(api, library) -> None:
    values = {"media_root": str(library["media"]), "health_min_size_kib": 2, "health_workers": 2}
    assert api.call("PUT", "/api/settings", json={"values": values}).status_code == 200


def _scan(api, **body) -> dict:
    started = api.call("POST", "/api/symlink/scans", json=body)
    assert started.status_code == 202, started.json
    return wait_for(lambda: (lambda s: s if s["state"] not in ("pending", "running") else None)(
        api.call("GET", f"/api/symlink/scans/{started.json['id']}").json), timeout=60, what="the scan")


@pytest.mark.parametrize("include_files", [False, True])
def test_sidecars_are_never_flagged_even_at_the_scanned_folder_top(api, library, include_files) -> None:
    _configure(api, library)
    scan = _scan(api, mode="real", paths=[str(library["film"])], include_files=include_files)
    found = {Path(f["path"]).name: (f["category"], f["deletable"]) for f in scan["findings"]}
    assert not set(found) & set(SIDECARS)
    expected = {"Gone.mkv": ("broken_link", True), "Gone.srt": ("broken_link", False)}
    if include_files:
        expected |= {"Extra.mkv": ("empty", True), "Tiny.mkv": ("too_small", True)}
    assert found == expected


def test_a_request_with_one_refused_path_deletes_nothing(api, library) -> None:
    _configure(api, library)
    scan = _scan(api, mode="real", paths=["Movies"], include_files=True)
    by_name = {Path(f["path"]).name: f["path"] for f in scan["findings"]}
    for refused in (by_name["Gone.srt"], str(library["film"] / "Film.nfo"), str(library["film"] / "poster.jpg")):
        answer = api.call("POST", f"/api/symlink/scans/{scan['id']}/delete",
                          json={"paths": [by_name["Gone.mkv"], by_name["Extra.mkv"], refused]})
        assert answer.status_code == 400 and "rien n’a été supprimé" in answer.json["error"]["message"]
    assert all(os.path.lexists(p) for p in by_name.values())
    assert all((library["film"] / name).exists() for name in SIDECARS)


def test_deletion_rechecks_each_path_and_lists_exactly_what_it_deleted(api, library) -> None:
    _configure(api, library)
    scan = _scan(api, mode="real", paths=["Movies"], include_files=True)
    by_name = {Path(f["path"]).name: f["path"] for f in scan["findings"] if f["deletable"]}
    assert set(by_name) == {"Gone.mkv", "Extra.mkv", "Tiny.mkv"}
    film = library["film"]
    # after the scan: the broken link's target comes back, the empty file gets content (a fresh download)
    shutil.copyfile(library["good"], library["mount"] / "missing.mkv")
    (film / "Extra.mkv").write_bytes(library["good"].read_bytes())
    answer = api.call("POST", f"/api/symlink/scans/{scan['id']}/delete", json={"paths": list(by_name.values())})
    assert answer.status_code == 200
    assert answer.json["deleted"] == [by_name["Tiny.mkv"]]
    assert {Path(s["path"]).name for s in answer.json["skipped"]} == {"Gone.mkv", "Extra.mkv"}
    assert (film / "Gone.mkv").is_symlink() and (film / "Extra.mkv").stat().st_size > 2048
    assert not (film / "Tiny.mkv").exists()
    assert all((film / name).exists() for name in SIDECARS)
    # a link re-pointed since the scan is "changed", even if still broken
    (library["mount"] / "missing.mkv").unlink()
    rescan = _scan(api, mode="real", paths=["Movies"])
    assert [Path(f["path"]).name for f in rescan["findings"] if f["deletable"]] == ["Gone.mkv"]
    (film / "Gone.mkv").unlink()
    (film / "Gone.mkv").symlink_to(library["mount"] / "other-missing.mkv")
    again = api.call("POST", f"/api/symlink/scans/{rescan['id']}/delete",
                     json={"paths": [f["path"] for f in rescan["findings"] if f["deletable"]]})
    assert again.json["deleted"] == [] and again.json["skipped"][0]["reason"] == "changed since the scan"


def test_a_scan_not_made_by_this_process_cannot_authorise_a_deletion(make_app, library) -> None:
    from tests.conftest import ApiClient, create_admin

    first = make_app()
    client = first.test_client()
    create_admin(client)
    api = ApiClient(client)
    _configure(api, library)
    scan = _scan(api, mode="real", paths=["Movies"])
    # the same instance folder read by a new process (a restart, or a restored backup of the scans)
    second = make_app()
    other = second.test_client()
    from tests.conftest import ADMIN, form_token
    token = form_token(other.get("/login").text)
    other.post("/login", data={"csrf_token": token, "username": ADMIN[0], "password": ADMIN[1]})
    api2 = ApiClient(other)
    assert api2.call("GET", f"/api/symlink/scans/{scan['id']}").json["findings"]
    answer = api2.call("POST", f"/api/symlink/scans/{scan['id']}/delete",
                       json={"paths": [f["path"] for f in scan["findings"] if f["deletable"]]})
    assert answer.status_code == 409 and "nouvelle analyse" in answer.json["error"]["message"]
    assert (library["film"] / "Gone.mkv").is_symlink()


def test_the_media_root_is_a_wall(api, library) -> None:
    _configure(api, library)
    outside = library["base"] / "outside"
    outside.mkdir()
    (outside / "Secret.mkv").symlink_to(library["mount"] / "nope.mkv")
    (library["media"] / "Escape").symlink_to(outside)  # a folder link pointing out of the root
    bad_paths = ["Movies/..", str(library["media"]) + "/..", "Escape", "Escape/Secret.mkv", "Movies/\x00x",
                 "Movies/" + "a" * 300, "/" + "a/" * 3000]
    for bad in bad_paths:
        scan = api.call("POST", "/api/symlink/scans", json={"paths": [bad]})
        assert scan.status_code == 400 and scan.json["error"]["code"] == "invalid_path", bad
        listing = api.call("GET", "/api/symlink/directories", query_string={"path": bad})
        assert listing.status_code == 400 and listing.is_json, bad
    nul = api.call("PUT", "/api/settings", json={"values": {"media_root": "/data/\x00media"}})
    assert nul.status_code == 422 and "media_root" in nul.json["error"]["fields"]
    saved = api.call("POST", "/api/symlink/config", json={"media_root": "/tmp/\x00"})
    assert saved.status_code == 422


def test_cli_refuses_paths_outside_and_lists_what_it_deleted(library) -> None:
    env = {**os.environ, "MEDIA_ROOT": str(library["media"]), "HEALTH_MIN_SIZE_KIB": "2",
           "MMS_INSTANCE_PATH": str(library["base"] / "instance"), "MMS_BACKUP_PATH": str(library["base"] / "b")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "run", "symlink", "scan", *args], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120, check=False)

    for bad in (str(library["media"] / "Movies" / ".."), "/etc"):
        refused = cli(bad, "--json")
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
    done = cli(str(library["film"]), "--files", "--delete", "--yes", "--json")
    assert done.returncode == 1, done.stderr
    import json

    report = json.loads(done.stdout)
    assert sorted(Path(p).name for p in report["deleted"]) == ["Extra.mkv", "Gone.mkv", "Tiny.mkv"]
    assert (library["film"] / "Gone.srt").is_symlink()
    assert all((library["film"] / name).exists() for name in SIDECARS)


def test_recheck_unit(library) -> None:
    found = health.check_one(str(library["film"] / "Tiny.mkv"), False, 2048)
    assert isinstance(found, health.Finding) and found.deletable
    from dataclasses import asdict

    assert health.recheck(asdict(found), 2048) is None
    assert health.recheck(asdict(found), 100) == "no longer too_small"
    (library["film"] / "Tiny.mkv").unlink()
    assert health.recheck(asdict(found), 2048) == "gone since the scan"
