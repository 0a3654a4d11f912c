"""Pulling a finished torrent from the seedbox into staging: SFTP (paramiko) or a local folder.

SFTP rules: remote paths are POSIX (``posixpath``, never ``os.path``); each file is
written as ``<name>.part`` and renamed only once complete and size-verified; a
transfer resumes from the bytes already on disk (a ``.part`` keeps, beside it, a
``.part.json`` with the bytes done per segment), never re-sending them.

Speed (measured in ``bench/sftp_bench.py``): a stock paramiko stream reads ~110 MB/s here; the
bulk session of :func:`~app.utils.clients.sftp.open_bulk_sftp` (255 KiB reads pipelined by one
thread in :func:`~app.utils.clients.sftp.read_ranges`, 256 KiB packets,
32 MiB window, chunked input pipe) reads 450-550 MB/s on one connection, above OpenSSH's ``sftp``.
Files above :data:`SEGMENT_THRESHOLD` can also be split into segments pulled over several
connections by worker processes (like ``lftp pget -n``), for seedboxes that shape each connection.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import posixpath
import shutil
import stat
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import paramiko

from app.utils.clients.errors import UpstreamAuthError, UpstreamError
from app.utils.clients.sftp import BULK_WINDOW, BulkSftp, SftpClient, open_bulk_sftp, read_ranges
from app.utils.stores.host_key_manager import HostKeyStore

#: Files at least this big (bytes) are pulled in parallel segments.
SEGMENT_THRESHOLD = 64 * 1024 * 1024
#: How often (bytes) a segment records its progress beside the .part file.
CHECKPOINT_BYTES = 8 * 1024 * 1024


#: Smallest channel window (bytes) under a bandwidth limit.
MIN_LIMITED_WINDOW = 1024 * 1024


def window_for(rate: float) -> int:
    """The SFTP channel window (bytes) for a bandwidth limit of ``rate`` bytes/s (0 = none): about one
    second of the rate, so a paused reader also pauses the network (the server waits on the window)."""
    if rate <= 0:
        return BULK_WINDOW
    return int(min(BULK_WINDOW, max(MIN_LIMITED_WINDOW, rate)))


class TransferError(Exception):
    """A transfer failed; ``retryable`` says whether trying again may help (not for a full disk)."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class SftpTarget:
    """How to reach the seedbox (picklable: it goes to the worker processes)."""

    host: str
    port: int
    username: str
    password: str = ""
    key_path: str = ""
    #: ``instance/ssh_host_keys.json`` (pinned host keys); empty: accept the key for this connection only.
    host_keys_path: str = ""


@dataclass(frozen=True)
class RemoteFile:
    """A file to pull: absolute ``path`` on the seedbox, ``relative`` to the torrent's root, ``size`` bytes."""

    path: str
    relative: str
    size: int


@dataclass
class Progress:
    """Bytes done/total, rate (bytes/s), ETA (s), and bytes actually read over the network this run."""

    done: int
    total: int
    rate: float
    eta: float | None
    read_this_run: int


def connect(target: SftpTarget) -> paramiko.SSHClient:
    """An authenticated SSH connection (:meth:`SftpClient.connect`). Raises :class:`TransferError`
    (not retryable when the login is refused)."""
    host_keys = HostKeyStore(target.host_keys_path) if target.host_keys_path else None
    client = SftpClient(target.host, target.port, target.username, target.password, target.key_path, host_keys)
    try:
        return client.connect()
    except UpstreamAuthError as exc:
        raise TransferError(f"SFTP login refused: {exc.message}", retryable=False) from None
    except UpstreamError as exc:
        raise TransferError(exc.message) from None


def list_remote(sftp: paramiko.SFTPClient, root: str) -> list[RemoteFile]:
    """Every file under ``root`` (or ``root`` itself if it is a file), sorted; POSIX paths."""
    attrs = sftp.stat(root)
    if not stat.S_ISDIR(attrs.st_mode):
        return [RemoteFile(root, posixpath.basename(root), int(attrs.st_size or 0))]
    found: list[RemoteFile] = []

    def walk(folder: str, prefix: str) -> None:
        for entry in sftp.listdir_attr(folder):
            remote = posixpath.join(folder, entry.filename)
            relative = posixpath.join(prefix, entry.filename) if prefix else entry.filename
            if stat.S_ISDIR(entry.st_mode or 0):
                walk(remote, relative)
            elif stat.S_ISREG(entry.st_mode or 0):
                found.append(RemoteFile(remote, relative, int(entry.st_size or 0)))

    walk(root, posixpath.basename(root.rstrip("/")))
    return sorted(found, key=lambda f: f.relative)


