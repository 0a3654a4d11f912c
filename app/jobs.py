"""The one registry of background jobs (APScheduler, in-process).

Each job has a stable id, ``max_instances=1`` and ``coalesce=True``; its body runs
inside the app context, and its start, end, duration and result (or error) are
recorded by :class:`~app.utils.stores.job_run_manager.JobRunManager`.

Only one process runs the scheduler: the one that holds
``instance/.locks/scheduler.lock`` (an OS lock, released when the process dies).
A run, scheduled or manual, also holds ``job-<id>.lock``, so a job never runs
twice at once, even when "run now" is pressed in another process.

Schedules come from the settings. :meth:`JobRunner.sync_schedules` applies them;
it runs when a save in this process sends :data:`~app.utils.stores.settings_manager.settings_saved`
and every ``SYNC_INTERVAL_S`` seconds in the scheduler's process (for saves made by another
process). This module is the mechanism only: each feature declares its jobs in
``app/<feature>/jobs.py`` (``JOBS``) and :func:`app.create_app` hands them to the runner.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout
from flask import Flask

from app.i18n import gettext
from app.utils.settings_schema import N_, Settings
from app.utils.stores.job_run_manager import JobRunManager
from app.utils.stores.json_store import LOCK_DIR_NAME, StoreError
from app.utils.stores.settings_manager import settings_saved

log = logging.getLogger(__name__)

#: Seconds between two checks of the settings for schedule changes.
SYNC_INTERVAL_S = 30
SYNC_JOB_ID = "_sync_schedules"


@dataclass(frozen=True)
class JobSpec:
    """One job: ``func`` runs in the app context and returns a one-line result;
    ``trigger`` builds its APScheduler trigger from the settings (``None`` = disabled);
    ``schedule`` describes that trigger for people."""

    id: str
    title: str
    func: Callable[[], str]
    trigger: Callable[[Settings], BaseTrigger | None]
    schedule: Callable[[Settings], str]


class JobResult(str):
    """A job's one-line result that also says how many of its items failed (``failed``): a run with
    failed items is recorded ``partial``, not ``ok``. It is a ``str`` (English), so callers that print it
    need nothing else; built with :meth:`message`, it also keeps its message id and values, so pages show
    it in the reader's language."""

    failed: int
    msgid: str | None
    params: dict[str, Any]

    def __new__(cls, text: str, failed: int = 0) -> JobResult:
        value = super().__new__(cls, text)
        value.failed = failed
        value.msgid, value.params = None, {}
        return value

    @classmethod
    def message(cls, msgid: str, failures: int = 0, /, **params: Any) -> JobResult:
        """A result from a translatable ``msgid`` (marked with ``N_``) and its ``%(name)`` values;
        ``failures`` counts the failed items (the values may hold a ``failed`` count of their own)."""
        value = cls(msgid % params, failures)
        value.msgid, value.params = msgid, params
        return value


def every(field: str, unit: str = "seconds") -> Callable[[Settings], BaseTrigger | None]:
    """A trigger every ``settings.<field>`` ``unit`` (seconds, minutes, hours or days); 0 disables the job."""
    return lambda settings: IntervalTrigger(**{unit: getattr(settings, field)}) if getattr(settings, field) else None


#: How :func:`every_text` says each unit.
_EVERY = {"seconds": N_("every %(n)s s"), "minutes": N_("every %(n)s min"), "hours": N_("every %(n)s h"),
          "days": N_("every %(n)s d")}


def every_text(field: str, unit: str = "seconds") -> Callable[[Settings], str]:
    """The schedule of :func:`every` for people, in the request's language ("toutes les 60 s", "désactivée")."""
    def text(settings: Settings) -> str:
        value = getattr(settings, field)
        return gettext(_EVERY[unit], n=value) if value else gettext("disabled")

    return text


class _Recorder:
    """Records one run in job_runs.json; a store failure is logged, never raised into the job."""

    def __init__(self, runs: JobRunManager, job_id: str, trigger: str):
        self.runs, self.job_id, self.trigger = runs, job_id, trigger
        self.started: str | None = None
        self.t0 = time.monotonic()

    def start(self) -> None:
        self.t0 = time.monotonic()
        try:
            self.started = self.runs.start(self.job_id, self.trigger)
        except StoreError:
            log.exception("job %s: run start not recorded", self.job_id)

    def finish(self, status: str, *, result: str = "", error: str = "", msgid: str | None = None,
               params: dict[str, Any] | None = None) -> None:
        if self.started is None:
            log.info("job %s ended %s: %s", self.job_id, status, result or error)
            return
        try:
            self.runs.finish(self.job_id, self.started, status=status, duration_s=time.monotonic() - self.t0,
                             result=result, error=error, msgid=msgid, params=params)
        except StoreError:
            log.exception("job %s: run end not recorded (%s %s)", self.job_id, status, result or error)

    def skipped(self, reason: str) -> None:
        try:
            self.runs.skipped(self.job_id, self.trigger, reason)
        except StoreError:
            log.exception("job %s skipped (%s), not recorded", self.job_id, reason)


def _same_trigger(a: BaseTrigger | None, b: BaseTrigger | None) -> bool:
    return str(a) == str(b) and type(a) is type(b)


