"""Media health checks: broken symlinks, loops, unreadable, empty, truncated or corrupt media files.

Phase 1 (``basic_check``): a ``scandir`` walk (symlinks, and regular media files when asked), one
``stat`` that follows the link and one read of the first bytes per file — nothing read twice.
Large trees are split by top folder over worker processes. Phase 2 (``media_check``): ffprobe on
what passed (``basic`` depth: container and streams readable) or a full decode with
``ffmpeg -v error -f null -`` (``full`` depth: a truncated file passes ffprobe but not this).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import NamedTuple

from app.utils.media.naming import VIDEO_EXTENSIONS

#: Categories a user may delete (``inaccessible`` is a permission problem, never a reason to delete).
DELETABLE = frozenset({"broken_link", "link_loop", "empty", "too_small", "io_error", "unreadable_media",
                       "corrupt_media"})
#: Phase-1 categories (re-checked by :func:`check_one` before a deletion).
PHASE1 = frozenset({"broken_link", "link_loop", "inaccessible", "empty", "too_small", "io_error"})
CATEGORIES = ("broken_link", "link_loop", "inaccessible", "empty", "too_small", "io_error", "unreadable_media",
              "corrupt_media")
#: Bytes read from the start of each file in phase 1.
HEAD_BYTES = 4096
#: Seconds one ffprobe may take; ffmpeg's full decode gets this per started 100 MB.
PROBE_TIMEOUT_S = 60


@dataclass(frozen=True)
class Finding:
    """A problem: ``path`` (the link or file), ``category`` (see :data:`CATEGORIES`), ``target`` of a link,
    ``detail`` (the error), ``size`` in bytes when known. Build it with :func:`finding`."""

    path: str
    category: str
    target: str | None = None
    detail: str = ""
    size: int | None = None
    #: Whether the user may delete it: a media file (by extension) in a deletable category.
    deletable: bool = False
    #: :func:`fingerprint` of the path when it was found; a deletion re-checks it.
    fingerprint: tuple | None = None


class Checked(NamedTuple):
    """A file that passed phase 1 (goes to phase 2 when it is media): ``size`` in bytes."""

    path: str
    size: int
    is_link: bool


def is_media_name(name: str, extensions: frozenset[str] = VIDEO_EXTENSIONS) -> bool:
    """Whether a file name ends with one of the media ``extensions`` (``.mkv``...), case-insensitive."""
    return os.path.splitext(name)[1].lower() in extensions


def is_media(path: str, is_link: bool, extensions: frozenset[str] = VIDEO_EXTENSIONS) -> bool:
    """Whether ``path`` is a media file by its name, or (a link) by its target's name. Sidecars
    (``.srt``, ``.nfo``, ``poster.jpg``, ``.plexignore``) are not."""
    if is_media_name(path, extensions):
        return True
    target = _target(path, is_link)
    return bool(target) and is_media_name(target, extensions)


def fingerprint(path: str) -> tuple | None:
    """What identifies ``path`` now: ``(is_link, inode, size, mtime_ns, link text, target inode, target
    size, target mtime_ns)`` from ``lstat`` (and ``stat`` of a link's target, ``None`` parts when it
    cannot be reached); ``None`` when ``path`` is gone. Sizes in bytes."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    is_link = stat.S_ISLNK(info.st_mode)
    text = target_ino = target_size = target_mtime = None
    if is_link:
        text = _target(path, True)
        try:
            target = os.stat(path)
            target_ino, target_size, target_mtime = target.st_ino, target.st_size, target.st_mtime_ns
        except OSError:
            pass
    return (is_link, info.st_ino, info.st_size, info.st_mtime_ns, text, target_ino, target_size, target_mtime)


def finding(path: str, category: str, target: str | None = None, detail: str = "", size: int | None = None, *,
            is_link: bool | None = None, extensions: frozenset[str] = VIDEO_EXTENSIONS) -> Finding:
    """A :class:`Finding` with its fingerprint taken now and ``deletable`` decided (media files only)."""
    if is_link is None:
        is_link = os.path.islink(path)
    deletable = category in DELETABLE and is_media(path, is_link, extensions)
    return Finding(path, category, target, detail, size, deletable, fingerprint(path))


def _walk(root: str, include_files: bool,
          extensions: frozenset[str] = VIDEO_EXTENSIONS) -> Iterator[tuple[str, bool]]:
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
                    elif include_files and is_media_name(entry.name, extensions):
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


