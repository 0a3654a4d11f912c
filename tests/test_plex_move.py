"""Moving a movie or a series to another library root folder (issue 12, item 6): by Radarr/Sonarr when they
manage it (their move with moveFiles, MMS watching the disk), else a rename on one filesystem or a checked
copy across filesystems (here /dev/shm, a tmpfs, against the test's folder). Plex scans both folders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from app.plex_editor import move as move_module
from app.plex_editor.library import CACHE
from tests.emulators.arr import RadarrEmulator
from tests.emulators.plex import PlexEmulator
from tests.waiting import wait_for


def wait_move(api, move_id: str, timeout: float = 30.0) -> dict:
    def finished():
        record = api.call("GET", f"/api/plex-editor/moves/{move_id}").json
        return record if record["state"] != "running" else None

    return wait_for(finished, timeout, what=f"move {move_id}")


def make_movie(root: Path, name: str = "Heat (1995)") -> Path:
    folder = root / name
    (folder / "Subs").mkdir(parents=True)
    (folder / f"{name}.mkv").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    (folder / "Subs" / "fr.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nBonjour\n")
    return folder


@pytest.fixture
def roots(tmp_path):
    shm = Path("/dev/shm")
    other = Path(tempfile.mkdtemp(prefix="mms-root-", dir=shm)) if shm.is_dir() else tmp_path / "other"
    other.mkdir(exist_ok=True)
    first = tmp_path / "Movies"
    first.mkdir()
    same_fs = tmp_path / "Movies 2"
    same_fs.mkdir()
    yield first, same_fs, other
    import shutil
    shutil.rmtree(other, ignore_errors=True)


@pytest.fixture
def plex(api, roots):
    CACHE.clear()
    first, same_fs, other = roots
    emulator = PlexEmulator().start()
    section = emulator.add_section("Films", "movie", str(first))
    for n, root in enumerate(roots[1:], start=2):  # Plex sees every root folder (a section each here)
        emulator.add_section(f"Films {n}", "movie", str(root.resolve()))
    folder = make_movie(first)
    emulator.heat = emulator.add_movie(section, "Heat", 1995, tmdb=949, file=str(folder / "Heat (1995).mkv"))
    api.call("PUT", "/api/settings", json={"values": {
        "plex_url": emulator.url, "plex_token": emulator.token, "movies_path": str(first),
        "library_root_folders": [str(same_fs), str(other)]}})
    yield emulator
    emulator.stop()


def test_rename_on_one_filesystem(api, plex, roots) -> None:
    first, same_fs, _other = roots
    key = plex.heat["ratingKey"]
    targets = api.call("GET", f"/api/plex-editor/items/{key}/move").json
    assert targets["current"] == str(first.resolve()) and str(same_fs.resolve()) in targets["roots"]
    started = api.call("POST", f"/api/plex-editor/items/{key}/move", json={"root": str(same_fs)})
    assert started.status_code == 202 and started.json["method"] == "rename"
    done = wait_move(api, started.json["id"])
    assert done["state"] == "done", done
    assert (same_fs / "Heat (1995)" / "Subs" / "fr.srt").is_file() and not (first / "Heat (1995)").exists()
    assert [s[1] for s in plex.scans[-2:]] == [str(first.resolve() / "Heat (1995)"),
                                               str(same_fs.resolve() / "Heat (1995)")]


def test_checked_copy_across_filesystems(api, plex, roots, monkeypatch) -> None:
    first, _same_fs, other = roots
    if move_module.same_filesystem(str(first), str(other)):  # no second filesystem here: force the copy path
        monkeypatch.setattr(move_module, "same_filesystem", lambda a, b: False)
    original = (first / "Heat (1995)" / "Heat (1995).mkv").read_bytes()
    key = plex.heat["ratingKey"]
    started = api.call("POST", f"/api/plex-editor/items/{key}/move", json={"root": str(other)}).json
    assert started["method"] == "copy" and started["bytes_total"] == len(original) + len(
        (first / "Heat (1995)" / "Subs" / "fr.srt").read_bytes())
    done = wait_move(api, started["id"])
    assert done["state"] == "done" and done["bytes_done"] == done["bytes_total"], done
    assert (other / "Heat (1995)" / "Heat (1995).mkv").read_bytes() == original
    assert not (first / "Heat (1995)").exists() and not (other / "Heat (1995).mms-part").exists()


def test_a_failed_copy_leaves_the_source_whole(api, plex, roots, monkeypatch) -> None:
    first, _same_fs, other = roots
    monkeypatch.setattr(move_module, "same_filesystem", lambda a, b: False)
    calls = {"n": 0}
    real = move_module._copy_file

    def failing(source, target, done, progress):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(source, target, done, progress)

    monkeypatch.setattr(move_module, "_copy_file", failing)
    started = api.call("POST", f"/api/plex-editor/items/{plex.heat['ratingKey']}/move", json={"root": str(other)}).json
    done = wait_move(api, started["id"])
    assert done["state"] == "failed" and "No space" in done["message_text"]
    assert (first / "Heat (1995)" / "Heat (1995).mkv").is_file()
    assert (first / "Heat (1995)" / "Subs" / "fr.srt").is_file()
    assert not (other / "Heat (1995)").exists() and not (other / "Heat (1995).mms-part").exists()
    health = api.call("GET", "/api/health").json
    assert any(p.get("subject") == "Heat" for p in health["problems"]), health["problems"]
    assert "Heat" in api.call("GET", "/").get_data(as_text=True)  # the dashboard lists it


def test_radarr_moves_it_and_mms_watches_the_disk(api, plex, roots) -> None:
    first, same_fs, _other = roots
    with RadarrEmulator() as radarr:
        radarr.add_movie("Heat", 1995, 949, root=str(first))
        radarr.movies[next(iter(radarr.movies))]["path"] = str(first / "Heat (1995)")
        radarr.move_delay_s = 0.5
        api.call("PUT", "/api/settings", json={"values": {"radarr_url": radarr.url, "radarr_api_key": radarr.api_key}})
        started = api.call("POST", f"/api/plex-editor/items/{plex.heat['ratingKey']}/move",
                           json={"root": str(same_fs)}).json
        assert started["method"] == "radarr"
        assert api.call("GET", f"/api/plex-editor/moves/{started['id']}").json["state"] == "running"  # not a guess
        done = wait_move(api, started["id"])
    assert done["state"] == "done", done
    assert radarr.moves == [(str(first / "Heat (1995)"), str(same_fs.resolve() / "Heat (1995)"))]
    assert (same_fs / "Heat (1995)" / "Heat (1995).mkv").is_file()


def test_refusals_change_nothing(api, plex, roots, tmp_path) -> None:
    first, same_fs, _other = roots
    key = plex.heat["ratingKey"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for root in (str(outside), str(first), "/nonexistent", str(same_fs / ".." / "elsewhere")):
        answer = api.call("POST", f"/api/plex-editor/items/{key}/move", json={"root": root})
        assert answer.status_code == 422 and answer.json["error"]["message"], root
    (same_fs / "Heat (1995)").mkdir()
    taken = api.call("POST", f"/api/plex-editor/items/{key}/move", json={"root": str(same_fs)})
    assert taken.status_code == 422 and (first / "Heat (1995)" / "Heat (1995).mkv").is_file()
    assert api.call("GET", "/api/plex-editor/moves/nope").status_code == 404