class JobRunner:
    """Owns the scheduler of one app; see the module docstring."""

    def __init__(self, app: Flask, specs: tuple[JobSpec, ...] | list[JobSpec], instance_path: Path):
        self.app = app
        self.specs = {spec.id: spec for spec in specs}
        self.lock_dir = instance_path / LOCK_DIR_NAME
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        self.scheduler: BackgroundScheduler | None = None
        self._process_lock: FileLock | None = None
        self._sync_lock = threading.Lock()
        self._enabled: tuple[Settings, dict[str, bool]] | None = None

    @property
    def owns_scheduler(self) -> bool:
        """Whether this process runs the scheduled jobs."""
        return self.scheduler is not None

    # -- start / stop ---------------------------------------------------------------------
    def start(self) -> bool:
        """Start the scheduler if no other process runs one; returns whether this one does."""
        lock = FileLock(str(self.lock_dir / "scheduler.lock"), thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            log.info("another process runs the scheduler; this one serves pages only")
            return False
        self._process_lock = lock
        self.scheduler = BackgroundScheduler(job_defaults={"max_instances": 1, "coalesce": True,
                                                           "misfire_grace_time": 300})
        self.scheduler.start()
        self.scheduler.add_job(self.sync_schedules, IntervalTrigger(seconds=SYNC_INTERVAL_S), id=SYNC_JOB_ID,
                               replace_existing=True)
        settings_saved.connect(self._settings_saved, sender=self.app.extensions["mms"].settings)
        self.sync_schedules()
        return True

    def _settings_saved(self, sender: object, **_extra: object) -> dict[str, str]:
        return self.sync_schedules()

    def shutdown(self) -> None:
        """Stop the scheduler (waiting for running jobs) and release the process lock."""
        if self.scheduler is not None:
            settings_saved.disconnect(self._settings_saved)
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        if self._process_lock is not None:
            self._process_lock.release()
            self._process_lock = None

    # -- schedules -----------------------------------------------------------------------
    def _settings(self) -> Settings:
        with self.app.app_context():  # fresh: this sync is how saves by other processes arrive
            return self.app.extensions["mms"].settings.load(fresh=True)

    def sync_schedules(self) -> dict[str, str]:
        """Make each job's trigger match the settings; returns ``{job_id: change}`` for what changed."""
        if self.scheduler is None:
            return {}
        changes: dict[str, str] = {}
        with self._sync_lock:
            try:
                settings = self._settings()
            except Exception:
                log.exception("schedules not synced: settings unreadable")
                return {}
            for spec in self.specs.values():
                wanted = spec.trigger(settings)
                job = self.scheduler.get_job(spec.id)
                if wanted is None:
                    if job is not None:
                        self.scheduler.remove_job(spec.id)
                        changes[spec.id] = "disabled"
                    continue
                if job is None:
                    self.scheduler.add_job(self.execute, wanted, args=[spec.id, "schedule"], id=spec.id,
                                           name=spec.title, replace_existing=True)
                    changes[spec.id] = f"scheduled: {wanted}"
                elif not _same_trigger(job.trigger, wanted):
                    self.scheduler.reschedule_job(spec.id, trigger=wanted)
                    changes[spec.id] = f"rescheduled: {wanted}"
        if changes:
            log.info("schedules changed: %s", changes)
        return changes

    def enabled(self, job_id: str, settings: Settings) -> bool:
        """Whether the job has a schedule under ``settings`` (remembered per settings object: building
        a trigger costs more than a page's other work)."""
        cached = self._enabled
        if cached is None or cached[0] is not settings:
            cached = (settings, {spec.id: spec.trigger(settings) is not None for spec in self.specs.values()})
            self._enabled = cached
        return cached[1][job_id]

    def next_run(self, job_id: str) -> datetime | None:
        """When the job runs next (this process only knows if it owns the scheduler)."""
        if self.scheduler is None:
            return None
        job = self.scheduler.get_job(job_id)
        return job.next_run_time if job else None

    # -- running -------------------------------------------------------------------------
    def execute(self, job_id: str, trigger: str = "schedule") -> str | None:
        """Run one job now in this thread, recorded; returns its status (``ok``, ``partial`` when some
        of its items failed, ``error``, ``skipped``).

        The job runs even when ``job_runs.json`` cannot be written; that failure is logged.
        """
        spec = self.specs[job_id]
        lock = FileLock(str(self.lock_dir / f"job-{job_id}.lock"), thread_local=False)
        with self.app.app_context():
            recorder = _Recorder(self.app.extensions["mms"].job_runs, job_id, trigger)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                recorder.skipped("already running")
                return "skipped"
            events = self.app.extensions["mms"].events
            status = "error"
            try:
                recorder.start()
                events.publish("job.started", job=job_id, trigger=trigger)
                try:
                    result = spec.func() or ""
                except Exception as exc:
                    log.exception("job %s failed", job_id)
                    recorder.finish("error", error=f"{type(exc).__name__}: {exc}")
                    return "error"
                status = "partial" if getattr(result, "failed", 0) else "ok"
                recorder.finish(status, result=str(result), msgid=getattr(result, "msgid", None),
                                params=getattr(result, "params", None))
                return status
            finally:
                lock.release()
                events.publish("job.finished", job=job_id, status=status)

    def run_now(self, job_id: str) -> threading.Thread:
        """Start ``job_id`` in a background thread ("run now"); raises ``KeyError`` if unknown."""
        if job_id not in self.specs:
            raise KeyError(job_id)
        thread = threading.Thread(target=self.execute, args=(job_id, "manual"), name=f"job-{job_id}", daemon=True)
        thread.start()
        return thread
