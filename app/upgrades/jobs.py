"""The ``upgrade_checks`` job: search upgrades for the library items a rule matches."""

from __future__ import annotations

from app.jobs import JobSpec, every, every_text
from app.utils.settings_schema import N_


def _checks_job() -> str:
    from app.upgrades.service import run_job

    return run_job()


JOBS = (JobSpec("upgrade_checks", N_("Upgrade checks: search better releases"), _checks_job,
                every("upgrade_check_hours", "hours"), every_text("upgrade_check_hours", "hours")),)
