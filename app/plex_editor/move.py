"""Move a movie or a series folder to another library root folder, and prove it arrived.

Three ways, chosen per item:

- ``radarr`` / ``sonarr``: the service manages the item (same id, same folder): MMS asks it to move
  (``PUT /movie/{id}?moveFiles=true``, ``PUT /series/{id}?moveFiles=true``) and then watches the disk;
- ``rename``: source and target root on one filesystem: one ``rename`` of the folder (atomic);
- ``copy``: across filesystems: every file is copied into ``<target>.mms-part`` while its SHA-256 is
  computed, the copy is read back and compared (size and hash), the part folder is renamed to the target,
  and only then are the source files deleted, each re-checked first (same size and mtime as planned). A
  failure before the rename removes the part folder and leaves the source whole: never a half-moved item.

Success is reported only once every planned file is at the target with its size (watched on disk, not
guessed) and gone from the source. Plex then scans the old and the new folder. Moves are kept in
``instance/plex_moves.json`` (their progress, result and reason), so a failed one reaches the health page.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from app.extensions import managers
from app.utils.clients.errors import UpstreamError
from app.utils.clients.plex import PlexClient
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.media.managed import arr_item
from app.utils.messages import N_, Refusal
from app.utils.paths import UnsafePathError, library_roots, resolve_inside
from app.utils.settings_schema import Settings
from app.utils.stores.json_store import JsonStore

MOVES_FILE = "plex_moves.json"
#: Bytes read and written at a time when copying.
CHUNK = 4 * 1024 * 1024
#: Seconds between two looks at the disk while Sonarr/Radarr move.
WATCH_INTERVAL_S = 0.5
#: Seconds MMS waits for Sonarr/Radarr to finish a move before calling it failed.
ARR_MOVE_TIMEOUT_S = 6 * 3600.0
#: Seconds between two progress writes to the store.
PROGRESS_EVERY_S = 0.5
#: Moves kept in the store (the oldest finished ones are dropped).
KEEP_MOVES = 200
#: Ids of the moves running in this process (a "running" record not in it was cut short by a stop).
_running: set[str] = set()


class MoveRefused(Refusal):
    """A move that cannot start: ``msgid`` (translatable) + ``params``; nothing was changed."""

    code = "move_refused"


@dataclass
class MovePlan:
    """What a move will do: the item, its folder (``source``), the root it goes to and the folder it becomes
    (``target``), how (``method``), the *arr id when a service moves it, and the files (path relative to
    ``source``, size in bytes, mtime in ns) as they are when planned."""

    rating_key: int
    title: str
    kind: str
    source: str
    root: str
    target: str
    method: str
    arr_id: int | None = None
    arr_root: str | None = None
    arr_target: str | None = None
    files: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Bytes to move."""
        return sum(size for _rel, size, _mtime in self.files)


def move_store(app: Flask | None = None) -> JsonStore:
    """``instance/plex_moves.json``: ``{move id: record}`` (see :func:`start_move`)."""
    return (app or current_app).extensions["mms"].extra_store(MOVES_FILE)


def _arr_path(settings: Settings, local: str) -> str:
    """``local`` as Sonarr/Radarr see it (``health_path_mappings``), unchanged when no mapping covers it."""
    return next((p for m in settings.health_path_mappings if (p := m.to_arr(local))), local)


def _local_path(settings: Settings, arr: str) -> str:
    """A Sonarr/Radarr path as MMS sees it, unchanged when no mapping covers it."""
    return next((p for m in settings.health_path_mappings if (p := m.to_local(arr))), arr)


def _inventory(folder: Path) -> list[tuple[str, int, int]]:
    out = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(dirpath) / name
            info = path.lstat()
            if path.is_symlink():
                raise MoveRefused(N_("The folder holds a symbolic link (%(name)s): MMS does not move it."),
                                  name=str(path.relative_to(folder)))
            out.append((str(path.relative_to(folder)), info.st_size, info.st_mtime_ns))
    return sorted(out)


