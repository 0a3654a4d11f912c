"""The ``assistant_report`` job: the library report, weekly by default."""

from __future__ import annotations

from app.jobs import JobSpec, every, every_text
from app.utils.settings_schema import N_


def _report_job() -> str:
    from app.assistant.report import run_job

    return run_job()


JOBS = (JobSpec("assistant_report", N_("Assistant: the library report"), _report_job,
                every("assistant_report_days", "days"), every_text("assistant_report_days", "days")),)
