"""Artwork kept on disk the way Kometa reads it: ``<assets>/<Folder name>/poster.jpg``, ``background.jpg``,
``Season01.jpg``, ``S01E01.jpg`` (Kometa's "asset directory" layout, one folder per movie or show named
like the media's own folder).

Export writes what Plex shows now (the selected poster and background, each season's poster and each
episode's thumbnail); import uploads what the folder holds, each image checked first
(:func:`app.utils.images.inspect_image`). Everything stays inside the configured asset folder. For a
whole section, each item is done on its own and a failure is recorded, not fatal; section runs go on in a
thread and are kept in ``instance/plex_asset_runs.json`` (failures reach the health page).
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from app.extensions import managers
from app.utils.clients.errors import UpstreamError
from app.utils.clients.plex import PlexClient
from app.utils.images import MAX_IMAGE_BYTES, ImageRefused, inspect_image
from app.utils.messages import N_, Refusal
from app.utils.paths import UnsafePathError, resolve_inside
from app.utils.stores.json_store import JsonStore

RUNS_FILE = "plex_asset_runs.json"
#: File extensions read on import, in order of preference.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
#: MIME type -> extension written on export.
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}
#: Runs kept in the store.
KEEP_RUNS = 50


class AssetError(Refusal):
    """An asset operation that cannot start (no asset folder, unknown item): ``msgid`` + ``params``."""

    code = "assets_refused"


def assets_root() -> Path:
    """The configured asset folder, resolved; :class:`AssetError` when unset or missing."""
    configured = managers().settings.load().kometa_assets_path
    if not configured:
        raise AssetError(N_("No artwork asset folder is configured (Configuration, paths)."))
    root = Path(configured)
    if not root.is_dir():
        raise AssetError(N_("The artwork asset folder %(path)s does not exist."), path=configured)
    return root.resolve()


def folder_name(details: dict[str, Any]) -> str:
    """The asset folder of an item: its own folder's name on disk (Kometa's default), else ``Title (Year)``
    with the characters no file system takes removed."""
    if details["type"] == "movie" and details["media"]["files"]:
        return os.path.basename(os.path.dirname(details["media"]["files"][0]))
    if details.get("locations"):
        return os.path.basename(details["locations"][0].rstrip("/"))
    name = f"{details['title']} ({details['year']})" if details.get("year") else details["title"]
    return re.sub(r'[<>:"/\\|?*\x00-\x1f]', "", name).strip(" .") or str(details["rating_key"])


def _images(plex: PlexClient, details: dict[str, Any]) -> list[tuple[str, int, str]]:
    """``(asset name without extension, rating key, "thumb"|"art")`` of everything an item's folder holds."""
    key = details["rating_key"]
    out = [("poster", key, "thumb"), ("background", key, "art")]
    if details["type"] == "show":
        out += [(f"Season{s.index:02d}", s.rating_key, "thumb") for s in plex.seasons(key)]
        out += [(f"S{e.season:02d}E{e.index:02d}", e.rating_key, "thumb") for e in plex.episodes(key)]
    return out


def export_item(plex: PlexClient, details: dict[str, Any], root: Path) -> dict[str, Any]:
    """Write the item's current images into its asset folder (an existing file of the same name is replaced,
    through a temporary file). ``{"folder", "written": [file names], "failed": [{"name", "reason"}]}``."""
    try:
        folder = resolve_inside(root, folder_name(details))
    except UnsafePathError:
        raise AssetError(N_("The folder name %(name)s is not usable here."), name=folder_name(details)) from None
    folder.mkdir(exist_ok=True)
    written, failed = [], []
    for name, key, kind in _images(plex, details):
        try:
            path = plex.image_paths(key)[kind]
            if not path:
                continue
            data, content_type = plex.fetch_image(path)
            extension = EXTENSIONS.get(content_type.split(";")[0].strip().lower(), ".jpg")
            for old in (*IMAGE_EXTENSIONS, ".gif"):
                if old != extension:
                    (folder / f"{name}{old}").unlink(missing_ok=True)
            target = folder / f"{name}{extension}"
            partial = folder / f".{name}{extension}.mms-part"
            partial.write_bytes(data)
            os.replace(partial, target)
            written.append(target.name)
        except (UpstreamError, ValueError, OSError) as exc:  # each image on its own
            failed.append({"name": name, "reason": str(exc)})
    return {"folder": folder.name, "written": written, "failed": failed}


