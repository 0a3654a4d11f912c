"""Media health checks on real files: links, loops, empty, small, unreadable (checked as an unprivileged
user), ffmpeg-made mkv/mp4, a truncated copy (caught only at full depth), garbage named .mkv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from app.utils.media import health
from tests.emulators.arr import RadarrEmulator, SonarrEmulator
from tests.media import make_video
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534
MIN_SIZE = 2048


@pytest.fixture
def tree():
    """A media root of symlinks into a "mount" of targets, world-traversable (for the unprivileged check)."""
    base = Path(tempfile.mkdtemp(dir="/tmp", prefix="mms-health-"))
    base.chmod(0o755)
    mount, media = base / "mount", base / "media"
    movies, shows = media / "Movies", media / "TV Shows"
    for folder in (mount, movies, shows):
        folder.mkdir(parents=True)
    good_mkv = make_video(mount / "good.mkv", 1.0)
    good_mp4 = make_video(mount / "good.mp4", 1.0)
    long = make_video(mount / "long.mkv", 3.0, "320x240")
    truncated = mount / "truncated.mkv"
    truncated.write_bytes(long.read_bytes()[: long.stat().st_size // 2])
    (mount / "garbage.mkv").write_bytes(b"GARBAGE, NOT A VIDEO\n" * 400)  # deterministic: never a format
    (mount / "empty.mkv").write_bytes(b"")
    (mount / "small.mkv").write_bytes(os.urandom(1024))
    locked = mount / "locked.mkv"
    shutil.copyfile(good_mkv, locked)
    locked.chmod(0o000)
    links = {
        movies / "Good (2020)" / "Good (2020).mkv": good_mkv, movies / "Good MP4 (2020)" / "Good.mp4": good_mp4,
        movies / "Gone (2019)" / "Gone (2019).mkv": mount / "missing.mkv",
        movies / "Empty (2018)" / "Empty.mkv": mount / "empty.mkv",
        movies / "Small (2018)" / "Small.mkv": mount / "small.mkv",
        movies / "Locked (2017)" / "Locked.mkv": locked,
        shows / "Show (2020)" / "Season 01" / "Show - S01E01.mkv": truncated,
        shows / "Show (2020)" / "Season 01" / "Show - S01E02.mkv": mount / "garbage.mkv",
    }
    for link, target in links.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    loop_dir = shows / "Loop (2021)"
    loop_dir.mkdir()
    (loop_dir / "a.mkv").symlink_to(loop_dir / "b.mkv")
    (loop_dir / "b.mkv").symlink_to(loop_dir / "a.mkv")
    for folder in [base, *base.rglob("*")]:
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)
    yield {"base": base, "media": media, "mount": mount, "movies": movies, "shows": shows}
    locked.chmod(0o644)
    shutil.rmtree(base)


EXPECTED_BASIC = {
    "Gone (2019).mkv": "broken_link", "Empty.mkv": "empty", "Small.mkv": "too_small", "a.mkv": "link_loop",
    "b.mkv": "link_loop", "Show - S01E02.mkv": "unreadable_media",
    "Show - S01E01.mkv": "corrupt_media",  # truncated: its header passes ffprobe, its end does not decode
}
PHASE2 = ("unreadable_media", "corrupt_media")

def _by_name(findings) -> dict[str, str]:
    return {Path(f.path).name: f.category for f in findings}


def test_each_problem_lands_in_its_category(tree) -> None:
    findings, passed, count = health.basic_check([str(tree["media"])], min_size=MIN_SIZE, workers=2)
    phase1 = _by_name(findings)
    assert phase1 == {k: v for k, v in EXPECTED_BASIC.items() if v not in PHASE2}  # root reads everything
    assert count == 10
    basic = phase1 | _by_name(f for f in (health.probe(c.path, "basic") for c in health.media_files(passed)) if f)
    assert basic == EXPECTED_BASIC  # the truncated file passes ffprobe, not the decode of its last seconds
    full = phase1 | _by_name(f for f in (health.probe(c.path, "full") for c in health.media_files(passed)) if f)
    assert full == EXPECTED_BASIC  # a full decode finds it too


def test_unreadable_file_as_an_unprivileged_user(tree) -> None:
    # tests run as root, where chmod blocks nothing: the check runs in a child that became "nobody"
    # (a fork: this Python lives under /root, which nobody may not enter)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.close(read_fd)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            findings, _, _ = health.basic_check([str(tree["media"])], min_size=MIN_SIZE, workers=1)
            os.write(write_fd, json.dumps([[Path(f.path).name, f.category] for f in findings]).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        result = dict(json.loads(pipe.read()))
    os.waitpid(pid, 0)
    assert result["Locked.mkv"] == "inaccessible"
    assert {k: v for k, v in result.items() if k != "Locked.mkv"} == {
        k: v for k, v in EXPECTED_BASIC.items() if v not in PHASE2}


def _settings(api, tree, **extra) -> None:
    values = {"media_root": str(tree["media"]), "health_min_size_kib": 2, "health_workers": 2, **extra}
    assert api.call("PUT", "/api/settings", json={"values": values}).status_code == 200


def _finish(api, scan_id: str) -> dict:
    return wait_for(lambda: (lambda s: s if s["state"] not in ("pending", "running") else None)(
        api.call("GET", f"/api/symlink/scans/{scan_id}").json), timeout=60, what="the scan")


def test_dry_run_deletes_nothing_real_mode_deletes_the_confirmed_list(api, tree) -> None:
    _settings(api, tree)
    dry = api.call("POST", "/api/symlink/scans", json={"mode": "dry", "depth": "basic"})
    assert dry.status_code == 202
    result = _finish(api, dry.json["id"])
    assert {Path(f["path"]).name: f["category"] for f in result["findings"]} == EXPECTED_BASIC
    assert result["counts"]["broken_link"] == 1 and result["estimate_s"] is not None
    refused = api.call("POST", f"/api/symlink/scans/{dry.json['id']}/delete",
                       json={"paths": [result["findings"][0]["path"]]})
    assert refused.status_code == 409  # a dry run deletes nothing
    before = sorted(str(p) for p in tree["media"].rglob("*"))
    real = _finish(api, api.call("POST", "/api/symlink/scans", json={"mode": "real", "paths": ["Movies"]}).json["id"])
    found = [f["path"] for f in real["findings"]]
    assert sorted(Path(p).name for p in found) == ["Empty.mkv", "Gone (2019).mkv", "Small.mkv"]
    assert sorted(str(p) for p in tree["media"].rglob("*")) == before  # nothing deleted before confirmation
    later = tree["movies"] / "Later (2022)" / "Later.mkv"
    later.parent.mkdir()
    later.symlink_to(tree["mount"] / "also-missing.mkv")  # found after the scan: never deleted
    chosen = [p for p in found if not p.endswith("Small.mkv")]
    outside = api.call("POST", f"/api/symlink/scans/{real['id']}/delete", json={"paths": [*chosen, str(later)]})
    assert outside.status_code == 400 and "not in this scan" in outside.json["error"]["message"]
    deleted = api.call("POST", f"/api/symlink/scans/{real['id']}/delete", json={"paths": chosen})
    assert deleted.status_code == 200 and sorted(deleted.json["deleted"]) == sorted(chosen)
    assert not any(Path(p).is_symlink() for p in chosen)
    assert (tree["movies"] / "Small (2018)" / "Small.mkv").is_symlink() and later.is_symlink()
    history = api.call("GET", "/api/symlink/scans").json["scans"]
    assert [s["mode"] for s in history] == ["real", "dry"] and "findings" not in history[0]


def test_mount_guard_refuses_when_the_target_root_is_gone(api, tree) -> None:
    _settings(api, tree)
    scan = _finish(api, api.call("POST", "/api/symlink/scans", json={"mode": "real", "paths": ["Movies"]}).json["id"])
    hidden = tree["base"] / "mount-unplugged"
    tree["mount"].rename(hidden)  # the mount dropped: every link now looks broken
    try:
        answer = api.call("POST", f"/api/symlink/scans/{scan['id']}/delete",
                          json={"paths": [f["path"] for f in scan["findings"]]})
        assert answer.status_code == 409 and "dropped mount" in answer.json["error"]["message"]
        assert all(Path(f["path"]).is_symlink() for f in scan["findings"])
    finally:
        hidden.rename(tree["mount"])


def test_cancel_mid_phase_two_keeps_partial_results(api, tree) -> None:
    for i in range(40):
        link = tree["shows"] / "Many (2020)" / f"Many - S01E{i:02d}.mkv"
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(tree["mount"] / "long.mkv")
    _settings(api, tree, health_workers=1)
    started = api.call("POST", "/api/symlink/scans", json={"mode": "dry", "depth": "full"}).json
    wait_for(lambda: (lambda s: s["phase"] == "full" and s["done"] >= 2)(
        api.call("GET", f"/api/symlink/scans/{started['id']}").json), timeout=60, what="phase 2 under way")
    assert api.call("POST", "/api/symlink/scans", json={"mode": "dry"}).status_code == 409  # one at a time
    api.call("POST", f"/api/symlink/scans/{started['id']}/cancel")
    cancelled_at = time.monotonic()
    result = _finish(api, started["id"])
    assert time.monotonic() - cancelled_at < 3
    assert result["state"] == "cancelled" and result["counts"]["broken_link"] == 1
    assert result["done"] < result["total"]


def test_paths_outside_the_media_root_are_refused(api, tree) -> None:
    _settings(api, tree)
    for bad in ("/etc", "../mount", str(tree["mount"])):
        answer = api.call("POST", "/api/symlink/scans", json={"paths": [bad]})
        assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_path", bad
    assert api.call("GET", "/api/symlink/directories?path=/etc").status_code == 400
    folders = api.call("GET", "/api/symlink/directories").json["folders"]
    assert {f["name"]: f["symlinks"] for f in folders} == {"Movies": 6, "TV Shows": 4}


def test_rescans_reach_sonarr_and_radarr_with_path_mapping(api, tree) -> None:
    with SonarrEmulator() as sonarr, RadarrEmulator() as radarr:
        radarr.add_movie("Gone", 2019, 11, root="/movies")
        radarr.add_movie("Good", 2020, 12, root="/movies")
        sonarr.add_series("Show", 2020, 21, root="/tv")
        _settings(api, tree, sonarr_url=sonarr.url, sonarr_api_key=sonarr.api_key, radarr_url=radarr.url,
                  radarr_api_key=radarr.api_key, health_path_mappings=[
                      {"local": str(tree["movies"]), "arr": "/movies"}, {"local": str(tree["shows"]), "arr": "/tv"}])
        started = api.call("POST", "/api/symlink/scans", json={"mode": "real", "paths": ["Movies"]}).json
        scan = _finish(api, started["id"])
        gone = [f["path"] for f in scan["findings"] if f["category"] == "broken_link"]
        answer = api.call("POST", f"/api/symlink/scans/{scan['id']}/delete", json={"paths": gone, "search": True}).json
        assert [(a["service"], a["path"]) for a in answer["arr"]] == [("Radarr", "/movies/Gone (2019)")]
        shown = api.call("GET", "/api/symlink/map", query_string={"path": str(tree["shows"] / "Show (2020)")}).json
        assert shown["arr_path"] == "/tv/Show (2020)"
        assert api.call("GET", "/api/symlink/map?path=/elsewhere").json["arr_path"] is None
        gone_id = next(m["id"] for m in radarr.movies.values() if m["title"] == "Gone")
        assert [radarr.command_bodies[c["id"]] for c in radarr.commands] == [
            {"name": "RescanMovie", "movieId": gone_id}, {"name": "MoviesSearch", "movieIds": [gone_id]}]
        assert sonarr.commands == []
    detect = api.call("GET", "/api/symlink/services/detect").json
    assert detect["available"] is False and detect["message"]


def test_cli_summary_json_and_exit_code(tree) -> None:
    env = {**os.environ, "MEDIA_ROOT": str(tree["media"]), "HEALTH_MIN_SIZE_KIB": "2",
           "MMS_INSTANCE_PATH": str(tree["base"] / "instance"), "MMS_BACKUP_PATH": str(tree["base"] / "backups")}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "symlink", "scan", str(tree["movies"]),
                          "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["counts"]["broken_link"] == 1 and report["counts"]["too_small"] == 1
    assert {(Path(f["path"]).name, f["category"]) for f in report["findings"]} == {
        ("Gone (2019).mkv", "broken_link"), ("Empty.mkv", "empty"), ("Small.mkv", "too_small")}
    clean = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "symlink", "scan",
                            str(tree["movies"] / "Good (2020)")], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120, check=False)
    assert clean.returncode == 0 and "no problem" in clean.stdout