def check_one(path: str, is_link: bool, min_size: int,
              extensions: frozenset[str] = VIDEO_EXTENSIONS) -> Finding | Checked:
    """Phase 1 for one path: open it (following the link), ``fstat`` the descriptor, read the first bytes.

    Opening first resolves the link once (a separate ``stat`` would resolve it twice); ``O_NONBLOCK``
    keeps a FIFO from blocking. The link's target is only read (``readlink``) for a finding. Size
    problems (``empty``, ``too_small``) are only ever raised for media files: a small ``.srt`` or
    ``poster.jpg`` is what it should be.
    """
    def found(category: str, detail: str, size: int | None = None) -> Finding:
        return finding(path, category, _target(path, is_link), detail, size, is_link=is_link, extensions=extensions)

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return found("broken_link" if is_link else "io_error", "target missing")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return found("link_loop", "too many levels of symbolic links")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return found("inaccessible", "permission denied")
        return found("io_error", str(exc))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return Checked(path, 0, is_link)
        size = info.st_size
        media = size < max(min_size, 1) and is_media(path, is_link, extensions)
        if size == 0 and media:
            return found("empty", "0 bytes", 0)
        try:
            os.read(fd, HEAD_BYTES)
        except OSError as exc:
            return found("io_error", str(exc), size)
    finally:
        os.close(fd)
    if size < min_size and media:
        return found("too_small", f"{size} bytes (< {min_size})", size)
    return Checked(path, size, is_link)


def _check_tree(root: str | list[str], include_files: bool, min_size: int,
                extensions: frozenset[str] = VIDEO_EXTENSIONS) -> tuple[list[Finding], tuple, int]:
    """Phase 1 over folders: (findings, what passed as three columns (paths, sizes, is_link), entries).

    Columns of plain values cross the process boundary about twice as fast as one tuple a file.
    """
    findings: list[Finding] = []
    paths: list[str] = []
    sizes: list[int] = []
    links: list[bool] = []
    count = 0
    roots = [root] if isinstance(root, str) else root
    for path, is_link in (item for one in roots for item in _walk(one, include_files, extensions)):
        count += 1
        result = check_one(path, is_link, min_size, extensions)
        if isinstance(result, Finding):
            findings.append(result)
        elif result.size:
            paths.append(result.path)
            sizes.append(result.size)
            links.append(result.is_link)
    return findings, (paths, sizes, links), count


