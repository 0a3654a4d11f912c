"""The runs of cloud burst, one state machine each, in ``instance/cloud_burst_runs.json`` (keyed by run id).

``created → provisioning → preparing → uploading_db → mounting → scanning → analyzing → collecting →
downloading_db → verifying → installing → done``, and ``failed`` or ``cancelled`` from any step. A run only
moves forward (a resumed run starts its current step again); each step records when it started and ended;
the log keeps message ids and values, shown in the reader's language.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from app.extensions import managers
from app.utils.messages import N_, Refusal
from app.utils.stores.json_store import JsonStore

RUNS_FILE = "cloud_burst_runs.json"
SCHEMA_VERSION = 1
STEPS = ("created", "provisioning", "preparing", "uploading_db", "mounting", "scanning", "analyzing",
         "collecting", "downloading_db", "verifying", "installing", "done")
TERMINAL = ("done", "failed", "cancelled")
#: Each state for people.
STATE_LABELS = {
    "created": N_("created"), "provisioning": N_("making the machine"), "preparing": N_("preparing the machine"),
    "uploading_db": N_("sending the database"), "mounting": N_("mounting the bucket"), "scanning": N_("scanning"),
    "analyzing": N_("analysing"), "collecting": N_("collecting the logs"),
    "downloading_db": N_("bringing the database home"), "verifying": N_("verifying"),
    "installing": N_("installing"), "done": N_("done"), "failed": N_("failed"), "cancelled": N_("cancelled"),
}
LOG_KEPT = 400


class RunRefused(Refusal):
    """A run cannot be started, found or changed (the message says why)."""

    code = "cloud_burst_refused"
    status = 409


def store() -> JsonStore:
    """``instance/cloud_burst_runs.json``."""
    return managers().extra_store(RUNS_FILE)


def now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _runs() -> dict[str, dict[str, Any]]:
    data = store().read() if store().exists() else None
    return (data or {}).get("runs", {}) if isinstance(data, dict) else {}


def runs() -> list[dict[str, Any]]:
    """Every run, newest first."""
    return sorted(_runs().values(), key=lambda r: r["created_at"], reverse=True)


def get(run_id: str) -> dict[str, Any]:
    """One run; :class:`RunRefused` (404) when unknown."""
    found = _runs().get(run_id)
    if found is None:
        raise RunRefused(N_("no cloud burst run %(id)s"), id=run_id, status=404)
    return found


def active() -> list[dict[str, Any]]:
    """The runs not finished yet."""
    return [r for r in runs() if r["state"] not in TERMINAL]


def create(options: dict[str, Any]) -> dict[str, Any]:
    """A new run in ``created`` with ``options`` (mode, provider, sections, planned hours, estimate). Refused
    while another run is active (one machine at a time)."""
    run = {"id": secrets.token_hex(4), "state": "created", "created_at": now(), "updated_at": now(),
           "options": options, "steps": {"created": {"started_at": now(), "ended_at": now(), "seconds": 0}},
           "log": [], "machine": None, "sections": {}, "waiting_for": None, "cancel_requested": False,
           "error": None, "guard": None, "cost": {"hourly": options.get("hourly_price", 0.0),
                                                  "estimate": options.get("estimate", 0.0), "actual": None},
           "destroyed_at": None, "archive": None, "install": None}

    def apply(data: Any) -> None:
        if not isinstance(data, dict) or "runs" not in data:
            data.clear()
            data.update({"schema_version": SCHEMA_VERSION, "runs": {}})
        if any(r["state"] not in TERMINAL for r in data["runs"].values()):
            raise RunRefused(N_("a cloud burst run is already going on"))
        data["runs"][run["id"]] = run
    store().update(apply)
    return run


def change(run_id: str, fn) -> dict[str, Any]:
    """Apply ``fn(run)`` under the store's lock; the run as saved."""
    def apply(data: Any) -> dict[str, Any]:
        run = data.get("runs", {}).get(run_id)
        if run is None:
            raise RunRefused(N_("no cloud burst run %(id)s"), id=run_id, status=404)
        fn(run)
        run["updated_at"] = now()
        return run
    run = store().update(apply)
    managers().events.publish("cloud_burst.run", id=run_id, state=run.get("state"))
    return run


def set_fields(run_id: str, **values: Any) -> dict[str, Any]:
    """Set top-level fields of a run."""
    return change(run_id, lambda run: run.update(values))


def log(run_id: str, msgid: str, level: str = "info", **params: Any) -> None:
    """Add a line to the run's log (``msgid`` and ``params``, translated when shown)."""
    def apply(run: dict[str, Any]) -> None:
        run["log"].append({"at": now(), "step": run["state"], "level": level, "msgid": msgid, "params": params})
        del run["log"][:-LOG_KEPT]
    change(run_id, apply)


def advance(run_id: str, state: str) -> dict[str, Any]:
    """Move to ``state`` (a later step, or ``failed``/``cancelled``), closing the current step's timing.
    Raises :class:`RunRefused` for a step backwards or out of a finished run."""
    def apply(run: dict[str, Any]) -> None:
        current = run["state"]
        if current in TERMINAL:
            raise RunRefused(N_("the run is %(state)s already"), state=current)
        if state not in TERMINAL and STEPS.index(state) <= STEPS.index(current):
            raise RunRefused(N_("a run cannot go back from %(from)s to %(to)s"), **{"from": current, "to": state})
        step = run["steps"].setdefault(current, {"started_at": now()})
        step["ended_at"] = now()
        step["seconds"] = _seconds(step["started_at"], step["ended_at"]) + step.get("seconds_before", 0)
        run["state"] = state
        run["waiting_for"] = None
        run["steps"][state] = {"started_at": now()}
        if state in TERMINAL:
            run["steps"][state]["ended_at"] = now()
    return change(run_id, apply)


def restart_step(run_id: str) -> None:
    """The current step starts again after an MMS restart: its time so far is kept, its clock restarts."""
    def apply(run: dict[str, Any]) -> None:
        step = run["steps"].setdefault(run["state"], {"started_at": now()})
        step["seconds_before"] = step.get("seconds_before", 0) + _seconds(step["started_at"], now())
        step["started_at"] = now()
        step["resumed"] = step.get("resumed", 0) + 1
    change(run_id, apply)


def _seconds(start: str, end: str) -> float:
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 1)


def age_hours(run: dict[str, Any]) -> float:
    """Hours since the run was created."""
    return (datetime.now(UTC) - datetime.fromisoformat(run["created_at"])).total_seconds() / 3600
