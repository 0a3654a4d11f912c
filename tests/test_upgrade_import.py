"""The import of an upgrade deletes only the old files it was chosen for, re-checked at that moment
(issue 15, item 5; the lesson "deletes that reach healthy files")."""

from __future__ import annotations

import os

import pytest

from app.seedbox import upgrade_import
from app.utils.media.naming import VIDEO_EXTENSIONS
from tests.media import make_tagged_video


def _record(path):
    stat = path.stat()
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


@pytest.fixture
def library(api, app, tmp_path):
    movies = tmp_path / "Films"
    api.call("PUT", "/api/settings", json={"values": {"movies_path": str(movies)}})
    return movies


def test_old_files_deleted_only_when_unchanged_and_inside(app, library, tmp_path) -> None:
    folder = library / "Heat (1995) {tmdb-949}"
    old_720 = make_tagged_video(folder / "Heat (1995) - 720p.mkv", audio=[("eng", "")], subtitles=["fre"])
    changed = make_tagged_video(folder / "Heat (1995) - 480p.mkv", audio=[("eng", "")])
    outside = make_tagged_video(tmp_path / "elsewhere" / "Heat.mkv", audio=[("eng", "")])
    records = [_record(old_720), _record(changed), _record(outside)]
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))  # touched since
    staging = make_tagged_video(tmp_path / "staging" / "Heat.1995.MULTi.1080p.mkv", audio=[("fre", ""), ("eng", "")])
    new = folder / "Heat (1995) - 1080p.mkv"
    assert upgrade_import.target_for(new, records) == new  # another name: placed directly
    os.replace(staging, new)
    entry = {"replaces": records, "upgrade_audio_class": "MULTI"}
    with app.app_context():
        settings = app.extensions["mms"].settings.load()
        outcomes = upgrade_import.finish(entry, [(staging, new)], settings, VIDEO_EXTENSIONS)
    assert [(o["outcome"], o["reason"]) for o in outcomes] == [
        ("replaced", "deleted after the new file was verified"),
        ("kept", "changed since the upgrade was chosen"),
        ("kept", "outside the library folders")]
    assert not old_720.exists() and changed.exists() and outside.exists() and new.exists()


def test_a_new_file_less_french_than_promised_is_refused(app, library, tmp_path) -> None:
    folder = library / "Amelie (2001) {tmdb-194}"
    old = make_tagged_video(folder / "Amelie (2001) - 1080p.mkv", audio=[("fre", "")])
    records = [_record(old)]
    staging = make_tagged_video(tmp_path / "staging" / "Amelie.2001.MULTi.1080p.mkv", audio=[("fre", "")])
    waiting = upgrade_import.target_for(old, records)
    assert waiting.name == "Amelie (2001) - 1080p.mms-new.mkv"  # beside the old file, nothing overwritten
    os.replace(staging, waiting)
    with app.app_context(), pytest.raises(upgrade_import.UpgradeRefused, match="MULTI was expected"):
        upgrade_import.finish({"replaces": records, "upgrade_audio_class": "MULTI"}, [(staging, waiting)],
                              app.extensions["mms"].settings.load(), VIDEO_EXTENSIONS)
    assert staging.exists() and not waiting.exists()  # back to staging
    assert old.exists() and _record(old) == records[0]
