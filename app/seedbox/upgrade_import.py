"""Importing an upgrade: the new file replaces the old one only once it is in the library and verified.

A pending entry sent as an upgrade carries ``replaces``: the library files it is meant to replace, each as
``{"path", "size", "mtime_ns"}`` measured when the upgrade was chosen. The built-in import then:

1. places the new files; one whose name is that of a file to replace is placed beside it first
   (``<name>.mms-new<ext>``), so nothing is overwritten yet;
2. verifies each new file with ffprobe (it must hold audio or video and be at least as French as promised);
   a file that fails sends every new file back to staging and the import fails: the old files stay;
3. puts each new file in place (an atomic rename over a file of the same name), then deletes the other old
   files, each re-checked at that moment: inside a library folder, same size and mtime as when the upgrade
   was chosen, not one of the new files. A file that changed is kept and said so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from app.utils.media.probe import ProbeFailed, probe
from app.utils.media.releases import FRENCH_RANK
from app.utils.paths import UnsafePathError, library_roots, resolve_inside

#: Suffix of a new file waiting for its check beside the file it will replace.
WAITING = ".mms-new"


class UpgradeRefused(Exception):
    """The new files failed their check: they went back to staging, nothing of the library changed."""


def target_for(target: Path, replaces: list[dict[str, Any]]) -> Path:
    """Where a new file goes first: beside ``target`` when ``target`` is a file to replace."""
    if any(Path(r["path"]) == target for r in replaces) and target.exists():
        return target.with_name(f"{target.stem}{WAITING}{target.suffix}")
    return target


def final_name(path: Path) -> Path:
    """The name a new file takes once verified (``X.mms-new.mkv`` -> ``X.mkv``)."""
    return path.with_name(path.name.replace(WAITING, "", 1)) if WAITING in path.name else path


def finish(entry: dict[str, Any], placed: list[tuple[Path, Path]], settings: Any,
           video_suffixes: frozenset[str]) -> list[dict[str, str]]:
    """Verify the new files (``placed``: (staging source, library path) pairs), then replace the old ones.
    Returns one outcome per old file: ``{"path", "outcome": "replaced" | "kept", "reason"}``. Raises
    :class:`UpgradeRefused` (new files back in staging) when a new video fails its check."""
    replaces = entry.get("replaces") or []
    wanted = entry.get("upgrade_audio_class")
    for _source, path in placed:
        if path.suffix.lower() not in video_suffixes:
            continue
        try:
            quality = probe(str(path))
        except ProbeFailed as exc:
            _undo(placed)
            raise UpgradeRefused(f"{final_name(path).name}: {exc}") from None
        if wanted and FRENCH_RANK.get(quality.audio_class, 0) < FRENCH_RANK.get(wanted, 0):
            _undo(placed)
            raise UpgradeRefused(f"{final_name(path).name}: audio {quality.audio_class}, {wanted} was expected")
    finals = set()
    for _source, path in placed:
        final = final_name(path)
        if final != path:
            os.replace(path, final)
        finals.add(final)
    roots = library_roots(settings)
    outcomes = []
    for old in replaces:
        path = Path(old["path"])
        if path in finals:
            outcomes.append({"path": str(path), "outcome": "replaced",
                             "reason": "same name: the new file took its place"})
            continue
        reason = _still_the_same(path, old, roots)
        if reason:
            outcomes.append({"path": str(path), "outcome": "kept", "reason": reason})
            continue
        path.unlink()
        outcomes.append({"path": str(path), "outcome": "replaced",
                         "reason": "deleted after the new file was verified"})
    return outcomes


def _still_the_same(path: Path, old: dict[str, Any], roots: list[Path]) -> str | None:
    """Why ``path`` must not be deleted now, or ``None`` when it is the very file the upgrade was chosen for."""
    inside = False
    for root in roots:
        try:
            resolve_inside(root, str(path))
            inside = True
            break
        except UnsafePathError:
            continue
    if not inside:
        return "outside the library folders"
    try:
        stat = path.lstat()
    except FileNotFoundError:
        return "already gone"
    if not path.is_file() or path.is_symlink():
        return "not a regular file any more"
    if stat.st_size != old.get("size") or stat.st_mtime_ns != old.get("mtime_ns"):
        return "changed since the upgrade was chosen"
    return None


def _undo(placed: list[tuple[Path, Path]]) -> None:
    """Send the new files back to staging (their sources), newest first."""
    for source, path in reversed(placed):
        if path.exists():
            source.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, source)  # staging may be on another filesystem
