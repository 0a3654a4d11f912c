"""The "trailers" job: find trailers for media without one, download the locked ones missing on disk."""

from __future__ import annotations

from app.jobs import JobSpec, every, every_text
from app.utils.settings_schema import N_


def _trailers_job() -> str:
    from app.trailers.service import run_job

    return run_job()


JOBS = (JobSpec("trailers", N_("Trailers: find and download"), _trailers_job,
                every("trailer_job_hours", "hours"), every_text("trailer_job_hours", "hours")),)
