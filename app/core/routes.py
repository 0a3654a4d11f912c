"""Dashboard, health and jobs pages, their JSON API, /healthz and the language switch."""

from __future__ import annotations

from flask import Response, abort, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app import LANGUAGES
from app.api import ApiError
from app.core import bp, images
from app.core.service import health_report, jobs_overview, reset_store, run_job_now, test_all_services
from app.i18n import say
from app.utils.images import ImageRefused


@bp.route("/")
def index():
    """The dashboard."""
    return render_template("core/index.html", health=health_report())


@bp.route("/health")
def health():
    """The health page: stores, jobs, services."""
    return render_template("core/health.html", health=health_report())


@bp.route("/jobs")
def jobs():
    """The jobs page."""
    return render_template("core/jobs.html", jobs=jobs_overview())


@bp.get("/healthz")
def healthz():
    """Liveness for Docker and monitors (public, reveals nothing)."""
    return jsonify({"status": "ok"})


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the UI language for this browser session."""
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    target = request.referrer or url_for("core.index")
    return redirect(target if target.startswith(request.host_url) else url_for("core.index"))


@bp.get("/api/health")
def api_health():
    """The health report as JSON."""
    return jsonify(health_report())


@bp.post("/api/services/check")
def api_check_services():
    """Test every configured service now; their reachability as the health page shows it."""
    return jsonify({"services": test_all_services()})


@bp.get("/api/jobs")
def api_jobs():
    """The jobs as JSON."""
    return jsonify({"jobs": jobs_overview()})


@bp.post("/api/jobs/<job_id>/run")
def api_run_job(job_id: str):
    """Start a job now (202); 404 for an unknown job."""
    try:
        run_job_now(job_id)
    except KeyError:
        raise ApiError(404, "unknown_job", _("No job %(id)s.", id=job_id)) from None
    return jsonify({"job": job_id, "started": True}), 202


@bp.post("/api/stores/<name>/reset")
def api_reset_store(name: str):
    """Start an unreadable store afresh, keeping the bad file aside (user's explicit choice)."""
    try:
        kept = reset_store(name)
    except KeyError:
        raise ApiError(404, "unknown_store", _("No data file %(name)s.", name=name)) from None
    except ValueError as exc:
        raise ApiError(409, "store_not_corrupt", say(exc)) from None
    return jsonify({"store": name, "kept_at": kept})


@bp.get("/img/remote")
def remote_image():
    """A poster from TMDB/TheTVDB served through MMS (``?u=<url>&s=<signature>``, see app.core.images);
    400 with the reason for an unsigned address or a download that is not an image."""
    try:
        data, mime = images.remote_image(request.args.get("u", ""), request.args.get("s", ""))
    except images.ImageUnavailable:
        # like Sonarr's missing poster: a neutral placeholder, not a broken image in the page
        response = redirect(url_for("static", filename="img/poster-placeholder.svg"))
        response.headers["Cache-Control"] = "private, max-age=600"
        return response
    except ImageRefused as exc:
        return Response(say(exc), status=400, mimetype="text/plain")
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
