"""Owner of ``instance/job_runs.json``: start, end, duration and result of each job run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.utils.stores.json_store import JsonStore

JOB_RUNS_FILE = "job_runs.json"
#: Runs kept per job, newest first.
RUNS_KEPT = 20


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class JobRunManager:
    """Per job id, a list of runs ``{"started_at", "ended_at", "duration_s", "status", "result", "error"}``.

    ``status`` is ``running``, ``ok``, ``error`` or ``skipped``; times are ISO 8601 UTC.
    """

    def __init__(self, instance_path: Path | str):
        self.store = JsonStore(Path(instance_path) / JOB_RUNS_FILE, schema_version=1)

    def start(self, job_id: str, trigger: str) -> str:
        """Record that ``job_id`` started (``trigger``: ``schedule`` or ``manual``); returns the start time."""
        started = _now()

        def apply(data: dict) -> None:
            runs = data.setdefault(job_id, [])
            runs.insert(0, {"started_at": started, "trigger": trigger, "status": "running"})
            del runs[RUNS_KEPT:]

        self.store.update(apply)
        return started

    def finish(self, job_id: str, started_at: str, *, status: str, duration_s: float, result: str = "",
               error: str = "", msgid: str | None = None, params: dict | None = None) -> None:
        """Record the end of the run that started at ``started_at`` (duration in seconds); ``msgid`` and
        ``params`` (when the result is translatable) let pages show ``result`` in the reader's language."""

        def apply(data: dict) -> None:
            runs = data.setdefault(job_id, [])
            run = next((r for r in runs if r["started_at"] == started_at and r["status"] == "running"), None)
            if run is None:
                run = {"started_at": started_at}
                runs.insert(0, run)
            run.update(ended_at=_now(), status=status, duration_s=round(duration_s, 3), result=result, error=error)
            if msgid:
                run.update(result_msgid=msgid, result_params=dict(params or {}))
            del runs[RUNS_KEPT:]

        self.store.update(apply)

    def skipped(self, job_id: str, trigger: str, reason: str) -> None:
        """Record a run that did not happen (the job was already running elsewhere)."""
        started = self.start(job_id, trigger)
        self.finish(job_id, started, status="skipped", duration_s=0.0, result=reason)

    def runs(self, job_id: str) -> list[dict]:
        """The recorded runs of ``job_id``, newest first (the caller's own copy)."""
        return [dict(run) for run in self.store.read_shared().get(job_id, [])]