def plan_move(plex: PlexClient, details: dict[str, Any], target_root: str, settings: Settings) -> MovePlan:
    """Check a move and say how it will go. Raises :class:`MoveRefused` (target outside the root folders,
    the item's folder outside them or missing, the target folder already there, same root); changes
    nothing."""
    roots = library_roots(settings)
    try:
        root = Path(target_root).resolve(strict=True)
    except (OSError, RuntimeError):
        raise MoveRefused(N_("The target folder %(path)s does not exist."), path=target_root) from None
    if root not in roots:
        raise MoveRefused(N_("%(path)s is not one of the library root folders."), path=target_root)
    if details["type"] == "movie":
        files = details["media"]["files"]
        if not files:
            raise MoveRefused(N_("Plex knows no file for this item."))
        source = Path(os.path.dirname(files[0]))
    else:
        if not details.get("locations"):
            raise MoveRefused(N_("Plex knows no folder for this item."))
        source = Path(details["locations"][0])
    source_root = next((r for r in roots if source.resolve() != r and source.resolve().is_relative_to(r)), None)
    if source_root is None or not source.is_dir():
        raise MoveRefused(N_("The item's folder %(path)s is not inside a library root folder."), path=str(source))
    source = source.resolve()
    if source.parent != source_root:
        raise MoveRefused(N_("The item's folder %(path)s is not directly in a root folder."), path=str(source))
    if source_root == root:
        raise MoveRefused(N_("The item is already in %(path)s."), path=str(root))
    try:
        target = resolve_inside(root, source.name)
    except UnsafePathError:
        raise MoveRefused(N_("%(path)s is not one of the library root folders."), path=target_root) from None
    if target.exists() or Path(str(target) + ".mms-part").exists():
        raise MoveRefused(N_("%(path)s already exists: MMS does not overwrite it."), path=str(target))
    plan = MovePlan(details["rating_key"], details["title"], details["type"], str(source), str(root), str(target),
                    "rename", files=_inventory(source))
    _choose_method(plan, details, settings)
    return plan


def _choose_method(plan: MovePlan, details: dict[str, Any], settings: Settings) -> None:
    """Sonarr/Radarr when it manages this folder, else a rename on one filesystem, else a checked copy."""
    try:
        found = arr_item(settings, plan.kind, details["guids"])
    except UpstreamError as exc:
        raise MoveRefused(N_("%(service)s does not answer, so MMS cannot tell whether it manages this item."),
                          service=exc.service) from None
    if found and found[1].path and _local_path(settings, found[1].path).rstrip("/") == plan.source:
        plan.method, plan.arr_id = found[0], found[1].id
        plan.arr_root = _arr_path(settings, plan.root)
        plan.arr_target = _arr_path(settings, plan.target)
        return
    plan.method = "rename" if same_filesystem(plan.source, plan.root) else "copy"


def same_filesystem(a: str, b: str) -> bool:
    """Whether two existing paths are on one filesystem (a rename between them is possible and atomic)."""
    return os.stat(a).st_dev == os.stat(b).st_dev


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def start_move(plan: MovePlan) -> dict[str, Any]:
    """Record the move and run it in a thread of its own; returns the record: ``id``, ``title``, ``source``,
    ``target``, ``method``, ``state`` (running, done, failed), ``bytes_total``, ``bytes_done``, ``message``
    (``{"msgid", "params"}`` of the result or the reason), ``warnings``, ``started_at``, ``finished_at``."""
    app = current_app._get_current_object()
    move_id = uuid.uuid4().hex[:12]
    record = {"id": move_id, "rating_key": plan.rating_key, "title": plan.title, "source": plan.source,
              "target": plan.target, "method": plan.method, "state": "running", "bytes_total": plan.total,
              "bytes_done": 0, "message": None, "warnings": [], "started_at": _now(), "finished_at": None}

    def add(data: dict[str, Any]) -> None:
        data[move_id] = record
        finished = sorted((m for m in data.values() if m["state"] != "running"), key=lambda m: m["started_at"])
        for old in finished[:max(0, len(data) - KEEP_MOVES)]:
            data.pop(old["id"], None)

    move_store(app).update(add)
    _running.add(move_id)
    threading.Thread(target=_run, args=(app, move_id, plan), name=f"move-{move_id}", daemon=True).start()
    return dict(record)


