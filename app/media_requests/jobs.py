"""The ``request_checks`` job: follow approved requests until Plex has them."""

from __future__ import annotations

from app.jobs import JobSpec, every, every_text
from app.utils.settings_schema import N_


def _checks_job() -> str:
    from app.media_requests.progress import run_job

    return run_job()


JOBS = (JobSpec("request_checks", N_("Requests: follow the approved ones until Plex has them"), _checks_job,
                every("request_check_minutes", "minutes"), every_text("request_check_minutes", "minutes")),)
