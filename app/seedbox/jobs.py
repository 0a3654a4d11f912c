"""The main job's scheduled halves (see :mod:`app.seedbox.pipeline`)."""

from __future__ import annotations

from app.jobs import JobResult, JobSpec, every, every_text
from app.utils.settings_schema import N_


def _sftp_scanner() -> JobResult:
    from app.seedbox.pipeline import scan_once

    return scan_once()


def _staging_processor() -> JobResult:
    from app.seedbox.pipeline import process_once

    return process_once()


JOBS = (
    JobSpec("sftp_scanner", N_("Seedbox: finished torrents to staging"), _sftp_scanner,
            every("sftp_scan_interval_s"), every_text("sftp_scan_interval_s")),
    JobSpec("staging_processor", N_("Staging: import into the library"), _staging_processor,
            every("staging_interval_s"), every_text("staging_interval_s")),
)