class _Progress:
    """Throttled progress writes of one move."""

    def __init__(self, store: JsonStore, move_id: str):
        self.store, self.move_id, self.last = store, move_id, 0.0

    def __call__(self, done: int, force: bool = False) -> None:
        if force or time.monotonic() - self.last >= PROGRESS_EVERY_S:
            self.last = time.monotonic()
            self.store.update(lambda data: data[self.move_id].update(bytes_done=done))


def _run(app: Flask, move_id: str, plan: MovePlan) -> None:
    with app.app_context():
        store = move_store(app)
        progress = _Progress(store, move_id)
        warnings: list[dict[str, Any]] = []
        try:
            if plan.method in ("radarr", "sonarr"):
                _arr_move(plan, progress)
            elif plan.method == "rename":
                os.rename(plan.source, plan.target)
            else:
                warnings += _copy_move(plan, progress)
            _verify(plan)
            progress(plan.total, force=True)
            warnings += _scan(plan)
            message = {"msgid": N_("Moved to %(target)s."), "params": {"target": plan.target}}
            state = "done"
        except MoveRefused as exc:
            message, state = {"msgid": exc.msgid, "params": exc.params}, "failed"
        except (OSError, UpstreamError) as exc:
            message = {"msgid": N_("The move failed: %(reason)s"), "params": {"reason": str(exc)}}
            state = "failed"
        except Exception as exc:  # recorded on the move, never lost in a thread
            current_app.logger.exception("move %s failed", move_id)
            reason = f"{type(exc).__name__}: {exc}"
            message = {"msgid": N_("The move failed: %(reason)s"), "params": {"reason": reason}}
            state = "failed"
        store.update(lambda data: data[move_id].update(state=state, message=message, warnings=warnings,
                                                       finished_at=_now()))
        _running.discard(move_id)


def _arr_move(plan: MovePlan, progress: _Progress) -> None:
    """Ask Sonarr/Radarr to move, then watch the disk until every file is at the target."""
    settings = managers().settings.load()
    if plan.method == "radarr":
        RadarrClient.from_settings(settings).move_movie(plan.arr_id, plan.arr_root, plan.arr_target)
    else:
        SonarrClient.from_settings(settings).move_series(plan.arr_id, plan.arr_root, plan.arr_target)
    deadline = time.monotonic() + ARR_MOVE_TIMEOUT_S
    target = Path(plan.target)
    while True:
        arrived = sum(size for rel, size, _m in plan.files
                      if (target / rel).is_file() and (target / rel).stat().st_size == size)
        progress(arrived)
        if arrived == plan.total and not any((Path(plan.source) / rel).exists() for rel, _s, _m in plan.files):
            return
        if time.monotonic() > deadline:
            raise MoveRefused(N_("%(service)s did not finish the move in time; look at its queue."),
                              service=plan.method.capitalize())
        time.sleep(WATCH_INTERVAL_S)


