"""Media health checks: broken symlinks, loops, unreadable, empty, truncated or corrupt media files.

Phase 1 (``basic_check``): a ``scandir`` walk (symlinks, and regular media files when asked), one
``stat`` that follows the link and one read of the first bytes per file — nothing read twice.
Large trees are split by top folder over worker processes. Phase 2 (``media_check``): ffprobe on
what passed (``basic`` depth: container and streams readable) or a full decode with
``ffmpeg -v error -f null -`` (``full`` depth: a truncated file passes ffprobe but not this).
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

from app.utils.media.naming import VIDEO_EXTENSIONS

CATEGORIES = ("broken_link", "link_loop", "inaccessible", "empty", "too_small", "io_error", "unreadable_media",
              "corrupt_media")
#: Bytes read from the start of each file in phase 1.
HEAD_BYTES = 4096
#: Seconds one ffprobe may take; ffmpeg's full decode gets this per started 100 MB.
PROBE_TIMEOUT_S = 60


@dataclass(frozen=True)
class Finding:
    """A problem: ``path`` (the link or file), ``category`` (see :data:`CATEGORIES`), ``target`` of a link,
    ``detail`` (the error), ``size`` in bytes when known."""

    path: str
    category: str
    target: str | None = None
    detail: str = ""
    size: int | None = None


class Checked(NamedTuple):
    """A file that passed phase 1 (goes to phase 2 when it is media): ``size`` in bytes."""

    path: str
    size: int
    is_link: bool


def _walk(root: str, include_files: bool) -> Iterator[tuple[str, bool]]:
    """``(path, is_symlink)`` for every symlink (and media file) under ``root``; links are not followed."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        yield entry.path, True
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif include_files and os.path.splitext(entry.name)[1].lower() in VIDEO_EXTENSIONS:
                        yield entry.path, False
        except PermissionError:
            yield folder, False  # reported as inaccessible by the check
        except FileNotFoundError:
            continue


def _target(path: str, is_link: bool) -> str | None:
    if not is_link:
        return None
    try:
        return os.readlink(path)
    except OSError:
        return None