def import_item(plex: PlexClient, details: dict[str, Any], root: Path) -> dict[str, Any]:
    """Upload the images of the item's asset folder to Plex (each checked first; a refused one is listed
    with its reason). ``{"folder", "uploaded": [file names], "failed": [{"name", "reason"}]}``; a missing
    folder is ``{"folder", "uploaded": [], "failed": [], "missing": True}``."""
    try:
        folder = resolve_inside(root, folder_name(details))
    except UnsafePathError:
        raise AssetError(N_("The folder name %(name)s is not usable here."), name=folder_name(details)) from None
    if not folder.is_dir():
        return {"folder": folder.name, "uploaded": [], "failed": [], "missing": True}
    uploaded, failed = [], []
    for name, key, kind in _images(plex, details):
        found = next((folder / f"{name}{ext}" for ext in IMAGE_EXTENSIONS if (folder / f"{name}{ext}").is_file()),
                     None)
        if found is None:
            continue
        try:
            if found.is_symlink() or not found.resolve().is_relative_to(root):
                raise ImageRefused(N_("%(name)s leads outside the asset folder."), name=found.name)
            with open(found, "rb") as reader:
                data = reader.read(MAX_IMAGE_BYTES + 1)  # a larger file is refused by the check below
            inspect_image(data)
            plex.upload_artwork(key, data=data, kind="posters" if kind == "thumb" else "arts")
            uploaded.append(found.name)
        except (ImageRefused, UpstreamError, OSError) as exc:  # each image on its own
            failed.append({"name": found.name, "reason": str(exc)})
    return {"folder": folder.name, "uploaded": uploaded, "failed": failed, "missing": False}


# -- whole sections, in a thread -----------------------------------------------------------------------------
def runs_store(app: Flask | None = None) -> JsonStore:
    """``instance/plex_asset_runs.json``: ``{run id: record}``."""
    return (app or current_app).extensions["mms"].extra_store(RUNS_FILE)


_running: set[str] = set()


def start_section_run(action: str, section_key: int, section_title: str, rating_keys: list[int]) -> dict[str, Any]:
    """Export or import (``action``) every item of a section in a thread; the run's record: ``id``,
    ``action``, ``section``, ``state`` (running, done, partial, failed), ``total``, ``done``, ``failed``
    (``[{"title", "reason"}]``, the first 50), ``images`` (files written or uploaded), timestamps."""
    root = assets_root()
    app = current_app._get_current_object()
    run_id = uuid.uuid4().hex[:12]
    record = {"id": run_id, "action": action, "section": section_title, "state": "running",
              "total": len(rating_keys), "done": 0, "failed": [], "failed_count": 0, "images": 0,
              "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "finished_at": None}

    def add(data: dict[str, Any]) -> None:
        data[run_id] = record
        for old in sorted(data.values(), key=lambda r: r["started_at"])[:max(0, len(data) - KEEP_RUNS)]:
            if old["state"] != "running":
                data.pop(old["id"], None)

    runs_store(app).update(add)
    _running.add(run_id)
    threading.Thread(target=_run_section, args=(app, run_id, action, root, rating_keys), daemon=True,
                     name=f"assets-{run_id}").start()
    return dict(record)


def _run_section(app: Flask, run_id: str, action: str, root: Path, rating_keys: list[int]) -> None:
    with app.app_context():
        store = runs_store(app)
        plex = PlexClient.from_settings(managers().settings.load())
        step = export_item if action == "export" else import_item
        done = images = 0
        failures: list[dict[str, Any]] = []
        for key in rating_keys:
            title = str(key)
            try:
                details = plex.details(key)
                title = details["title"]
                result = step(plex, details, root)
                images += len(result.get("written") or result.get("uploaded") or [])
                failures += [{"title": f"{title}: {f['name']}", "reason": f["reason"]} for f in result["failed"]]
            except (UpstreamError, AssetError, OSError) as exc:  # each item on its own
                failures.append({"title": title, "reason": str(exc)})
            done += 1
            if done % 20 == 0 or done == len(rating_keys):
                counts = {"done": done, "images": images, "failed": failures[:50], "failed_count": len(failures)}
                store.update(lambda data, c=counts: data[run_id].update(c))
        state = "done" if not failures else "partial" if images or done > len(failures) else "failed"
        store.update(lambda data: data[run_id].update(state=state, finished_at=datetime.now(UTC).isoformat(
            timespec="seconds")))
        _running.discard(run_id)


def runs() -> list[dict[str, Any]]:
    """Recorded section runs, newest first (one left running by a stopped MMS shows as failed)."""
    out = []
    for record in runs_store().read_shared().values():
        if record["state"] == "running" and record["id"] not in _running:
            record = {**record, "state": "failed"}
        out.append(record)
    return sorted(out, key=lambda r: r["started_at"], reverse=True)


def run_problems(app: Flask) -> list[dict[str, Any]]:
    """Section runs with failures in the last 7 days, for the summary views."""
    week_ago = datetime.now(UTC).timestamp() - 7 * 86400
    with app.app_context():
        bad = [r for r in runs() if r["state"] in ("partial", "failed")
               and datetime.fromisoformat(r["started_at"]).timestamp() >= week_ago]
    return [{"title": N_("Artwork assets: some items failed"), "subject": r["section"],
             "detail": "; ".join(f"{f['title']}: {f['reason']}" for f in r["failed"][:3])
             + (f" (+{r['failed_count'] - 3})" if r["failed_count"] > 3 else "")} for r in bad[:3]]
