"""Flask extensions and the per-app container of MMS's managers.

Extensions are created here unbound and initialised in :func:`app.create_app`;
nothing runs at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from app.utils.events import EventBus
from app.utils.stores.archive_store import ARCHIVE_FILE, ArchiveStore
from app.utils.stores.audit_store import AuditStore
from app.utils.stores.backup_manager import BackupManager
from app.utils.stores.host_key_manager import HOST_KEYS_FILE, HostKeyStore
from app.utils.stores.job_run_manager import JobRunManager
from app.utils.stores.json_store import JsonStore
from app.utils.stores.mapping_manager import MappingManager
from app.utils.stores.quality_store import QualityStore
from app.utils.stores.settings_manager import SettingsManager
from app.utils.stores.trailer_manager import TrailerManager
from app.utils.stores.user_manager import UserManager

if TYPE_CHECKING:
    from app.jobs import JobRunner

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
bootstrap = Bootstrap5()


@dataclass
class Managers:
    """Everything that owns a file, built once per app from its instance and backup folders."""

    instance_path: Path
    backup_path: Path
    settings: SettingsManager
    users: UserManager
    job_runs: JobRunManager
    backups: BackupManager
    mapping: MappingManager
    host_keys: HostKeyStore
    trailers: TrailerManager
    archive: ArchiveStore
    quality: QualityStore
    audit: AuditStore
    extra_stores: dict[str, JsonStore] = field(default_factory=dict)
    #: What went wrong at start and was repaired (a new secret key, accounts started afresh), for the
    #: dashboard and the health page.
    startup_problems: list[str] = field(default_factory=list)
    #: Features' own failures for the summary views: callables returning ``[{"title" (msgid), "subject"?,
    #: "detail"}]``, added by each feature when its blueprint is registered (see app/plex_editor/__init__.py).
    problem_sources: list[Callable[[], list[dict[str, Any]]]] = field(default_factory=list)
    #: Called (with no argument) when MMS asks the home Plex to scan: the cloud-burst guard counts the home
    #: library before the scan (see app/cloud_burst/home_guard.py).
    scan_listeners: list[Callable[[], None]] = field(default_factory=list)
    jobs: JobRunner | None = None
    #: What happens in MMS, for the notifications and the live updates (:class:`EventBus`).
    events: EventBus = field(default_factory=EventBus)

    def plex_scan_asked(self) -> None:
        """Tell the listeners that MMS asks the home Plex to scan; a listener's failure is logged only."""
        for listener in self.scan_listeners:
            try:
                listener()
            except Exception:
                logging.getLogger(__name__).exception("a Plex scan listener failed")

    @classmethod
    def build(cls, instance_path: Path, backup_path: Path) -> Managers:
        """Create the managers for one instance folder."""
        events = EventBus()
        built = cls(
            events=events,
            instance_path=instance_path,
            backup_path=backup_path,
            settings=SettingsManager(instance_path),
            users=UserManager(instance_path),
            job_runs=JobRunManager(instance_path),
            backups=BackupManager(instance_path, backup_path),
            mapping=MappingManager(instance_path, events),
            host_keys=HostKeyStore(instance_path / HOST_KEYS_FILE),
            trailers=TrailerManager(instance_path),
            archive=ArchiveStore(instance_path),
            quality=QualityStore(instance_path),
            audit=AuditStore(instance_path),
        )
        built.backups.databases[ARCHIVE_FILE] = built.archive  # backed up beside the JSON stores
        return built

    def extra_store(self, file_name: str) -> JsonStore:
        """A feature's own store ``instance/<file_name>``, made on first use and then kept (so backups,
        restores and the health page see it like the others)."""
        if file_name not in self.extra_stores:
            self.extra_stores[file_name] = JsonStore(self.instance_path / file_name)
        return self.extra_stores[file_name]

    def stores(self) -> dict[str, JsonStore]:
        """Every live store by file name (``settings.json`` ...), for health and restore."""
        found = [self.settings.store, self.users.store, self.job_runs.store, self.mapping.store,
                 self.host_keys.store, self.trailers.store, *self.extra_stores.values()]
        return {store.path.name: store for store in found}


def managers() -> Managers:
    """The managers of the current app (inside an app or request context)."""
    return current_app.extensions["mms"]