class _RateLimit:
    """Token bucket: at most ``rate`` bytes/s (0 = unlimited)."""

    def __init__(self, rate: float):
        self.rate = rate
        self.start = time.monotonic()
        self.sent = 0

    def take(self, amount: int) -> None:
        if self.rate <= 0:
            return
        self.sent += amount
        ahead = self.sent / self.rate - (time.monotonic() - self.start)
        if ahead > 0:
            time.sleep(ahead)


def _state_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _load_state(part: Path, segments: list[tuple[int, int]]) -> list[int]:
    """Bytes done per segment from the sidecar (0s when absent or for another layout)."""
    try:
        data = json.loads(_state_path(part).read_text())
        if data.get("segments") == [list(s) for s in segments] and part.exists():
            return [min(int(d), s[1]) for d, s in zip(data["done"], segments, strict=True)]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return [0] * len(segments)


def _save_state(part: Path, segments: list[tuple[int, int]], done: list[int]) -> None:
    tmp = _state_path(part).with_suffix(".tmp")
    tmp.write_text(json.dumps({"segments": [list(s) for s in segments], "done": done}))
    os.replace(tmp, _state_path(part))


def _pull_range(bulk: BulkSftp, remote: str, part: Path, offset: int, length: int, done: int,
                limit: _RateLimit, on_bytes: Callable[[int], None]) -> int:
    """Read ``[offset+done, offset+length)`` of ``remote`` into ``part`` at the same offsets; returns bytes read."""
    start = offset + done
    end = offset + length
    if start >= end:
        return 0
    read = 0
    with open(part, "r+b") as sink:
        sink.seek(start)
        for data in read_ranges(bulk, remote, start, end):
            sink.write(data)
            read += len(data)
            limit.take(len(data))
            on_bytes(len(data))
    return read


def _segment_worker(target: SftpTarget, remote: str, part: str, segments: list[tuple[int, int]], index: int,
                    done: int, rate: float) -> int:
    """Pull one segment in a worker process, checkpointing into ``<part>.seg<index>``; returns bytes read."""
    client = connect(target)
    checkpoint = Path(f"{part}.seg{index}")
    progress = {"done": done, "since": 0}

    def on_bytes(count: int) -> None:
        progress["done"] += count
        progress["since"] += count
        if progress["since"] >= CHECKPOINT_BYTES:
            progress["since"] = 0
            checkpoint.write_text(str(progress["done"]))

    try:
        offset, length = segments[index]
        bulk = open_bulk_sftp(client, window_for(rate))
        read = _pull_range(bulk, remote, Path(part), offset, length, done, _RateLimit(rate), on_bytes)
        checkpoint.write_text(str(progress["done"]))
        return read
    finally:
        client.close()