_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """The one process pool, kept for the life of the process (workers import MMS once). A new
    ``health_workers`` value replaces it: the old pool finishes what it runs, then its workers exit."""
    with _pools_lock:
        if workers not in _pools:
            for old in _pools.values():
                old.shutdown(wait=False, cancel_futures=False)
            _pools.clear()
            _pools[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver"))
        return _pools[workers]


def worker_pids() -> list[int]:
    """The process ids of the live phase-1 workers (tests)."""
    with _pools_lock:
        return [pid for pool in _pools.values() for pid in (getattr(pool, "_processes", None) or {})]


def shutdown_workers() -> None:
    """Stop the phase-1 worker processes (tests, shutdown)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        _pools.clear()


def basic_check(roots: list[str], *, include_files: bool = False, min_size: int = 0, workers: int = 2,
                cancelled: Callable[[], bool] = lambda: False,
                on_progress: Callable[[int], None] | None = None,
                extensions: frozenset[str] = VIDEO_EXTENSIONS) -> tuple[list[Finding], list[Checked], int]:
    """Phase 1 over ``roots``: (findings, files that passed, entries checked). Top folders of each root
    are spread over ``workers`` processes; ``cancelled()`` is polled between folders. Files directly in
    a root follow the same rule as deeper ones: symlinks, and media files when ``include_files``."""
    units: list[str] = []
    findings: list[Finding] = []
    passed: list[Checked] = []
    count = 0
    for root in roots:
        try:
            with os.scandir(root) as entries:
                for entry in entries:
                    is_link = entry.is_symlink()
                    if entry.is_dir(follow_symlinks=False):
                        units.append(entry.path)
                    elif is_link or (include_files and is_media_name(entry.name, extensions)):
                        count += 1
                        result = check_one(entry.path, is_link, min_size, extensions)
                        if isinstance(result, Finding):
                            findings.append(result)
                        elif result.size:
                            passed.append(result)
        except PermissionError:
            findings.append(finding(root, "inaccessible", None, "permission denied", is_link=False))

    def tree_results() -> Iterator[tuple[list[Finding], tuple, int]]:
        if workers <= 1 or len(units) < 2:
            for unit in units:
                if cancelled():
                    return
                yield _check_tree(unit, include_files, min_size, extensions)
            return
        pool = _worker_pool(workers)  # outlives the call: its workers stay warm
        batches = [units[i::workers * 4] for i in range(workers * 4)]  # a few tasks per worker, balanced
        futures = [pool.submit(_check_tree, batch, include_files, min_size, extensions) for batch in batches if batch]
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


def probe(path: str, depth: str, extensions: frozenset[str] = VIDEO_EXTENSIONS) -> Finding | None:
    """Phase 2 for one file: ``None`` when fine, else an ``unreadable_media`` / ``corrupt_media`` finding.

    ``basic``: ffprobe reads the container and its streams, then the last :data:`TAIL_S` seconds are
    decoded (a file cut short by a failed download keeps a header that promises the whole duration:
    its end is where it shows). ``full``: every frame is decoded.
    """

    def found(category: str, detail: str) -> Finding:
        return finding(path, category, None, detail, extensions=extensions)

    try:
        result = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type:format=duration",
                                 "-of", "json", path], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                                check=False)
    except subprocess.TimeoutExpired:
        return found("unreadable_media", f"ffprobe took more than {PROBE_TIMEOUT_S} s")
    try:
        info = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        info = {}
    if result.returncode != 0 or not info.get("streams"):
        return found("unreadable_media", (result.stderr.strip() or "no stream")[:300])
    if depth != "full":
        return _tail_check(path, info, found)
    size = os.path.getsize(path)
    timeout = PROBE_TIMEOUT_S * (1 + size // (100 * 1024 * 1024))
    try:
        decoded = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "null", "-"],
                                 capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return found("corrupt_media", f"decoding took more than {timeout} s")
    errors = decoded.stderr.strip()
    if decoded.returncode != 0 or errors:
        return found("corrupt_media", errors.splitlines()[0][:300] if errors else "decode failed")
    return None


#: Seconds decoded at the end of each file by the basic depth.
TAIL_S = 3.0
#: What ffmpeg says when the end of a file is missing.
_TRUNCATED = ("File ended prematurely", "Output file is empty", "Invalid data found", "partial file",
              "moov atom not found")


def _tail_check(path: str, info: dict, found: Callable[[str, str], Finding]) -> Finding | None:
    """Decode the last :data:`TAIL_S` seconds of ``path`` (its duration from ffprobe's ``info``)."""
    try:
        duration = float((info.get("format") or {}).get("duration") or 0)
    except ValueError:
        duration = 0.0
    if duration <= 0:
        return None  # nothing to seek to (a still image, a stream without duration): ffprobe's word stands
    try:
        decoded = subprocess.run(["ffmpeg", "-v", "warning", "-nostdin", "-ss", f"{max(0.0, duration - TAIL_S):.3f}",
                                  "-i", path, "-f", "null", "-"], capture_output=True, text=True,
                                 timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return found("corrupt_media", f"decoding the end took more than {PROBE_TIMEOUT_S} s")
    lines = [line.strip() for line in decoded.stderr.splitlines() if line.strip()]
    bad = [line for line in lines if any(marker in line for marker in _TRUNCATED)]
    if decoded.returncode != 0 or bad:
        return found("corrupt_media", "the end of the file is missing or unreadable (truncated?): "
                     + ((bad or lines or ["decode failed"])[0])[:250])
    return None


def media_files(passed: list[Checked], extensions: frozenset[str] = VIDEO_EXTENSIONS) -> list[Checked]:
    """The files phase 2 looks at: media by extension (the link's name or its target's)."""
    out = []
    for item in passed:
        name = item.path
        if item.is_link:
            try:
                name = os.path.realpath(item.path)
            except OSError:
                continue
        if is_media_name(name, extensions) or is_media_name(item.path, extensions):
            out.append(item)
    return out


def recheck(found: dict, min_size: int, extensions: frozenset[str] = VIDEO_EXTENSIONS) -> str | None:
    """Why a finding (a :class:`Finding` as a dict) must not be deleted now, or ``None`` when it still
    stands: the path still has the fingerprint it had when found (same inode, size, mtime; a link still
    a link to the same target) and is still in the same category (phase-1 checks run again; an
    ``unreadable_media`` file is probed again; a ``corrupt_media`` file is unchanged since its decode)."""
    path = found["path"]
    now = fingerprint(path)
    if now is None:
        return "gone since the scan"
    if found.get("fingerprint") is None or tuple(now) != tuple(found["fingerprint"]):
        return "changed since the scan"
    category = found["category"]
    if category in PHASE1:
        result = check_one(path, bool(now[0]), min_size, extensions)
        if not isinstance(result, Finding) or result.category != category:
            return "no longer " + category
    elif category == "unreadable_media":
        again = probe(path, "basic", extensions)
        if again is None or again.category != category:
            return "readable now"
    return None


def mount_root(link: str, target: str) -> str:
    """The folder a link's target lives in (``/mnt/debrid/movies/x.mkv`` -> ``/mnt/debrid/movies``).

    The mount guard checks it: a deleted file leaves its folder; a dropped mount takes the folder with it.
    """
    absolute = target if os.path.isabs(target) else os.path.normpath(os.path.join(os.path.dirname(link), target))
    return os.path.dirname(absolute)
