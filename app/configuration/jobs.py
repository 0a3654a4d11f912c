"""The scheduled backup."""

from __future__ import annotations

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from app.i18n import gettext
from app.jobs import JobSpec
from app.utils.settings_schema import N_, Settings


def _backup_job() -> str:
    from app.configuration.service import run_scheduled_backup

    return run_scheduled_backup()


def _backup_trigger(settings: Settings) -> BaseTrigger | None:
    hour = settings.backup_hour
    return {
        "disabled": None,
        "hourly": CronTrigger(minute=0),
        "daily": CronTrigger(hour=hour, minute=0),
        "weekly": CronTrigger(day_of_week="mon", hour=hour, minute=0),
    }[settings.backup_schedule]


def _backup_schedule(settings: Settings) -> str:
    """The backup schedule for people, in the request's language ("tous les jours à 03:00")."""
    time = f"{settings.backup_hour:02d}:00"
    return {"disabled": gettext("disabled"), "hourly": gettext("every hour, on the hour"),
            "daily": gettext("every day at %(time)s", time=time),
            "weekly": gettext("every Monday at %(time)s", time=time)}[settings.backup_schedule]


JOBS = (
    JobSpec("backup", N_("Backup of the settings and databases"), _backup_job, _backup_trigger, _backup_schedule),
)
