"""The quality of what is on disk: every media file of the library folders probed once by ffprobe (cached on
path + size + mtime), then filtered for people ("VOSTFR only", "720p or less", "x264 over 8 GB") and read by
the upgrade rules.

A scan walks ``library_roots`` (links to folders are not followed, so a scan stays inside them), keeps the
files whose extension is in ``health_media_extensions``, re-probes only new or changed ones, ``quality_probe_
workers`` at once (ffprobe is a process: threads wait on it, the cores work), and forgets files that are gone.
Each file fails on its own: its error is stored, counted in the job's result and shown on the health page.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.extensions import managers
from app.jobs import JobResult
from app.utils.media.probe import FileQuality, ProbeFailed, probe
from app.utils.media.releases import RESOLUTION_RANK
from app.utils.messages import N_
from app.utils.paths import library_roots
from app.utils.stores.quality_store import QualityStore
from app.utils.text import fold

#: Results written per transaction.
BATCH = 200
_scan_lock = threading.Lock()


def store() -> QualityStore:
    """The probe's cache of this instance."""
    return managers().quality


def workers(settings: Any) -> int:
    """ffprobe processes at once: the setting, or one per CPU core (at least 2: a probe mostly waits on I/O)."""
    return settings.quality_probe_workers or max(2, os.cpu_count() or 2)


def library_files(settings: Any) -> list[tuple[Path, Path, os.stat_result]]:
    """``(root, file, stat)`` of every media file under the library roots (a broken link is skipped: the
    media health checker reports those)."""
    extensions = {e.lower() for e in settings.health_media_extensions}
    out = []
    for root in library_roots(settings):
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = [d for d in subfolders if not d.startswith(".")]
            for name in names:
                if name.startswith(".") or Path(name).suffix.lower() not in extensions:
                    continue
                path = Path(folder) / name
                try:
                    out.append((root, path, path.stat()))
                except OSError:
                    continue
    return out


def _row(root: Path, path: Path, stat: os.stat_result, quality: FileQuality | None, error: str | None) -> tuple:
    values = quality.as_dict() if quality else {}
    return (str(path), str(root), stat.st_size, stat.st_mtime_ns, datetime.now(UTC).isoformat(timespec="seconds"),
            error, values.get("audio_class"), json.dumps(values.get("audio_languages", [])),
            json.dumps(values.get("subtitle_languages", [])), values.get("resolution"), values.get("width"),
            values.get("height"), values.get("codec"), values.get("hdr"), values.get("bitrate"),
            values.get("duration"), fold(path.name))


