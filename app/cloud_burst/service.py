"""Cloud burst runs, for the page, the API, the CLI and the watchdog job: start, cancel, answer a run's
question (the Plex claim token, "the home Plex is stopped"), resume after a restart, and destroy machines a
run forgot.

A run's work happens in a :class:`~app.cloud_burst.runner.BurstRunner` thread; this module keeps one per run
in the app (``app.extensions["cloud_burst_runners"]``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from flask import Flask, current_app
from pydantic import BaseModel, Field

from app.cloud_burst import guard, home_guard, providers, runs
from app.cloud_burst.runner import BurstRunner, home_database
from app.extensions import managers
from app.utils.messages import N_


class StartRun(BaseModel):
    """A run to start: ``mode`` (``delta``: the home database goes up and only new files are scanned;
    ``scratch``: a new database), the ``provider``, the home ``sections`` (ids; empty = all) and the hours
    planned (for the estimate)."""

    mode: Literal["delta", "scratch"] = "delta"
    provider: Literal["own_host", "scaleway"] | None = None
    sections: list[int] = Field(default_factory=list, max_length=100)
    planned_hours: float | None = Field(default=None, gt=0, le=720)


class ClaimBody(BaseModel):
    """The token from https://www.plex.tv/claim (``claim-`` and about 20 characters; valid 4 minutes)."""

    token: str = Field(pattern=r"^claim-[A-Za-z0-9_-]{8,64}$")


def _runners(app: Flask | None = None) -> dict[str, BurstRunner]:
    return (app or current_app).extensions.setdefault("cloud_burst_runners", {})


def _app() -> Flask:
    return current_app._get_current_object()


def home_sections() -> list[dict[str, Any]]:
    """The home Plex's sections read from its database (``[{"id", "name", "kind", "total", "parts"}]``);
    empty when ``PLEX_DATA_PATH`` is not set or the database cannot be read."""
    settings = managers().settings.load()
    if not settings.plex_data_path or not home_database(settings).is_file():
        return []
    try:
        counts = guard.section_counts(home_database(settings))
    except Exception:  # noqa: BLE001 - an unreadable database is shown by the page's readiness list
        return []
    return [{"id": sid, "name": c["name"], "kind": c["kind"], "total": c["total"], "parts": c["parts"]}
            for sid, c in sorted(counts.items())]


def readiness() -> list[dict[str, Any]]:
    """What a run needs and whether it is there: ``[{"ok", "msgid", "params"}]`` (shown by the page)."""
    s = managers().settings.load()
    checks = [
        (bool(s.plex_data_path) and home_database(s).is_file(),
         N_("the home Plex database is readable (PLEX_DATA_PATH)"), {}),
        (bool(s.cloud_burst_path_mappings), N_("library folders are mapped to the S3 mount "
                                               "(CLOUD_BURST_PATH_MAPPINGS)"), {}),
        (bool(s.cloud_burst_s3_bucket and s.cloud_burst_s3_access_key and s.cloud_burst_s3_secret_key),
         N_("the S3 bucket and its keys are set"), {}),
        (bool(s.cloud_burst_host) if s.cloud_burst_provider == "own_host" else
         bool(s.scaleway_access_key and s.scaleway_secret_key and s.scaleway_project_id),
         N_("the machine is configured (%(provider)s)"), {"provider": s.cloud_burst_provider}),
    ]
    return [{"ok": ok, "msgid": msgid, "params": params} for ok, msgid, params in checks]


def estimate(provider_name: str | None = None, planned_hours: float | None = None) -> dict[str, Any]:
    """``{"provider", "hourly", "hours", "estimate"}`` in euros. Raises
    :class:`~app.cloud_burst.providers.ProviderError` when the provider cannot give its price."""
    settings = managers().settings.load()
    provider = providers.provider(settings, provider_name)
    hours = planned_hours or settings.cloud_burst_planned_hours
    hourly = provider.hourly_price()
    return {"provider": provider.name, "hourly": hourly, "hours": hours, "estimate": round(hourly * hours, 2)}


def start(request: StartRun, *, thread: bool = True) -> dict[str, Any]:
    """Check the settings, price the run, record it and start its runner. Raises
    :class:`~app.cloud_burst.runs.RunRefused` (another run is going on, something is missing) or
    :class:`~app.cloud_burst.providers.ProviderError`."""
    missing = [r for r in readiness() if not r["ok"]]
    if missing:
        raise runs.RunRefused(N_("not ready: %(what)s"), what=missing[0]["msgid"] % missing[0]["params"],
                              status=422)
    known = {s["id"] for s in home_sections()}
    unknown = [s for s in request.sections if s not in known]
    if unknown:
        raise runs.RunRefused(N_("no home section %(id)s"), id=unknown[0], status=422)
    price = estimate(request.provider, request.planned_hours)
    run = runs.create({"mode": request.mode, "provider": price["provider"], "sections": sorted(set(request.sections)),
                       "planned_hours": price["hours"], "hourly_price": price["hourly"],
                       "estimate": price["estimate"]})
    if thread:
        launch(run["id"])
    return run


