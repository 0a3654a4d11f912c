"""The periodic reachability check of the configured services."""

from __future__ import annotations

from app.jobs import JobResult, JobSpec, every, every_text
from app.utils.settings_schema import N_


def _service_check() -> JobResult:
    from app.core.checks import run_service_check

    return run_service_check()


JOBS = (
    JobSpec("service_check", N_("Services: reachability check"), _service_check,
            every("service_check_interval_s"), every_text("service_check_interval_s")),
)