class SftpPuller:
    """Pull files from the seedbox into a local folder; ``connections`` workers for large files;
    ``rate_limit`` in bytes/s (0 = none); ``on_progress(Progress)`` called about once a second."""

    def __init__(self, target: SftpTarget, *, connections: int = 1, rate_limit: float = 0,
                 on_progress: Callable[[Progress], None] | None = None):
        self.target = target
        self.connections = max(1, connections)
        self.rate_limit = rate_limit
        self.on_progress = on_progress

    def pull(self, remote_root: str, local_root: Path) -> list[Path]:
        """Pull ``remote_root`` (file or folder) under ``local_root``; returns the local files.

        Raises :class:`TransferError` (``retryable=False`` for a full disk or a refused login).
        """
        client = connect(self.target)
        try:
            bulk = open_bulk_sftp(client, window_for(self.rate_limit))
            try:
                files = list_remote(bulk.sftp, remote_root)
            except FileNotFoundError:
                raise TransferError(f"{remote_root} is not on the seedbox") from None
            total = sum(f.size for f in files)
            tracker = _Tracker(total, self.on_progress)
            out = []
            for remote in files:
                final = local_root / Path(*remote.relative.split("/"))
                out.append(final)
                if final.exists() and final.stat().st_size == remote.size:
                    tracker.add_existing(remote.size)
                    continue
                final.parent.mkdir(parents=True, exist_ok=True)
                self._pull_file(bulk, remote, final, tracker)
            tracker.report(force=True)
            return out
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise TransferError("disk full in staging", retryable=False) from None
            raise TransferError(f"transfer failed: {exc}") from None
        except paramiko.SSHException as exc:
            raise TransferError(f"SSH connection lost: {exc}") from None
        finally:
            client.close()

    def _pull_file(self, bulk: BulkSftp, remote: RemoteFile, final: Path, tracker: _Tracker) -> None:
        part = final.with_name(final.name + ".part")
        parallel = remote.size >= SEGMENT_THRESHOLD and self.connections > 1
        count = self.connections if parallel else 1
        size = remote.size
        step = -(-size // count) if size else 0
        segments = [(i * step, min(step, size - i * step)) for i in range(count)] if size else [(0, 0)]
        done = _load_state(part, segments) if part.exists() else [0] * len(segments)
        if not part.exists():
            with open(part, "wb"):
                pass
        if part.stat().st_size != size:
            with open(part, "r+b") as handle:
                handle.truncate(size)
        tracker.add_existing(sum(done))
        _save_state(part, segments, done)
        if parallel:
            self._pull_segments(remote, part, segments, done, tracker)
        else:
            counted = {"read": 0, "since": 0}

            def on_bytes(n: int) -> None:
                tracker.add(n)
                counted["read"] += n
                counted["since"] += n
                if counted["since"] >= CHECKPOINT_BYTES:
                    counted["since"] = 0
                    _save_state(part, segments, [done[0] + counted["read"]])

            _pull_range(bulk, remote.path, part, 0, size, done[0], _RateLimit(self.rate_limit), on_bytes)
        if part.stat().st_size != size:
            raise TransferError(f"{remote.relative}: size {part.stat().st_size} instead of {size}")
        os.replace(part, final)
        with contextlib.suppress(FileNotFoundError):
            _state_path(part).unlink()

    def _pull_segments(self, remote: RemoteFile, part: Path, segments: list[tuple[int, int]], done: list[int],
                       tracker: _Tracker) -> None:
        rate = self.rate_limit / len(segments) if self.rate_limit else 0
        context = get_context("forkserver")
        with ProcessPoolExecutor(max_workers=len(segments), mp_context=context) as pool:
            futures = [pool.submit(_segment_worker, self.target, remote.path, str(part), segments, i, done[i], rate)
                       for i in range(len(segments))]
            base = list(done)
            while not all(f.done() for f in futures):
                time.sleep(0.5)
                current = [self._checkpoint(part, i, base[i]) for i in range(len(segments))]
                tracker.set_file(current, base)
                _save_state(part, segments, current)
            errors = [f.exception() for f in futures if f.exception() is not None]
            final = [self._checkpoint(part, i, base[i]) for i in range(len(segments))]
            tracker.set_file(final, base)
            _save_state(part, segments, final)
            for i in range(len(segments)):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{part}.seg{i}").unlink()
            if errors:
                raise errors[0]
            tracker.commit_file(final, base)

    @staticmethod
    def _checkpoint(part: Path, index: int, default: int) -> int:
        try:
            return int(Path(f"{part}.seg{index}").read_text() or default)
        except (OSError, ValueError):
            return default


class _Tracker:
    """Progress over a whole torrent; reports at most once a second."""

    def __init__(self, total: int, callback: Callable[[Progress], None] | None):
        self.total, self.callback = total, callback
        self.done = 0
        self.read = 0
        self.started = time.monotonic()
        self.last = 0.0
        self.file_extra = 0

    def add_existing(self, count: int) -> None:
        self.done += count

    def add(self, count: int) -> None:
        self.done += count
        self.read += count
        self.report()

    def set_file(self, current: list[int], base: list[int]) -> None:
        self.file_extra = sum(c - b for c, b in zip(current, base, strict=True))
        self.report()

    def commit_file(self, current: list[int], base: list[int]) -> None:
        gained = sum(c - b for c, b in zip(current, base, strict=True))
        self.done += gained
        self.read += gained
        self.file_extra = 0

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.callback is None or (not force and now - self.last < 1.0):
            return
        self.last = now
        read = self.read + self.file_extra
        rate = read / max(now - self.started, 1e-6)
        done = self.done + self.file_extra
        eta = (self.total - done) / rate if rate > 0 else None
        self.callback(Progress(done, self.total, rate, eta, read))


def copy_local(source: Path, local_root: Path, on_progress: Callable[[Progress], None] | None = None) -> list[Path]:
    """The ``local`` backend: hard-link when on the same filesystem, else copy via ``.part``; returns the files."""
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    tracker = _Tracker(total, on_progress)
    out = []
    for path in files:
        relative = path.relative_to(source.parent)
        final = local_root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        out.append(final)
        if final.exists() and final.stat().st_size == path.stat().st_size:
            tracker.add_existing(path.stat().st_size)
            continue
        try:
            os.link(path, final)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise TransferError(f"cannot link {path}: {exc}") from None
            part = final.with_name(final.name + ".part")
            try:
                shutil.copyfile(path, part)
            except OSError as copy_error:
                retryable = copy_error.errno != errno.ENOSPC
                raise TransferError("disk full in staging" if not retryable else str(copy_error), retryable) from None
            os.replace(part, final)
        tracker.add(path.stat().st_size)
    tracker.report(force=True)
    return out


def progress_dict(progress: Progress) -> dict:
    """A :class:`Progress` for JSON (rate in bytes/s, ETA in seconds)."""
    data = asdict(progress)
    data["rate"] = round(progress.rate)
    data["eta"] = round(progress.eta) if progress.eta is not None else None
    return data
