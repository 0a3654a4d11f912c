"""Installing a verified database into the home Plex data folder (Plex stopped).

The home database files (``.db``, ``-wal``, ``-shm``, the blobs database) are copied aside first
(:func:`app.cloud_burst.remap.backup_files`); the new ``.db`` and blobs database replace them, written as a
temporary file and renamed; the old ``-wal``/``-shm`` are removed (they belong to the old file). The
``Metadata/`` and ``Media/`` bundles brought home are merged: a file is written only when it is new or its size
differs, never outside the data folder, and nothing of the home bundles is deleted.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from app.cloud_burst import remap
from app.utils.messages import N_, Refusal

DATABASES = Path("Plug-in Support") / "Databases"
LIBRARY_DB = "com.plexapp.plugins.library.db"
DOCKER_TIMEOUT_S = 180


class InstallRefused(Refusal):
    """The database cannot be installed (the message says why); the home files are as they were."""

    code = "cloud_burst_install"
    status = 409


def container(name: str, action: str) -> None:
    """Stop or start the home Plex container ``name`` (``action`` ``stop``/``start``) through the Docker
    socket (the docker SDK, Docker Engine API ``POST /containers/{id}/stop|start``). Raises
    :class:`InstallRefused` when Docker cannot be reached or refuses."""
    import docker

    client = None
    try:
        client = docker.from_env(timeout=DOCKER_TIMEOUT_S)
        found = client.containers.get(name)
        found.stop(timeout=120) if action == "stop" else found.start()
    except Exception as exc:  # noqa: BLE001 - the SDK raises requests' and its own errors; said as one refusal
        raise InstallRefused(N_("docker %(action)s %(name)s failed: %(reason)s"), action=action, name=name,
                             reason=str(exc)[:300] or type(exc).__name__) from None
    finally:
        if client is not None:
            client.close()


def _inside(root: Path, candidate: Path) -> Path:
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise InstallRefused(N_("%(path)s is outside the Plex data folder"), path=str(candidate))
    return resolved


def install(run_folder: Path, data_path: Path, backup_root: Path) -> dict[str, Any]:
    """Install ``run_folder/db/*`` and ``run_folder/bundles/*`` into ``data_path`` (Plex's data folder).
    Returns ``{"backup": folder of the previous files, "database": path, "bundle_files": n}``."""
    source = run_folder / "db" / LIBRARY_DB
    target = _inside(data_path, data_path / DATABASES / LIBRARY_DB)
    if not source.is_file():
        raise InstallRefused(N_("no verified database in %(folder)s"), folder=str(run_folder))
    if not target.parent.is_dir():
        raise InstallRefused(N_("%(folder)s is not a Plex data folder (no Plug-in Support/Databases)"),
                             folder=str(data_path))
    backups = remap.backup_files(target, backup_root) if target.exists() else []
    for name in (LIBRARY_DB, remap.BLOBS_DB):
        new = run_folder / "db" / name
        if not new.is_file():
            continue
        final = target.with_name(name)
        temporary = final.with_name(name + ".mms-new")
        shutil.copy2(new, temporary)
        os.replace(temporary, final)
        for suffix in ("-wal", "-shm"):
            final.with_name(name + suffix).unlink(missing_ok=True)
    written = 0
    bundles = run_folder / "bundles"
    for bundle in ("Metadata", "Media"):
        top = bundles / bundle
        if not top.is_dir():
            continue
        for path in top.rglob("*"):
            if not path.is_file() or path.name.endswith((".part", ".part.json")):
                continue
            destination = _inside(data_path, data_path / path.relative_to(bundles))
            if destination.exists() and destination.stat().st_size == path.stat().st_size:
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            written += 1
    backup = str(backups[0].parent) if backups else ""
    return {"backup": backup, "database": str(target), "bundle_files": written}
