"""The ``notifications_send`` job: send the due notifications (grouped), retry the failed ones."""

from __future__ import annotations

from apscheduler.triggers.interval import IntervalTrigger

from app.i18n import gettext
from app.jobs import JobResult, JobSpec
from app.utils.settings_schema import N_

EVERY_S = 15


def _send() -> JobResult:
    from app.notifications.service import flush

    counts = flush()
    return JobResult.message(N_("%(sent)s message(s) sent, %(failed)s failed, %(waiting)s waiting"),
                             counts["failed"], **counts)


JOBS = (JobSpec("notifications_send", N_("Notifications: send and retry"), _send,
                lambda _settings: IntervalTrigger(seconds=EVERY_S),
                lambda _settings: gettext("every %(n)s s", n=EVERY_S)),)