def check_one(path: str, is_link: bool, min_size: int) -> Finding | Checked:
    """Phase 1 for one path: open it (following the link), ``fstat`` the descriptor, read the first bytes.

    Opening first resolves the link once (a separate ``stat`` would resolve it twice); ``O_NONBLOCK``
    keeps a FIFO from blocking. The link's target is only read (``readlink``) for a finding.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return Finding(path, "broken_link" if is_link else "io_error", _target(path, is_link), "target missing")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Finding(path, "link_loop", _target(path, is_link), "too many levels of symbolic links")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return Finding(path, "inaccessible", _target(path, is_link), "permission denied")
        return Finding(path, "io_error", _target(path, is_link), str(exc))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return Checked(path, 0, is_link)
        size = info.st_size
        if size == 0:
            return Finding(path, "empty", _target(path, is_link), "0 bytes", 0)
        try:
            os.read(fd, HEAD_BYTES)
        except OSError as exc:
            return Finding(path, "io_error", _target(path, is_link), str(exc), size)
    finally:
        os.close(fd)
    if size < min_size:
        return Finding(path, "too_small", _target(path, is_link), f"{size} bytes (< {min_size})", size)
    return Checked(path, size, is_link)


def _check_tree(root: str | list[str], include_files: bool, min_size: int) -> tuple[list[Finding], tuple, int]:
    """Phase 1 over folders: (findings, what passed as three columns (paths, sizes, is_link), entries).

    Columns of plain values cross the process boundary about twice as fast as one tuple a file.
    """
    findings: list[Finding] = []
    paths: list[str] = []
    sizes: list[int] = []
    links: list[bool] = []
    count = 0
    roots = [root] if isinstance(root, str) else root
    for path, is_link in (item for one in roots for item in _walk(one, include_files)):
        count += 1
        result = check_one(path, is_link, min_size)
        if isinstance(result, Finding):
            findings.append(result)
        elif result.size:
            paths.append(result.path)
            sizes.append(result.size)
            links.append(result.is_link)
    return findings, (paths, sizes, links), count


_pools: dict[int, ProcessPoolExecutor] = {}


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool kept for the life of the process (workers import MMS once)."""
    if workers not in _pools:
        _pools[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver"))
    return _pools[workers]


def shutdown_workers() -> None:
    """Stop the phase-1 worker processes (tests, shutdown)."""
    for pool in _pools.values():
        pool.shutdown(wait=True, cancel_futures=True)
    _pools.clear()


def basic_check(roots: list[str], *, include_files: bool = False, min_size: int = 0, workers: int = 2,
                cancelled: Callable[[], bool] = lambda: False,
                on_progress: Callable[[int], None] | None = None) -> tuple[list[Finding], list[Checked], int]:
    """Phase 1 over ``roots``: (findings, files that passed, entries checked). Top folders of each root
    are spread over ``workers`` processes; ``cancelled()`` is polled between folders."""
    units: list[str] = []
    findings: list[Finding] = []
    passed: list[Checked] = []
    count = 0
    for root in roots:
        try:
            with os.scandir(root) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        units.append(entry.path)
                    else:
                        count += 1
                        result = check_one(entry.path, entry.is_symlink(), min_size)
                        if isinstance(result, Finding):
                            findings.append(result)
                        elif result.size and (result.is_link or os.path.splitext(entry.name)[1].lower()
                                              in VIDEO_EXTENSIONS):
                            passed.append(result)
        except PermissionError:
            findings.append(Finding(root, "inaccessible", None, "permission denied"))

    def tree_results() -> Iterator[tuple[list[Finding], tuple, int]]:
        if workers <= 1 or len(units) < 2:
            for unit in units:
                if cancelled():
                    return
                yield _check_tree(unit, include_files, min_size)
            return
        pool = _worker_pool(workers)  # outlives the call: its workers stay warm
        batches = [units[i::workers * 4] for i in range(workers * 4)]  # a few tasks per worker, balanced
        futures = [pool.submit(_check_tree, batch, include_files, min_size) for batch in batches if batch]
        for future in futures:
            if cancelled():
                for other in futures:
                    other.cancel()
                return
            yield future.result()

    for f, p, c in tree_results():
        findings += f
        passed += map(Checked, *p)
        count += c
        if on_progress:
            on_progress(count)
    return findings, passed, count


def probe(path: str, depth: str) -> Finding | None:
    """Phase 2 for one file: ``None`` when fine, else an ``unreadable_media`` / ``corrupt_media`` finding."""
    try:
        result = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
                                 path], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return Finding(path, "unreadable_media", None, f"ffprobe took more than {PROBE_TIMEOUT_S} s")
    if result.returncode != 0 or not result.stdout.strip():
        return Finding(path, "unreadable_media", None, (result.stderr.strip() or "no stream")[:300])
    if depth != "full":
        return None
    size = os.path.getsize(path)
    timeout = PROBE_TIMEOUT_S * (1 + size // (100 * 1024 * 1024))
    try:
        decoded = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "null", "-"],
                                 capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Finding(path, "corrupt_media", None, f"decoding took more than {timeout} s")
    errors = decoded.stderr.strip()
    if decoded.returncode != 0 or errors:
        return Finding(path, "corrupt_media", None, errors.splitlines()[0][:300] if errors else "decode failed")
    return None


def media_files(passed: list[Checked]) -> list[Checked]:
    """The files phase 2 looks at: media by extension (the link's name or its target's)."""
    out = []
    for item in passed:
        name = item.path
        if item.is_link:
            try:
                name = os.path.realpath(item.path)
            except OSError:
                continue
        if Path(name).suffix.lower() in VIDEO_EXTENSIONS or Path(item.path).suffix.lower() in VIDEO_EXTENSIONS:
            out.append(item)
    return out


def mount_root(link: str, target: str) -> str:
    """The folder a link's target lives in (``/mnt/debrid/movies/x.mkv`` -> ``/mnt/debrid/movies``).

    The mount guard checks it: a deleted file leaves its folder; a dropped mount takes the folder with it.
    """
    absolute = target if os.path.isabs(target) else os.path.normpath(os.path.join(os.path.dirname(link), target))
    return os.path.dirname(absolute)
