"""The ``quality_probe`` job: measure new or changed library files with ffprobe."""

from __future__ import annotations

from app.jobs import JobSpec, every, every_text
from app.utils.settings_schema import N_


def _probe_job() -> str:
    from app.quality.service import run_scan_job

    return run_scan_job()


JOBS = (JobSpec("quality_probe", N_("Quality of library files: measure new files"), _probe_job,
                every("quality_probe_hours", "hours"), every_text("quality_probe_hours", "hours")),)
