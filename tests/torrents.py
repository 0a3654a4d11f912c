"""Make real .torrent files (torf) over files written for the test."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torf


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, hex (read in blocks: files of a GiB are fine)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_file(path: Path, size: int) -> Path:
    """A file of ``size`` random bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            chunk = min(remaining, 1 << 20)
            handle.write(os.urandom(chunk))
            remaining -= chunk
    return path


def make_torrent(content: Path) -> tuple[bytes, str]:
    """(.torrent bytes, info hash upper case) for a file or folder; private, no tracker."""
    # rTorrent ignores a torrent without an announce URL: a local one that never answers
    torrent = torf.Torrent(path=content, private=True, created_by="MMS tests", piece_size=2**16,
                           trackers=["http://127.0.0.1:9/announce"])
    torrent.generate()
    return torrent.dump(), torrent.infohash.upper()
