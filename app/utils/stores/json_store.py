"""Crash-safe JSON files in ``instance/``: the only code that writes them.

Every file is a JSON object ``{"schema_version": N, "data": ...}``. A write is a
read-modify-write under a :class:`filelock.FileLock` (one lock file per store, in
``instance/.locks/``), written to a temporary file in the same folder, flushed,
``fsync``'ed and moved over the old file with :func:`os.replace`, so a reader
(which never takes the lock) sees either the old or the new file, never half of
one. A kill -9 in the middle of a write leaves at most a stray ``.*.tmp`` file.

A file that cannot be parsed is never reset: a copy is kept in
``instance/corrupt/`` and every read or write raises :class:`StoreCorruptError`
until the user restores a backup or resets the store explicitly
(:meth:`JsonStore.reset_corrupt`). Rules follow ``DESIGN.md``, section JSON stores.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
from filelock import FileLock, Timeout

T = TypeVar("T")

LOCK_DIR_NAME = ".locks"
CORRUPT_DIR_NAME = "corrupt"
#: Seconds a writer waits for another writer before giving up.
DEFAULT_LOCK_TIMEOUT_S = 30.0
#: Seconds :meth:`JsonStore.read_shared` trusts its copy without looking at the file again. This object's
#: own writes are seen at once; another process's after at most this long. (Each look is a few system
#: calls, and under load every system call costs a wait for the GIL: looking on every request halved
#: the throughput of 20 concurrent clients, bench/api_load_bench.py.)
SHARED_RECHECK_S = 0.5
#: Every write stamps a fresh revision first in the file, so a writer can tell from the first
#: bytes whether the copy it parsed last is still current (no re-parse of a large file).
_REVISION_RE = re.compile(rb'^\{"revision":"([0-9a-f]{32})"')


class StoreError(Exception):
    """Base class of the JSON store errors."""


class StoreCorruptError(StoreError):
    """The file exists but is not a valid store document.

    Attributes: ``path`` (the store file), ``kept_at`` (the copy kept aside, or
    ``None`` when the copy could not be made), ``reason`` (the parser's message).
    """

    def __init__(self, path: Path, reason: str, kept_at: Path | None):
        self.path = path
        self.reason = reason
        self.kept_at = kept_at
        where = f"; a copy is kept at {kept_at}" if kept_at else ""
        super().__init__(f"{path.name} cannot be read ({reason}){where}")


class StoreLockTimeout(StoreError):
    """Another process held the store's lock for longer than the timeout (seconds)."""


class StoreSchemaError(StoreError):
    """The file was written by a newer MMS (its ``schema_version`` is higher)."""


@dataclass(frozen=True)
class StoreStatus:
    """What the health page shows about one store.

    ``state`` is one of ``ok``, ``missing`` (not written yet), ``corrupt``,
    ``newer_schema``; ``size`` is in bytes; ``detail`` is a human message.
    """

    name: str
    path: str
    state: str
    size: int
    schema_version: int | None
    detail: str = ""


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, raw: bytes) -> None:
    """Write ``raw`` to ``path`` atomically: temp file in the same folder, fsync, ``os.replace``.

    The caller holds the file's lock. Raises :class:`OSError` (disk full,
    permission) with the old file left untouched.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


class JsonStore:
    """One JSON document on disk, owned by one manager.

    ``path`` is the file (``instance/<name>.json``); ``schema_version`` the
    version this code writes; ``default`` builds the data of a missing file;
    ``migrate(data, from_version)`` upgrades older documents (optional).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        schema_version: int = 1,
        default: Callable[[], Any] = dict,
        migrate: Callable[[Any, int], Any] | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
    ):
        self.path = Path(path)
        self.name = self.path.stem
        self.schema_version = schema_version
        self._default = default
        self._migrate = migrate
        self._lock_timeout = lock_timeout
        lock_dir = self.path.parent / LOCK_DIR_NAME
        lock_dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(lock_dir / f"{self.path.name}.lock"), timeout=lock_timeout)
        # (revision, data) of the last document this object wrote or parsed under the lock.
        self._cache: tuple[str, Any] | None = None
        # (file signature, data) of the last parse by :meth:`read_shared`; replaced, never mutated.
        self._shared: tuple[tuple, Any] | None = None
        self._shared_lock = threading.Lock()
        # (monotonic time, signature) of the last look at the file by :meth:`version`.
        self._looked: tuple[float, tuple | None] | None = None

    # -- reading -----------------------------------------------------------------
    def _parse(self, raw: bytes) -> Any:
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise self._corrupt(str(exc)) from None
        if not isinstance(doc, dict) or "schema_version" not in doc or "data" not in doc:
            raise self._corrupt("not a store document (schema_version and data expected)")
        version = doc["schema_version"]
        if not isinstance(version, int):
            raise self._corrupt("schema_version is not an integer")
        if version > self.schema_version:
            raise StoreSchemaError(
                f"{self.path.name} has schema_version {version}, this MMS reads up to {self.schema_version}"
            )
        data = doc["data"]
        if version < self.schema_version and self._migrate is not None:
            data = self._migrate(data, version)
        return data

    def _corrupt(self, reason: str) -> StoreCorruptError:
        kept = self._keep_aside()
        return StoreCorruptError(self.path, reason, kept)

    def _keep_aside(self) -> Path | None:
        """Copy the unreadable file to ``instance/corrupt/`` once per distinct content."""
        try:
            stat = self.path.stat()
            folder = self.path.parent / CORRUPT_DIR_NAME
            folder.mkdir(exist_ok=True)
            target = folder / f"{self.path.name}.{stat.st_mtime_ns}.{stat.st_size}"
            if not target.exists():
                shutil.copy2(self.path, target)
            return target
        except OSError:
            return None

    def read(self) -> Any:
        """Return the current data, freshly parsed (the default when the file is missing).

        The caller owns the returned object. Raises :class:`StoreCorruptError`
        or :class:`StoreSchemaError`.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return self._default()
        return self._parse(raw)

    def signature(self) -> tuple | None:
        """``(inode, size, mtime_ns, revision)`` of the file, ``None`` when missing. Every write replaces
        the file and stamps a new random revision first in it, so an unchanged signature means an
        unchanged document (the revision covers an inode reused within one timestamp tick)."""
        try:
            with open(self.path, "rb") as handle:
                info = os.fstat(handle.fileno())
                head = handle.read(64)
        except FileNotFoundError:
            return None
        match = _REVISION_RE.match(head)
        return info.st_ino, info.st_size, info.st_mtime_ns, match.group(1) if match else None

    def version(self, fresh: bool = False) -> tuple | None:
        """:meth:`signature`, looked up at most every :data:`SHARED_RECHECK_S` seconds (this object's own
        writes reset it at once; ``fresh`` looks now)."""
        looked = self._looked
        now = time.monotonic()
        if not fresh and looked is not None and now - looked[0] < SHARED_RECHECK_S:
            return looked[1]
        signature = self.signature()
        self._looked = (now, signature)
        return signature

    def _changed(self) -> None:
        """This object wrote the file: the next :meth:`version` looks again."""
        self._looked = None

    def read_shared(self) -> Any:
        """The current data, parsed once per version of the file and shared between callers (see
        :meth:`version`: no system call at all while it is fresh). The caller must not modify it (copy
        what it hands out). Raises like :meth:`read`."""
        signature = self.version()
        if signature is None:
            return self._default()
        shared = self._shared
        if shared is not None and shared[0] == signature:
            return shared[1]
        with self._shared_lock:
            raw = self.path.read_bytes()
            data = self._parse(raw)
            after = self.signature()
            if after == signature:  # not replaced while we read it
                self._shared = (signature, data)
            else:
                self._changed()
        return data

    def exists(self) -> bool:
        """Whether the file has been written at least once."""
        return self.path.exists()

    # -- writing -----------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with self._lock:
                yield
        except Timeout:
            raise StoreLockTimeout(
                f"{self.path.name} stayed locked for more than {self._lock_timeout:g} s"
            ) from None

    def _read_for_update(self) -> Any:
        """The data to modify, under the lock: the cached copy if the file's revision is unchanged."""
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(64)
        except FileNotFoundError:
            self._cache = None
            return self._default()
        match = _REVISION_RE.match(head)
        if match and self._cache is not None and self._cache[0] == match.group(1).decode():
            return self._cache[1]
        self._cache = None
        return self.read()

    def _write(self, data: Any) -> None:
        revision = uuid.uuid4().hex
        self._cache = None
        raw = orjson.dumps({"revision": revision, "schema_version": self.schema_version, "data": data})
        self._changed()
        atomic_write_bytes(self.path, raw)
        self._changed()
        self._cache = (revision, data)

    def update(self, fn: Callable[[Any], T]) -> T:
        """Read-modify-write under the lock.

        ``fn`` receives the data, mutates it in place and may return a value,
        which ``update`` returns (a deep copy when it is a dict or a list); ``fn`` must not keep a
        reference to the data. When
        ``fn`` raises, nothing is written. Raises :class:`StoreLockTimeout`,
        :class:`StoreCorruptError`, :class:`OSError` (disk full: the old file stays).
        """
        with self.edit() as data:
            result = fn(data)
        # a copy: the data stays cached for the next update, so a caller editing what it got back
        # must not change what the next unrelated write puts on disk
        return copy.deepcopy(result) if isinstance(result, dict | list) else result

    @contextlib.contextmanager
    def edit(self) -> Iterator[Any]:
        """Context-manager form of :meth:`update`: ``with store.edit() as data: data[k] = v``."""
        with self._locked():
            data = self._read_for_update()
            self._cache = None  # until written, the data may be half-modified
            yield data
            self._write(data)

    def replace_raw(self, raw: bytes) -> None:
        """Replace the whole file with ``raw`` (a backup's bytes), byte for byte.

        ``raw`` must be a valid store document no newer than this code reads,
        else :class:`StoreCorruptError` / :class:`StoreSchemaError` is raised and
        nothing changes.
        """
        validate_document(raw, self.schema_version, self.path.name)
        with self._locked():
            self._cache = None
            self._changed()
            atomic_write_bytes(self.path, raw)
            self._changed()

    def reset_corrupt(self) -> Path | None:
        """Start the store afresh after the user chose to; the bad file is kept aside.

        Returns the path of the copy kept in ``instance/corrupt/``.
        """
        with self._locked():
            kept = self._keep_aside() if self.path.exists() else None
            self._write(self._default())
            return kept

    def status(self) -> StoreStatus:
        """Health of the file, for the health page; never raises (a file unchanged since it last parsed
        well is not parsed again)."""
        signature = self.version()
        if signature is None:
            return StoreStatus(self.name, str(self.path), "missing", 0, None, "not written yet")
        size = signature[1]
        try:
            self.read_shared()
        except StoreCorruptError as exc:
            return StoreStatus(self.name, str(self.path), "corrupt", size, None, str(exc))
        except StoreSchemaError as exc:
            return StoreStatus(self.name, str(self.path), "newer_schema", size, None, str(exc))
        return StoreStatus(self.name, str(self.path), "ok", size, self.schema_version)


def validate_document(raw: bytes, max_version: int | None, name: str) -> None:
    """Check that ``raw`` is a store document; raise :class:`StoreCorruptError` if not.

    ``max_version`` (when given) is the highest ``schema_version`` accepted.
    """
    path = Path(name)
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreCorruptError(path, str(exc), None) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("schema_version"), int) or "data" not in doc:
        raise StoreCorruptError(path, "not a store document", None)
    if max_version is not None and doc["schema_version"] > max_version:
        raise StoreSchemaError(f"{name} has schema_version {doc['schema_version']} (newer than {max_version})")

