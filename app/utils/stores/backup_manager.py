"""Backups of ``instance/*.json`` as zip files in ``backups/``; restore with validation.

A backup is ``backups/mms-backup-YYYYmmdd-HHMMSS-ffffff.zip`` holding each store
file at the top level, byte for byte. Restore makes a safety backup first,
validates every member (a plain ``*.json`` name, a valid store document), and
only then replaces each file atomically under that file's own lock, through
:class:`~app.utils.stores.json_store.JsonStore`. A refused archive changes nothing.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from app.utils.stores.json_store import JsonStore, StoreCorruptError, StoreError, validate_document

BACKUP_RE = re.compile(r"^mms-backup-\d{8}-\d{6}-\d{6}(?:-[a-z]+)?\.zip$")
MEMBER_RE = re.compile(r"^[A-Za-z0-9_.-]+\.json$")
#: Largest member accepted in an archive, in bytes (a store is far smaller).
MAX_MEMBER_BYTES = 256 * 1024 * 1024


class BackupError(ValueError):
    """A backup name or archive is refused; the message says why. Nothing was changed."""


class BackupNotFound(BackupError):
    """No backup by that name."""


@dataclass(frozen=True)
class BackupInfo:
    """One archive: ``name``, ``size`` in bytes, ``created_at`` ISO 8601 UTC, ``files`` it holds."""

    name: str
    size: int
    created_at: str
    files: tuple[str, ...]


class BackupManager:
    """Creates, lists, restores and prunes backups of the stores in ``instance_path``."""

    def __init__(self, instance_path: Path | str, backup_path: Path | str):
        self.instance_path = Path(instance_path)
        self.backup_path = Path(backup_path)

    # -- helpers -----------------------------------------------------------------
    def _store_files(self) -> list[Path]:
        return sorted(p for p in self.instance_path.glob("*.json") if p.is_file())

    def path_of(self, name: str) -> Path:
        """The archive file for ``name``, kept inside ``backups/``. Raises :class:`BackupNotFound`."""
        if not BACKUP_RE.match(name):
            raise BackupNotFound(f"{name!r} is not a backup name")
        path = (self.backup_path / name).resolve()
        if path.parent != self.backup_path.resolve() or not path.is_file():
            raise BackupNotFound(f"backup {name} does not exist")
        return path

    # -- create / list / delete ----------------------------------------------------
    def create(self, *, keep: int | None = None, tag: str = "") -> BackupInfo:
        """Zip every readable store into a new archive; prune to ``keep`` archives when given.

        Files that fail validation (corrupt) are left out and named in the
        archive comment. ``tag`` (lower-case letters) marks e.g. ``safety`` backups.
        """
        self.backup_path.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        name = f"mms-backup-{stamp}{'-' + tag if tag else ''}.zip"
        target = self.backup_path / name
        skipped = []
        tmp = target.with_suffix(".zip.tmp")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in self._store_files():
                raw = path.read_bytes()
                try:
                    validate_document(raw, None, path.name)
                except StoreError:
                    skipped.append(path.name)
                    continue
                archive.writestr(path.name, raw)
            if skipped:
                archive.comment = ("left out (unreadable): " + ", ".join(skipped)).encode()
        tmp.replace(target)
        if keep is not None:
            self.prune(keep)
        return self._info(target)

    def _info(self, path: Path) -> BackupInfo:
        with zipfile.ZipFile(path) as archive:
            files = tuple(archive.namelist())
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
        return BackupInfo(path.name, path.stat().st_size, created, files)

    def list(self) -> list[BackupInfo]:
        """Every archive, newest first."""
        if not self.backup_path.is_dir():
            return []
        infos = []
        for path in self.backup_path.iterdir():
            if BACKUP_RE.match(path.name) and path.is_file():
                try:
                    infos.append(self._info(path))
                except zipfile.BadZipFile:
                    continue
        return sorted(infos, key=lambda b: b.name, reverse=True)

    def delete(self, name: str) -> None:
        """Delete one archive. Raises :class:`BackupNotFound`."""
        self.path_of(name).unlink()

    def prune(self, keep: int) -> list[str]:
        """Delete the oldest archives beyond ``keep``; returns the names deleted."""
        doomed = [b.name for b in self.list()[keep:]]
        for name in doomed:
            (self.backup_path / name).unlink(missing_ok=True)
        return doomed

    # -- restore -------------------------------------------------------------------
    def _read_members(self, source: Path | IO[bytes]) -> dict[str, bytes]:
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupError(f"not a zip archive ({exc})") from None
        members: dict[str, bytes] = {}
        with archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or "/" in name or "\\" in name or name.startswith(".") or ".." in name:
                    raise BackupError(f"member {name!r} is not a plain file name in instance/")
                if not MEMBER_RE.match(name):
                    raise BackupError(f"member {name!r} is not a JSON file")
                if info.file_size > MAX_MEMBER_BYTES:
                    raise BackupError(f"member {name} is too large ({info.file_size} bytes)")
                raw = archive.read(info)
                try:
                    validate_document(raw, None, name)
                except StoreCorruptError as exc:
                    raise BackupError(f"member {name} is not a valid store ({exc.reason})") from None
                members[name] = raw
        if not members:
            raise BackupError("the archive holds no store file")
        return members

    def restore(self, source: Path | IO[bytes], stores: dict[str, JsonStore], *, keep: int | None = None
                ) -> tuple[BackupInfo, list[str]]:
        """Restore the stores held in ``source`` (a path or an uploaded file object).

        ``stores`` maps file names (``settings.json``) to the live stores, so
        each file is replaced under its own lock; a member with no live store is
        written through a new :class:`JsonStore` on that path. Returns the safety
        backup made first and the names restored. Raises :class:`BackupError`.
        """
        members = self._read_members(source)
        for name, raw in members.items():
            store = stores.get(name)
            if store is not None:
                try:
                    validate_document(raw, store.schema_version, name)
                except StoreError as exc:
                    raise BackupError(str(exc)) from None
        safety = self.create(keep=None, tag="safety")
        for name, raw in members.items():
            store = stores.get(name) or JsonStore(self.instance_path / name)
            store.replace_raw(raw)
        if keep is not None:
            self.prune(keep)
        return safety, sorted(members)
