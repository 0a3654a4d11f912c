"""HTTP of cloud burst: the runs page, a run's page, and ``/api/cloud-burst/...``."""

from __future__ import annotations

from flask import abort, jsonify, render_template, send_file
from pydantic import BaseModel, Field

from app.api import parse_body, parse_query
from app.cloud_burst import bp, runner, runs, service
from app.extensions import managers
from app.i18n import localized_detail
from app.utils.settings_schema import CHOICE_LABELS


class EstimateQuery(BaseModel):
    """``provider`` (the setting by default) and ``hours`` planned."""

    provider: str | None = Field(default=None, pattern=r"^(own_host|scaleway)$")
    hours: float | None = Field(default=None, gt=0, le=720)


def _line(line: dict) -> dict:
    """A log line in the reader's language; a step or provider named in it is shown by its label."""
    params = dict(line.get("params") or {})
    if params.get("step") in runs.STATE_LABELS:
        params["step"] = localized_detail({"msgid": runs.STATE_LABELS[params["step"]]})
    if params.get("provider") in CHOICE_LABELS["cloud_burst_provider"]:
        params["provider"] = localized_detail({"msgid": CHOICE_LABELS["cloud_burst_provider"][params["provider"]]})
    return {**line, "text": localized_detail({"msgid": line.get("msgid"), "params": params})}


def _view(run: dict) -> dict:
    """A run for the browser: its state label and log lines in the reader's language."""
    return {**run, "state_label": localized_detail({"msgid": runs.STATE_LABELS[run["state"]]}),
            "log": [_line(line) for line in run["log"]],
            "error_text": localized_detail(run.get("error")) if run.get("error") else None,
            "has_archive": runner.archive_path(run["id"]) is not None}


@bp.get("/cloud-burst")
def index():
    """Runs with their state and cost, what a run needs, and the start dialog."""
    settings = managers().settings.load()
    return render_template("cloud_burst/index.html", runs=[_view(r) for r in runs.runs()],
                           readiness=service.readiness(), sections=service.home_sections(), settings=settings,
                           localized=localized_detail, labels=runs.STATE_LABELS)


@bp.get("/cloud-burst/runs/<run_id>")
def run_page(run_id: str):
    """One run: its steps, log, sections, the guard's verdict and cost; live while it goes on."""
    return render_template("cloud_burst/run.html", run=_view(runs.get(run_id)), steps=runs.STEPS,
                           labels=runs.STATE_LABELS, localized=localized_detail)


@bp.get("/cloud-burst/runs/<run_id>/archive")
def archive(run_id: str):
    """The run's Plex and rclone logs (``.tar.gz``)."""
    runs.get(run_id)
    path = runner.archive_path(run_id)
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=f"cloud-burst-{run_id}-logs.tar.gz")


@bp.get("/api/cloud-burst/runs")
def api_runs():
    """Every run, newest first."""
    return jsonify([_view(r) for r in runs.runs()])


@bp.post("/api/cloud-burst/runs")
def api_start():
    """Start a run (``{"mode", "provider", "sections", "planned_hours"}``)."""
    return jsonify(_view(service.start(parse_body(service.StartRun)))), 201


@bp.get("/api/cloud-burst/estimate")
def api_estimate():
    """The cost estimate: hourly price × planned hours (euros)."""
    q = parse_query(EstimateQuery)
    return jsonify(service.estimate(q.provider, q.hours))


@bp.get("/api/cloud-burst/runs/<run_id>")
def api_run(run_id: str):
    """One run."""
    return jsonify(_view(runs.get(run_id)))


@bp.post("/api/cloud-burst/runs/<run_id>/cancel")
def api_cancel(run_id: str):
    """Cancel a run; its machine is destroyed."""
    return jsonify(_view(service.cancel(run_id)))


@bp.post("/api/cloud-burst/runs/<run_id>/claim")
def api_claim(run_id: str):
    """Give the Plex claim token the run waits for."""
    service.give_claim(run_id, parse_body(service.ClaimBody))
    return jsonify(_view(runs.get(run_id)))


@bp.post("/api/cloud-burst/runs/<run_id>/plex-stopped")
def api_plex_stopped(run_id: str):
    """Say the home Plex is stopped: the run installs the database."""
    service.confirm_plex_stopped(run_id)
    return jsonify(_view(runs.get(run_id)))