def _copy_file(source: Path, target: Path, done: int, progress: _Progress) -> int:
    digest = hashlib.sha256()
    with open(source, "rb") as reader, open(target, "xb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            done += len(chunk)
            progress(done)
        writer.flush()
        os.fsync(writer.fileno())
    check = hashlib.sha256()
    with open(target, "rb") as reader:
        while chunk := reader.read(CHUNK):
            check.update(chunk)
    if check.digest() != digest.digest() or target.stat().st_size != source.stat().st_size:
        raise MoveRefused(N_("The copy of %(name)s differs from the original: nothing was deleted."),
                          name=source.name)
    shutil.copystat(source, target)
    return done


def _copy_move(plan: MovePlan, progress: _Progress) -> list[dict[str, Any]]:
    """The checked copy across filesystems; returns warnings (source files kept because they changed)."""
    source, target = Path(plan.source), Path(plan.target)
    part = Path(plan.target + ".mms-part")
    done = 0
    try:
        part.mkdir()
        for rel, _size, _mtime in plan.files:
            (part / rel).parent.mkdir(parents=True, exist_ok=True)
            done = _copy_file(source / rel, part / rel, done, progress)
        os.rename(part, target)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    warnings = []
    for rel, size, mtime in plan.files:  # each source file deleted only if it is still what was copied
        path = source / rel
        info = path.lstat()
        if info.st_size != size or info.st_mtime_ns != mtime:
            warnings.append({"msgid": N_("%(name)s changed during the move and was kept at its old place."),
                             "params": {"name": rel}})
            continue
        path.unlink()
    for dirpath, _dirs, _names in sorted(os.walk(source), key=lambda w: -len(w[0])):
        with_contents = any(Path(dirpath).iterdir())
        if not with_contents:
            Path(dirpath).rmdir()
    return warnings


def _verify(plan: MovePlan) -> None:
    """Every planned file is at the target with its size; raises :class:`MoveRefused` naming the first
    missing one."""
    target = Path(plan.target)
    for rel, size, _mtime in plan.files:
        path = target / rel
        if not path.is_file() or path.stat().st_size != size:
            raise MoveRefused(N_("%(name)s is not at the target after the move."), name=rel)


def _scan(plan: MovePlan) -> list[dict[str, Any]]:
    """Plex scans the old and the new folder; a folder Plex has no section for is a warning."""
    warnings = []
    plex = PlexClient.from_settings(managers().settings.load())
    managers().plex_scan_asked()
    for folder in (plan.source, plan.target):
        try:
            plex.scan_folder(folder)
        except UpstreamError as exc:
            warnings.append({"msgid": N_("Plex did not scan %(folder)s: %(reason)s"),
                             "params": {"folder": folder, "reason": exc.message}})
    return warnings


def moves() -> list[dict[str, Any]]:
    """Every recorded move, newest first; one left "running" by a stopped MMS shows as failed (interrupted:
    a copy leaves its ``.mms-part`` folder and the whole source, a Sonarr/Radarr move goes on there)."""
    out = []
    for record in move_store().read_shared().values():
        if record["state"] == "running" and record["id"] not in _running:
            record = {**record, "state": "failed", "message": {
                "msgid": N_("Interrupted: MMS stopped during the move. The source is whole; look at the target."),
                "params": {}}}
        out.append(record)
    return sorted(out, key=lambda m: m["started_at"], reverse=True)


def move(move_id: str) -> dict[str, Any] | None:
    """One recorded move (as :func:`moves` shows it), or ``None``."""
    return next((m for m in moves() if m["id"] == move_id), None)


def move_problems(app: Flask) -> list[dict[str, Any]]:
    """Moves that failed in the last 7 days, for the summary views: ``[{"title", "subject", "detail"}]``."""
    from app.i18n import localized_detail

    week_ago = (datetime.now(UTC).timestamp() - 7 * 86400)
    with app.app_context():
        failed = [m for m in moves() if m["state"] == "failed"
                  and datetime.fromisoformat(m["started_at"]).timestamp() >= week_ago]
    return [{"title": N_("Move failed"), "subject": m["title"], "detail": localized_detail(m["message"], "")}
            for m in failed[:5]]


def plan_dict(plan: MovePlan) -> dict[str, Any]:
    """A plan as JSON (files as ``[path, size]``, no mtimes)."""
    data = asdict(plan)
    data["files"] = [[rel, size] for rel, size, _m in plan.files]
    data["bytes_total"] = plan.total
    return data
