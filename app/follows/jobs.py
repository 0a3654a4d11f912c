"""The ``follow_checks`` job: search the followed episodes that are due."""

from __future__ import annotations

from app.jobs import JobSpec, every, every_text
from app.utils.settings_schema import N_


def _follow_job() -> str:
    from app.follows.service import run_job

    return run_job()


JOBS = (JobSpec("follow_checks", N_("Followed series: search aired episodes"), _follow_job,
                every("follow_check_minutes", "minutes"), every_text("follow_check_minutes", "minutes")),)
