"""The "trailers" job: find trailers for media without one, download the locked ones missing on disk."""

from __future__ import annotations

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.i18n import gettext
from app.jobs import JobSpec
from app.utils.settings_schema import N_, Settings


def _trailers_job() -> str:
    from app.trailers.service import run_job

    return run_job()


def _trigger(settings: Settings) -> BaseTrigger | None:
    return IntervalTrigger(hours=settings.trailer_job_hours) if settings.trailer_job_hours else None


def _schedule(settings: Settings) -> str:
    if not settings.trailer_job_hours:
        return gettext("disabled")
    return gettext("every %(hours)s h", hours=settings.trailer_job_hours)


JOBS = (JobSpec("trailers", N_("Trailers: find and download"), _trailers_job, _trigger, _schedule),)
