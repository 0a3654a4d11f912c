"""The ``archive_sync`` job: record Plex's new plays in the archive."""

from __future__ import annotations

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.i18n import gettext
from app.jobs import JobSpec
from app.utils.settings_schema import N_, Settings


def _archive_job() -> str:
    from app.archive.service import run_sync_job

    return run_sync_job()


def _trigger(settings: Settings) -> BaseTrigger | None:
    return IntervalTrigger(minutes=settings.archive_sync_minutes) if settings.archive_sync_minutes else None


def _schedule(settings: Settings) -> str:
    if not settings.archive_sync_minutes:
        return gettext("disabled")
    return gettext("every %(minutes)s min", minutes=settings.archive_sync_minutes)


JOBS = (JobSpec("archive_sync", N_("Watch archive: record new plays"), _archive_job, _trigger, _schedule),)