def _write(rows: list[tuple]) -> None:
    with store().transaction() as conn:
        conn.executemany("INSERT OR REPLACE INTO files (path, root, size, mtime_ns, probed_at, error, audio_class, "
                         "audio_languages, subtitle_languages, resolution, width, height, codec, hdr, bitrate, "
                         "duration, folded) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


class ScanBusy(RuntimeError):
    """A scan is already running in this process."""


def scan(max_workers: int | None = None) -> dict[str, int]:
    """Probe every new or changed library file: ``{"files"`` (found), ``"probed"`` (measured now),
    ``"cached"`` (unchanged since their measure), ``"failed"`` (files ffprobe cannot read, new or known),
    ``"removed"`` (gone since the last scan)``}``. Raises :class:`ScanBusy` when a scan runs already."""
    if not _scan_lock.acquire(blocking=False):
        raise ScanBusy("a quality scan is already running")
    try:
        settings = managers().settings.load()
        found = library_files(settings)
        known = {r["path"]: (r["size"], r["mtime_ns"]) for r in store().query("SELECT path, size, mtime_ns FROM files")}
        todo = [(root, path, stat) for root, path, stat in found
                if known.get(str(path)) != (stat.st_size, stat.st_mtime_ns)]
        counts = {"files": len(found), "probed": 0, "cached": len(found) - len(todo), "failed": 0, "removed": 0}
        rows: list[tuple] = []
        with ThreadPoolExecutor(max_workers=max_workers or workers(settings), thread_name_prefix="probe") as pool:
            futures = {pool.submit(probe, str(path)): (root, path, stat) for root, path, stat in todo}
            for future in as_completed(futures):
                root, path, stat = futures[future]
                try:
                    rows.append(_row(root, path, stat, future.result(), None))
                    counts["probed"] += 1
                except ProbeFailed as exc:
                    rows.append(_row(root, path, stat, None, str(exc)))
                if len(rows) >= BATCH:
                    _write(rows)
                    rows = []
        if rows:
            _write(rows)
        present = {str(path) for _root, path, _stat in found}
        gone = [(p,) for p in known if p not in present]
        with store().transaction() as conn:
            conn.executemany("DELETE FROM files WHERE path = ?", gone)
            failed = conn.execute("SELECT COUNT(*) FROM files WHERE error IS NOT NULL").fetchone()[0]
            conn.execute("INSERT OR REPLACE INTO state (name, value) VALUES ('last_scan', ?)",
                         (json.dumps({**counts, "removed": len(gone), "failed": failed,
                                      "at": datetime.now(UTC).isoformat(timespec="seconds")}),))
        counts["removed"] = len(gone)
        counts["failed"] = failed
        return counts
    finally:
        _scan_lock.release()


def run_scan_job() -> JobResult:
    """Body of the ``quality_probe`` job."""
    if not library_roots(managers().settings.load()):
        return JobResult.message(N_("No library folder is set: nothing to measure"))
    counts = scan()
    return JobResult.message(N_("%(files)d files: %(probed)d measured, %(cached)d unchanged, %(failed)d unreadable"),
                             counts["failed"], **counts)


# -- reading ------------------------------------------------------------------------------------------------
def _file(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["audio_languages"] = json.loads(item["audio_languages"] or "[]")
    item["subtitle_languages"] = json.loads(item["subtitle_languages"] or "[]")
    item.pop("folded", None)
    return item


def files(*, text: str = "", audio: list[str] | None = None, max_resolution: str | None = None,
          codec: str | None = None, min_size: int | None = None, errors: bool = False, page: int = 1,
          page_size: int = 50) -> dict[str, Any]:
    """Probed files matching every filter given, largest first: ``{"items", "total", "page", "page_size"}``.
    ``audio``: audio classes kept; ``max_resolution``: that resolution or less; ``codec``: ``x264``...;
    ``min_size``: bytes; ``errors``: only the files ffprobe could not read."""
    where, params = ["error IS NOT NULL" if errors else "error IS NULL"], []
    if text.strip():
        where.append("folded LIKE ?")
        params.append(f"%{fold(text.strip())}%")
    if audio:
        where.append(f"audio_class IN ({','.join('?' * len(audio))})")
        params.extend(audio)
    if max_resolution in RESOLUTION_RANK:
        allowed = [r for r, rank in RESOLUTION_RANK.items() if rank <= RESOLUTION_RANK[max_resolution]]
        where.append(f"resolution IN ({','.join('?' * len(allowed))})")
        params.extend(allowed)
    if codec:
        where.append("codec = ?")
        params.append(codec)
    if min_size:
        where.append("size >= ?")
        params.append(int(min_size))
    if not store().exists():
        return {"items": [], "total": 0, "page": page, "page_size": page_size}
    total, rows = store().page("files", where, params, "size DESC, path", page, page_size)
    return {"items": [_file(r) for r in rows], "total": total, "page": page, "page_size": page_size}


def summary() -> dict[str, Any]:
    """Counts for the page's header: ``{"audio": {class: n}, "resolution": {res: n}, "failed": n,
    "last_scan": {...} or None}``."""
    if not store().exists():
        return {"audio": {}, "resolution": {}, "failed": 0, "last_scan": None}
    audio = {r[0]: r[1] for r in store().query(
        "SELECT audio_class, COUNT(*) FROM files WHERE error IS NULL GROUP BY audio_class")}
    resolution = {r[0]: r[1] for r in store().query(
        "SELECT resolution, COUNT(*) FROM files WHERE error IS NULL GROUP BY resolution")}
    failed = store().query("SELECT COUNT(*) FROM files WHERE error IS NOT NULL")[0][0]
    last = store().query("SELECT value FROM state WHERE name = 'last_scan'")
    return {"audio": audio, "resolution": resolution, "failed": failed,
            "last_scan": json.loads(last[0][0]) if last else None}


def quality_of(path: str) -> dict[str, Any] | None:
    """The cached measure of one file (``None`` when not probed)."""
    if not store().exists():
        return None
    rows = store().query("SELECT * FROM files WHERE path = ?", (path,))
    return _file(rows[0]) if rows else None


def probe_problems(app: Any) -> list[dict[str, Any]]:
    """Files ffprobe could not read, for the dashboard and the health page (one line)."""
    with app.app_context():
        if not store().exists():
            return []
        failed = store().query("SELECT COUNT(*) FROM files WHERE error IS NOT NULL")[0][0]
    if not failed:
        return []
    return [{"title": N_("Library files ffprobe cannot read"), "subject": "ffprobe", "detail": str(failed)}]
