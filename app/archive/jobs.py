"""The ``archive_sync`` job: record Plex's new plays in the archive."""

from __future__ import annotations

from app.jobs import JobSpec, every, every_text
from app.utils.settings_schema import N_


def _archive_job() -> str:
    from app.archive.service import run_sync_job

    return run_sync_job()


JOBS = (JobSpec("archive_sync", N_("Watch archive: record new plays"), _archive_job,
                every("archive_sync_minutes", "minutes"), every_text("archive_sync_minutes", "minutes")),)