def launch(run_id: str, app: Flask | None = None) -> BurstRunner:
    """Start (or restart) the runner of ``run_id`` in this process."""
    app = app or _app()
    runner = BurstRunner(app, run_id)
    _runners(app)[run_id] = runner
    return runner.start()


def runner(run_id: str) -> BurstRunner | None:
    """The live runner of a run in this process, if any."""
    found = _runners().get(run_id)
    return found if found is not None and found.alive() else None


def cancel(run_id: str) -> dict[str, Any]:
    """Ask a run to stop; its machine is destroyed on the way out. A run with no live runner (MMS restarted)
    is ended here. Raises :class:`~app.cloud_burst.runs.RunRefused` for a finished run."""
    run = runs.get(run_id)
    if run["state"] in runs.TERMINAL:
        raise runs.RunRefused(N_("the run is %(state)s already"), state=run["state"])
    runs.set_fields(run_id, cancel_requested=True)
    live = runner(run_id)
    if live is not None:
        live.cancel()
    else:
        orphan = BurstRunner(_app(), run_id)
        orphan.cancel()
        orphan.start()
    return runs.get(run_id)


def _waiting(run_id: str, what: str) -> BurstRunner:
    run = runs.get(run_id)
    live = runner(run_id)
    if run.get("waiting_for") != what or live is None:
        raise runs.RunRefused(N_("the run is not waiting for that"))
    return live


def give_claim(run_id: str, body: ClaimBody) -> None:
    """Hand the Plex claim token to the run waiting for it (kept in memory, never stored)."""
    _waiting(run_id, "plex_claim").give_claim(body.token)
    runs.log(run_id, N_("claim token received"))


def confirm_plex_stopped(run_id: str) -> None:
    """The user stopped the home Plex: the run installs the database."""
    _waiting(run_id, "plex_stopped").confirm_stopped()
    runs.log(run_id, N_("the home Plex is stopped (confirmed on the page)"))


def watchdog(app: Flask | None = None) -> dict[str, int]:
    """The job's body: restart the runner of each unfinished run that has none in this process (after a
    restart), finish the teardown of runs whose machine could not be destroyed, and destroy MMS-tagged
    machines older than the run limit that no active run owns. ``{"resumed", "destroyed", "failed"}``."""
    app = app or _app()
    counts = {"resumed": 0, "destroyed": 0, "failed": 0}
    for run in runs.runs():
        if run["state"] not in runs.TERMINAL and runner(run["id"]) is None:
            launch(run["id"], app)
            counts["resumed"] += 1
        elif run["state"] in runs.TERMINAL and run.get("machine") and not run.get("destroyed_at"):
            BurstRunner(app, run["id"]).teardown()
            counts["destroyed" if runs.get(run["id"]).get("destroyed_at") else "failed"] += 1
    settings = managers().settings.load()
    _check_home(settings)
    if settings.cloud_burst_provider == "scaleway" and settings.scaleway_secret_key:
        owned = {r["machine"]["id"] for r in runs.active() if r.get("machine")}
        limit = settings.cloud_burst_run_timeout_h * 3600
        provider = providers.provider(settings, "scaleway")
        for machine in provider.tagged_machines():
            born = datetime.fromisoformat(machine["created_at"]) if machine["created_at"] else None
            if machine["id"] in owned or born is None or (datetime.now(UTC) - born).total_seconds() < limit:
                continue
            try:
                provider.destroy({"provider": "scaleway", "id": machine["id"], "zone": machine["zone"]})
                counts["destroyed"] += 1
            except providers.ProviderError:
                counts["failed"] += 1
    return counts


def _check_home(settings: Any) -> None:
    """Run the home guard when Plex is idle (Plex unreachable: not judged now)."""
    from app.utils.clients.errors import UpstreamError
    from app.utils.clients.plex import PlexClient

    if not settings.plex_url or not settings.plex_token:
        return
    try:
        busy = bool(PlexClient.from_settings(settings).activities())
    except UpstreamError:
        return
    home_guard.check(busy=busy)


def problems(app: Flask) -> list[dict[str, Any]]:
    """For the health page and the dashboard: runs failed in the last 7 days, and machines not destroyed."""
    from app.i18n import localized_detail

    with app.app_context():
        found = []
        for run in runs.runs():
            if run.get("machine") and not run.get("destroyed_at") and run["state"] in runs.TERMINAL:
                found.append({"title": N_("A cloud burst machine is not destroyed yet"),
                              "subject": run["machine"]["id"], "detail": run.get("destroy_error") or ""})
            if run["state"] == "failed" and runs.age_hours(run) < 24 * 7:
                found.append({"title": N_("A cloud burst run failed"), "subject": run["id"],
                              "detail": localized_detail(run.get("error")) or ""})
        return found + home_guard.problems()
