"""Backups of ``instance/*.json`` as zip files in ``backups/``; restore with validation.

A backup is ``backups/mms-backup-YYYYmmdd-HHMMSS-ffffff.zip`` (mode 0600: it holds API keys) with
each store file at the top level, byte for byte; ``secret.json`` (the session signing key) is never in
one. Restore reads every member under limits (count, each member's and the total uncompressed size,
counted while decompressing, never trusting the header), accepts only the store names MMS knows,
validates every member against its store's schema (the settings through the settings model) before
anything is replaced, makes a safety backup, then replaces each file atomically under that file's own
lock, through :class:`~app.utils.stores.json_store.JsonStore`. A refused archive changes nothing.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from app.utils.messages import N_, Refusal
from app.utils.stores.archive_store import ArchiveError, check_database
from app.utils.stores.json_store import JsonStore, StoreCorruptError, StoreError, validate_document

BACKUP_RE = re.compile(r"^mms-backup-\d{8}-\d{6}-\d{6}(?:-[a-z]+)?\.zip$")
MEMBER_RE = re.compile(r"^[A-Za-z0-9_.-]+\.json$")
#: Seconds :meth:`BackupManager.latest` is remembered (the dashboard asks on every view).
LATEST_TTL_S = 5.0
#: Largest member accepted in an archive, in bytes, once decompressed (a store is far smaller).
MAX_MEMBER_BYTES = 64 * 1024 * 1024
#: Largest total accepted, in bytes, all members decompressed.
MAX_TOTAL_BYTES = 256 * 1024 * 1024
#: Most members accepted in one archive.
MAX_MEMBERS = 64
#: Never backed up, never restored: each install keeps its own session signing key.
NEVER_BACKED_UP = frozenset({"secret.json"})
_CHUNK = 1024 * 1024


class BackupError(Refusal):
    """A backup name or archive is refused; the message says why. Nothing was changed."""


class BackupNotFound(BackupError):
    """No backup by that name."""


class BackupCorrupt(BackupError):
    """The archive is damaged (bad CRC, truncated member): answered as 422."""


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
        self._latest: tuple[float, BackupInfo | None] | None = None
        #: SQLite databases backed up beside the JSON stores: file name -> an object with ``path``,
        #: ``backup_bytes()`` (a consistent copy, SQLite's online backup API) and ``replace_with(bytes)``
        #: (checks the copy, then puts it in place).
        self.databases: dict[str, Any] = {}

    # -- helpers -----------------------------------------------------------------
    def _store_files(self) -> list[Path]:
        return sorted(p for p in self.instance_path.glob("*.json") if p.is_file() and p.name not in NEVER_BACKED_UP)

    def path_of(self, name: str) -> Path:
        """The archive file for ``name``, kept inside ``backups/``. Raises :class:`BackupNotFound`."""
        if not BACKUP_RE.match(name):
            raise BackupNotFound(N_("%(name)s is not a backup name"), name=repr(name))
        path = (self.backup_path / name).resolve()
        if path.parent != self.backup_path.resolve() or not path.is_file():
            raise BackupNotFound(N_("backup %(name)s does not exist"), name=name)
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
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in self._store_files():
                raw = path.read_bytes()
                try:
                    validate_document(raw, None, path.name)
                except StoreError:
                    skipped.append(path.name)
                    continue
                archive.writestr(path.name, raw)
            for name, database in sorted(self.databases.items()):
                if database.path.exists():
                    archive.writestr(name, database.backup_bytes())
            if skipped:
                archive.comment = ("left out (unreadable): " + ", ".join(skipped)).encode()
        tmp.replace(target)
        self._latest = None
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

    def latest(self) -> BackupInfo | None:
        """The newest readable archive (only that one is opened), or ``None``; remembered for
        :data:`LATEST_TTL_S` seconds (this object's own creations and deletions are seen at once)."""
        cached = self._latest
        if cached is not None and time.monotonic() - cached[0] < LATEST_TTL_S:
            return cached[1]
        found = self._find_latest()
        self._latest = (time.monotonic(), found)
        return found

    def _find_latest(self) -> BackupInfo | None:
        if not self.backup_path.is_dir():
            return None
        names = sorted((p.name for p in self.backup_path.iterdir() if BACKUP_RE.match(p.name)), reverse=True)
        for name in names:
            try:
                return self._info(self.backup_path / name)
            except (zipfile.BadZipFile, OSError):
                continue
        return None

    def delete(self, name: str) -> None:
        """Delete one archive. Raises :class:`BackupNotFound`."""
        self.path_of(name).unlink()
        self._latest = None

    def prune(self, keep: int) -> list[str]:
        """Delete the oldest archives beyond ``keep``; returns the names deleted."""
        doomed = [b.name for b in self.list()[keep:]]
        for name in doomed:
            (self.backup_path / name).unlink(missing_ok=True)
        self._latest = None
        return doomed

    # -- restore -------------------------------------------------------------------
    def _read_members(self, source: Path | IO[bytes], known: frozenset[str] | None = None) -> dict[str, bytes]:
        """Every member's bytes, read under the limits; raises :class:`BackupError` (or
        :class:`BackupCorrupt` for a damaged archive) at the first member refused."""
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupError(N_("not a zip archive (%(reason)s)"), reason=str(exc)) from None
        members: dict[str, bytes] = {}
        total = 0
        with archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise BackupError(N_("the archive holds %(count)s members (at most %(limit)s)"), count=len(infos),
                                  limit=MAX_MEMBERS)
            for info in infos:
                name = info.filename
                if info.is_dir() or "/" in name or "\\" in name or name.startswith(".") or ".." in name:
                    raise BackupError(N_("member %(name)s is not a plain file name in instance/"), name=repr(name))
                database = name in self.databases
                if not database and not MEMBER_RE.match(name):
                    raise BackupError(N_("member %(name)s is not a JSON file"), name=repr(name))
                if name in NEVER_BACKED_UP:
                    raise BackupError(N_("member %(name)s is never restored (each install keeps its own key)"),
                                      name=name)
                if known is not None and name not in known and not database:
                    raise BackupError(N_("member %(name)s is not a store MMS knows"), name=name)
                if name in members:
                    raise BackupError(N_("member %(name)s appears twice"), name=name)
                raw = self._read_limited(archive, info, MAX_TOTAL_BYTES - total)
                total += len(raw)
                if database:
                    if not raw.startswith(b"SQLite format 3\x00"):
                        raise BackupError(N_("member %(name)s is not a valid store (%(reason)s)"), name=name,
                                          reason="not an SQLite database")
                    members[name] = raw
                    continue
                try:
                    validate_document(raw, None, name)
                except StoreCorruptError as exc:
                    raise BackupError(N_("member %(name)s is not a valid store (%(reason)s)"), name=name,
                                          reason=exc.reason) from None
                members[name] = raw
        if not members:
            raise BackupError(N_("the archive holds no store file"))
        return members

    @staticmethod
    def _read_limited(archive: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> bytes:
        """A member's bytes, decompressed in 1 MiB steps and refused as soon as they pass
        :data:`MAX_MEMBER_BYTES` or ``room`` (what the total limit leaves), whatever the header claims."""
        limit = min(MAX_MEMBER_BYTES, room)
        if info.file_size > limit:
            raise BackupError(N_("member %(name)s is too large (%(size)s bytes)"), name=info.filename,
                                  size=info.file_size)
        parts: list[bytes] = []
        size = 0
        try:
            with archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise BackupError(N_("member %(name)s is larger than %(limit)s bytes once decompressed"),
                                          name=info.filename, limit=limit)
                    parts.append(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise BackupCorrupt(N_("member %(name)s is damaged (%(reason)s)"), name=info.filename,
                                reason=str(exc)) from None
        return b"".join(parts)

    def restore(self, source: Path | IO[bytes], stores: dict[str, JsonStore], *, keep: int | None = None,
                validators: Mapping[str, Callable[[Any], None]] | None = None) -> tuple[BackupInfo, list[str]]:
        """Restore the stores held in ``source`` (a path or an uploaded file object).

        ``stores`` maps file names (``settings.json``) to the live stores: only those names are accepted,
        and each file is replaced under its own lock. ``validators`` maps names to a function that
        raises ``ValueError`` (pydantic's ``ValidationError`` is one) when a store's data is invalid;
        every member is checked before anything is replaced. Returns the safety backup made first and the
        names restored. Raises :class:`BackupError` (nothing changed).
        """
        members = self._read_members(source, frozenset(stores))
        databases = {name: members.pop(name) for name in list(members) if name in self.databases}
        for name, raw in databases.items():
            with tempfile.TemporaryDirectory() as folder:
                candidate = Path(folder) / name
                candidate.write_bytes(raw)
                try:
                    check_database(candidate)
                except ArchiveError as exc:
                    raise BackupError(N_("member %(name)s is not a valid store (%(reason)s)"), name=name,
                                      reason=str(exc)) from None
        for name, raw in members.items():
            store = stores[name]
            try:
                validate_document(raw, store.schema_version, name)
            except StoreError as exc:
                raise BackupError(N_("%(detail)s"), detail=str(exc)) from None
            check = (validators or {}).get(name)
            if check is not None:
                try:
                    check(orjson.loads(raw)["data"])
                except ValueError as exc:
                    raise BackupError(N_("member %(name)s holds invalid values: %(reason)s"), name=name,
                                          reason=_first_line(exc)) from None
        safety = self.create(keep=None, tag="safety")
        for name, raw in members.items():
            stores[name].replace_raw(raw)
        for name, raw in databases.items():
            self.databases[name].replace_with(raw)
        if keep is not None:
            self.prune(keep)
        return safety, sorted([*members, *databases])


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[:3])[:500]
