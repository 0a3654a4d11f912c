"""Scans as tasks: one at a time per root, progress polled by the page, cancel, the last 3 kept.

A scan runs in a background thread: phase 1 (links and files), then phase 2 (ffprobe, or a full decode)
with ``health_workers`` parallel checks. Deleting is a separate, explicit step bound to one finished
scan: only paths that scan found are deleted, and the mount guard refuses when a link target's whole
root has vanished (a dropped mount makes every link look broken).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from app.extensions import managers
from app.utils import paths
from app.utils.clients.errors import UpstreamError
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.media import health
from app.utils.messages import N_, Refusal
from app.utils.settings_schema import Settings
from app.utils.stores.json_store import JsonStore

SCANS_FILE = "symlink_scans.json"
#: Scans kept in the history.
SCANS_KEPT = 3
#: Seconds per file assumed for the first phase-2 estimate (ffprobe, full decode per MB).
PROBE_ESTIMATE_S = 0.05
DECODE_ESTIMATE_S_PER_MB = 0.02
DELETABLE = health.DELETABLE


class ScanError(Refusal):
    """A scan request is refused (path outside the media root, a scan already running...): ``msgid`` +
    ``params`` (said in the reader's language), ``status`` the HTTP status to answer."""

    status = 400


def scans_store(app: Flask | None = None) -> JsonStore:
    """``instance/symlink_scans.json``: the last scans, newest first."""
    app = app or current_app
    mms = app.extensions["mms"]
    if SCANS_FILE not in mms.extra_stores:
        mms.extra_stores[SCANS_FILE] = JsonStore(mms.instance_path / SCANS_FILE, default=list)
    return mms.extra_stores[SCANS_FILE]


def resolve_inside(root: str, path: str, follow_last: bool = False) -> Path:
    """``path`` (absolute, or relative to ``root``) resolved; :class:`ScanError` 400 when it is outside
    ``root``, names ``..``, holds a NUL byte or is too long (:func:`app.utils.paths.resolve_inside`)."""
    try:
        return paths.resolve_inside(root, path, follow_last=follow_last)
    except paths.UnsafePathError as exc:
        raise ScanError(exc.msgid, **exc.params) from None


class Scan:
    """One running or finished scan (its public state is :meth:`snapshot`)."""

    def __init__(self, roots: list[str], mode: str, depth: str, include_files: bool, settings: Settings):
        self.id = uuid.uuid4().hex[:12]
        self.roots, self.mode, self.depth, self.include_files = roots, mode, depth, include_files
        self.workers = settings.health_workers
        self.min_size = settings.health_min_size_kib * 1024
        self.extensions = frozenset(settings.health_media_extensions)
        self.state = "pending"
        self.phase = "queued"
        self.done = self.total = 0
        self.findings: list[health.Finding] = []
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.phase_started = self.started
        self.estimate_s: float | None = None
        self.error: str | None = None
        self.cancel_event = threading.Event()
        self.duration_s: float | None = None
        self._events: Any = None

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(health.CATEGORIES, 0)
        for finding in self.findings:
            out[finding.category] += 1
        return out

    def snapshot(self, with_findings: bool = True) -> dict[str, Any]:
        elapsed = time.monotonic() - self.phase_started
        rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
        eta = (self.total - self.done) / rate if rate and self.state == "running" and self.total else None
        data = {"id": self.id, "roots": self.roots, "mode": self.mode, "depth": self.depth,
                "include_files": self.include_files, "state": self.state, "phase": self.phase, "done": self.done,
                "total": self.total, "rate": round(rate, 1), "eta_s": round(eta, 1) if eta is not None else None,
                "estimate_s": self.estimate_s, "counts": self.counts(), "started_at": self.started_at,
                "duration_s": self.duration_s, "error": self.error}
        if with_findings:
            data["findings"] = [asdict(f) for f in self.findings]
        return data

    def run(self, app: Flask) -> None:
        self._events = app.extensions["mms"].events
        self.state = "running"
        try:
            self.phase = "basic"
            self.phase_started = time.monotonic()
            findings, passed, count = health.basic_check(
                self.roots, include_files=self.include_files, min_size=self.min_size, workers=self.workers,
                cancelled=self.cancel_event.is_set, on_progress=self._set_done, extensions=self.extensions)
            self.findings = findings
            self.done = self.total = count
            if not self.cancel_event.is_set():
                self._phase2(health.media_files(passed, self.extensions))
            final = "cancelled" if self.cancel_event.is_set() else "completed"
        except Exception as exc:  # noqa: BLE001 - the scan records its failure
            final, self.error = "error", f"{type(exc).__name__}: {exc}"
        self.duration_s = round(time.monotonic() - self.started, 2)
        snapshot = {**self.snapshot(), "state": final}
        with app.app_context():
            _remember(snapshot)  # stored before the state shows as finished
            if self.findings or final == "error":
                app.extensions["mms"].events.publish(
                    "health_problem", msgid=N_("%(count)s problem(s) found under %(roots)s"),
                    params={"count": len(self.findings), "roots": ", ".join(self.roots)})
        self.state = final
        self._events.publish("health.finished", id=self.id, state=final)

    def _set_done(self, count: int) -> None:
        self.done = count
        self.total = max(self.total, count)
        self._publish_progress()

    def _publish_progress(self) -> None:
        """``health.progress`` (the live hub keeps at most two a second)."""
        if self._events is not None:
            self._events.publish("health.progress", id=self.id, done=self.done, total=self.total, phase=self.phase)

    def _phase2(self, files: list[health.Checked]) -> None:
        self.phase = self.depth
        self.done, self.total = 0, len(files)
        self.phase_started = time.monotonic()
        per_file = PROBE_ESTIMATE_S if self.depth == "basic" else None
        total_s = sum(per_file or (PROBE_ESTIMATE_S + f.size / 1e6 * DECODE_ESTIMATE_S_PER_MB) for f in files)
        self.estimate_s = round(total_s / max(self.workers, 1), 1)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = [pool.submit(self._probe, f.path) for f in files]
            for future in futures:
                finding = future.result()
                self._publish_progress()
                if finding is not None:
                    self.findings.append(finding)

    def _probe(self, path: str) -> health.Finding | None:
        if self.cancel_event.is_set():
            return None
        try:
            return health.probe(path, self.depth, self.extensions)
        finally:
            self.done += 1


def _remember(snapshot: dict[str, Any]) -> None:
    def apply(data: list) -> None:
        data[:] = [s for s in data if s["id"] != snapshot["id"]]
        data.insert(0, snapshot)
        del data[SCANS_KEPT:]

    scans_store().update(apply)


class ScanManager:
    """The app's scans: start, status, cancel."""

    def __init__(self) -> None:
        self.scans: dict[str, Scan] = {}
        self.lock = threading.Lock()

    def start(self, app: Flask, roots: list[str], mode: str, depth: str, include_files: bool) -> Scan:
        settings = app.extensions["mms"].settings.load()
        with self.lock:
            busy = [s for s in self.scans.values() if s.state in ("pending", "running") and set(s.roots) & set(roots)]
            if busy:
                raise ScanError(N_("a scan of %(root)s is already running (%(id)s)"), 409, root=busy[0].roots[0],
                                id=busy[0].id)
            scan = Scan(roots, mode, depth, include_files, settings)
            self.scans[scan.id] = scan
        threading.Thread(target=scan.run, args=(app,), name=f"scan-{scan.id}", daemon=True).start()
        return scan


def manager() -> ScanManager:
    """The app's scan manager."""
    return current_app.extensions.setdefault("mms_scans", ScanManager())


def start_scan(paths: list[str], mode: str = "dry", depth: str = "basic", include_files: bool = True) -> dict:
    """Start a scan of ``paths`` (inside the media root); returns its snapshot."""
    settings = managers().settings.load()
    roots = [str(resolve_inside(settings.media_root, p, follow_last=True)) for p in (paths or [settings.media_root])]
    missing = [r for r in roots if not os.path.isdir(r)]
    if missing:
        raise ScanError(N_("not a folder: %(path)s"), path=missing[0])
    scan = manager().start(current_app._get_current_object(), roots, mode, depth, include_files)
    return scan.snapshot(with_findings=False)


def scan_status(scan_id: str) -> dict:
    """A running scan's snapshot, or a stored one."""
    scan = manager().scans.get(scan_id)
    if scan is not None:
        return scan.snapshot()
    for stored in scans_store().read():
        if stored["id"] == scan_id:
            return stored
    raise ScanError(N_("no scan %(id)s"), 404, id=scan_id)


def cancel_scan(scan_id: str) -> dict:
    """Ask a running scan to stop (it keeps its partial results)."""
    scan = manager().scans.get(scan_id)
    if scan is None:
        raise ScanError(N_("no running scan %(id)s"), 404, id=scan_id)
    scan.cancel_event.set()
    return scan.snapshot(with_findings=False)


def history() -> list[dict]:
    """The last scans, newest first (without their findings)."""
    return [{k: v for k, v in s.items() if k != "findings"} for s in scans_store().read()]


def mount_guard(findings: list[dict]) -> str | None:
    """A reason to refuse deleting, or ``None``: a link target root that is gone or unreadable."""
    roots = {health.mount_root(f["path"], f["target"]) for f in findings if f.get("target")}
    for root in sorted(roots):
        if not os.path.isdir(root) or not os.access(root, os.R_OK | os.X_OK):
            return f"the link targets' root {root} is missing or unreadable (a dropped mount?): nothing deleted"
        try:
            if not os.listdir(root):
                return f"the link targets' root {root} is empty (a dropped mount?): nothing deleted"
        except OSError as exc:
            return f"the link targets' root {root} cannot be listed ({exc}): nothing deleted"
    return None


def delete_confirmed(scan_id: str, paths_: list[str], rescan: bool = True, search: bool = False) -> dict[str, Any]:
    """Delete exactly ``paths_``, each a deletable finding of scan ``scan_id`` (finished, real mode, made by
    this process); then ask Sonarr/Radarr to rescan what they touched.

    The whole request is refused (:class:`ScanError`, nothing deleted) when any path is not a deletable
    finding of that scan or lies outside the media root. Each path is then checked again at that moment
    (:func:`app.utils.media.health.recheck`): what changed since the scan is skipped with the reason.
    Returns ``{"deleted": [path], "skipped": [{path, reason}], "failed": [{path, error}], "arr": [...]}``.
    """
    scan = manager().scans.get(scan_id)
    if scan is None:
        scan_status(scan_id)  # 404 when there is no such scan at all
        raise ScanError(N_("this scan was not made by the running MMS (restarted or restored since): it cannot "
                           "authorise a deletion; run a new scan"), 409)
    if scan.state != "completed":
        raise ScanError(N_("the scan has not completed"), 409)
    if scan.mode != "real":
        raise ScanError(N_("a dry-run scan deletes nothing: run it in real mode"), 409)
    settings = managers().settings.load()
    found = {f.path: f for f in scan.findings}
    refused = []
    for path in paths_:
        finding = found.get(path)
        if finding is None:
            refused.append(f"{path}: not in this scan's findings")
        elif not finding.deletable:
            refused.append(f"{path}: a {finding.category} finding that is not a media file is never deleted")
        else:
            try:
                resolve_inside(settings.media_root, path)
            except ScanError as exc:
                refused.append(str(exc))
    if refused:
        more = f" (+{len(refused) - 5})" if len(refused) > 5 else ""
        raise ScanError(N_("nothing deleted; refused: %(items)s"), items="; ".join(refused[:5]) + more)
    chosen = [asdict(found[p]) for p in dict.fromkeys(paths_)]
    refusal = mount_guard(chosen)
    if refusal:
        raise ScanError(N_("%(detail)s"), 409, detail=refusal)
    deleted, skipped, failed = [], [], []
    for item in chosen:
        path = item["path"]
        reason = health.recheck(item, scan.min_size, scan.extensions)
        if reason:
            skipped.append({"path": path, "reason": reason})
            continue
        try:
            os.unlink(path)
            deleted.append(path)
        except OSError as exc:
            failed.append({"path": path, "error": str(exc)})
    _record_deletion(scan_id, deleted)
    told = rescan_arr([str(Path(p).parent) for p in deleted], settings, search) if rescan and deleted else []
    return {"deleted": deleted, "skipped": skipped, "failed": failed, "arr": told}


def _record_deletion(scan_id: str, deleted: list[str]) -> None:
    """Mark deleted findings in the scan (memory and history), so they are not offered again."""
    if not deleted:
        return
    gone = set(deleted)
    scan = manager().scans.get(scan_id)
    if scan is not None:
        scan.findings = [f for f in scan.findings if f.path not in gone]

    def apply(data: list) -> None:
        for stored in data:
            if stored["id"] == scan_id:
                stored["findings"] = [f for f in stored.get("findings", []) if f["path"] not in gone]
                stored["deleted"] = sorted(set(stored.get("deleted", [])) | gone)

    scans_store().update(apply)


def rescan_arr(folders: list[str], settings: Settings, search: bool = False) -> list[dict[str, Any]]:
    """Rescan (and optionally search) the Sonarr series / Radarr movies whose folders hold ``folders``."""
    mapped = set()
    for folder in folders:
        for mapping in settings.health_path_mappings:
            arr_path = mapping.to_arr(folder)
            if arr_path:
                mapped.add(arr_path)
    told: list[dict[str, Any]] = []
    if not mapped:
        return told
    targets = []
    if settings.sonarr_url and settings.sonarr_api_key:
        sonarr = SonarrClient.from_settings(settings)
        targets.append(("Sonarr", [(s.id, s.path or "") for s in sonarr.series_list()], sonarr.rescan_series,
                        sonarr.search_series))
    if settings.radarr_url and settings.radarr_api_key:
        radarr = RadarrClient.from_settings(settings)
        targets.append(("Radarr", [(m.id, m.path or "") for m in radarr.movies()], radarr.rescan_movie,
                        radarr.search_movie))
    for name, items, rescan, find in targets:
        for item_id, path in items:
            base = path.rstrip("/")
            if base and any(p == base or p.startswith(base + "/") for p in mapped):
                try:
                    rescan(item_id)
                    if search:
                        find(item_id)
                    told.append({"service": name, "id": item_id, "path": path, "ok": True})
                except UpstreamError as exc:
                    told.append({"service": name, "id": item_id, "path": path, "ok": False, "error": exc.message})
    return told


#: The settings this page edits (the same validation as the Configuration page).
HEALTH_SETTINGS = frozenset({"media_root", "health_workers", "health_min_size_kib", "health_media_extensions",
                             "health_path_mappings"})


def health_settings() -> dict[str, Any]:
    """The media health settings, as the page shows them."""
    values = managers().settings.load().model_dump(mode="json")
    return {name: values[name] for name in sorted(HEALTH_SETTINGS)}


def save_health_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Save some of :data:`HEALTH_SETTINGS`; raises ``SettingsError`` (nothing written)."""
    managers().settings.save({k: v for k, v in values.items() if k in HEALTH_SETTINGS})
    return health_settings()


def map_path(path: str) -> dict[str, Any]:
    """How a path of MMS's library maps into Sonarr/Radarr's view (the settings' path mappings)."""
    for mapping in managers().settings.load().health_path_mappings:
        mapped = mapping.to_arr(path)
        if mapped is not None:
            return {"path": path, "arr_path": mapped, "mapping": mapping.model_dump()}
    return {"path": path, "arr_path": None, "mapping": None}


def directories(path: str | None = None) -> dict[str, Any]:
    """The sub-folders of a folder under the media root, each with its symlink count (recursive)."""
    settings = managers().settings.load()
    folder = resolve_inside(settings.media_root, path or settings.media_root, follow_last=True)
    if not folder.is_dir():
        if path is None:  # the page opens before the media root is set: say so, no error
            return {"path": str(folder), "root": str(folder), "folders": [],
                    "message": f"the media root {folder} does not exist: set it in the settings"}
        raise ScanError(N_("not a folder: %(path)s"), 404, path=folder)
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name.lower()):
        if entry.is_dir(follow_symlinks=False):
            links = sum(1 for _ in _links(entry.path))
            out.append({"name": entry.name, "path": entry.path, "symlinks": links})
    return {"path": str(folder), "root": str(Path(settings.media_root).resolve()), "folders": out}


def _links(folder: str):
    for item, is_link in health._walk(folder, False):
        if is_link:
            yield item


def docker_detect() -> dict[str, Any]:
    """Sonarr/Radarr containers seen through the Docker socket (docker SDK), or why they cannot be."""
    try:
        import docker
    except ImportError:
        return {"available": False, "message": "the docker package is not installed", "services": []}
    socket_path = "/var/run/docker.sock"
    if not os.environ.get("DOCKER_HOST") and not os.path.exists(socket_path):
        return {"available": False, "services": [],
                "message": f"Docker socket {socket_path} not found; mount it into MMS's container (read-only) "
                           "to detect Sonarr/Radarr, or enter their URLs"}
    client = None
    try:
        client = docker.from_env(timeout=3)
        containers = client.containers.list()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", said as such
        return {"available": False, "services": [],
                "message": f"Docker socket not reachable ({type(exc).__name__}); mount /var/run/docker.sock "
                           "into MMS's container to detect Sonarr/Radarr"}
    finally:
        if client is not None:
            client.close()
    found = []
    for container in containers:
        image = " ".join(container.image.tags or [])
        for service, port in (("sonarr", 8989), ("radarr", 7878)):
            if service in image.lower() or service in container.name.lower():
                found.append({"service": service, "container": container.name, "url": f"http://{container.name}:{port}"})
    return {"available": True, "message": f"{len(found)} service(s) found", "services": found}
