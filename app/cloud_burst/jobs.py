"""The ``cloud_burst_watchdog`` job: resume runs after a restart, destroy forgotten machines."""

from __future__ import annotations

from apscheduler.triggers.interval import IntervalTrigger

from app.i18n import gettext
from app.jobs import JobResult, JobSpec
from app.utils.settings_schema import N_

WATCHDOG_MINUTES = 1


def _watchdog() -> JobResult:
    from app.cloud_burst.service import watchdog

    counts = watchdog()
    return JobResult.message(N_("%(resumed)s run(s) resumed, %(destroyed)s machine(s) destroyed, %(failed)s "
                                "destroy(s) failed"), counts["failed"], **counts)


JOBS = (JobSpec("cloud_burst_watchdog", N_("Cloud burst: resume runs, destroy forgotten machines"), _watchdog,
                lambda _settings: IntervalTrigger(minutes=WATCHDOG_MINUTES),
                lambda _settings: gettext("every %(n)s min", n=WATCHDOG_MINUTES)),)
