"""The ``local`` transfer backend: hard link on the same filesystem, copy (via .part) across filesystems."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from app.utils.stores.mapping_manager import Mapping
from tests.torrents import write_file


def _pending(mms, info_hash: str, source: Path) -> None:
    mms.mapping.add(info_hash, source.name, Mapping("tv", "Show", 2020, tvdb_id=1))
    mms.mapping.transition(info_hash, "completed", "finished", seedbox_path=str(source), bytes_total=0)


def test_same_filesystem_hard_links(make_app, tmp_path: Path) -> None:
    app = make_app()
    mms = app.extensions["mms"]
    pack = tmp_path / "downloads" / "Show.S01.MULTi.1080p.WEB.x264-GRP"
    files = [write_file(pack / f"Show.S01E0{i}.mkv", 10_000 + i) for i in (1, 2)]
    mms.settings.save({"transfer_backend": "local", "staging_path": str(tmp_path / "staging")})
    _pending(mms, "AA" * 20, pack)
    assert mms.jobs.execute("sftp_scanner", "manual") == "ok"
    entry = mms.mapping.get("AA" * 20)
    assert entry["state"] == "transferred" and entry["bytes_done"] == 20_003
    for source in files:
        staged = tmp_path / "staging" / ("AA" * 20) / pack.name / source.name
        assert os.stat(staged).st_ino == os.stat(source).st_ino  # a hard link, no copy


def test_other_filesystem_copies(make_app, tmp_path: Path) -> None:
    app = make_app()
    mms = app.extensions["mms"]
    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        assert os.stat(other).st_dev != os.stat(tmp_path).st_dev  # /dev/shm (tmpfs): another filesystem
        source = write_file(Path(other) / "Film.2020.1080p.mkv", 50_000)
        mms.settings.save({"transfer_backend": "local", "staging_path": str(tmp_path / "staging")})
        _pending(mms, "BB" * 20, source)
        assert mms.jobs.execute("sftp_scanner", "manual") == "ok"
        staged = tmp_path / "staging" / ("BB" * 20) / source.name
        assert staged.read_bytes() == source.read_bytes()
        assert os.stat(staged).st_ino != os.stat(source).st_ino
        assert mms.mapping.get("BB" * 20)["state"] == "transferred"
