"""Media health page and its API under /api/symlink/ (every client path stays under the media root)."""

from __future__ import annotations

from typing import Literal

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.api import ApiError, error_response, parse_body
from app.configuration.service import test_connection
from app.i18n import say
from app.symlink import bp, service


class ScanBody(BaseModel):
    """Start a scan: folders under the media root, mode, depth, regular files too or not."""

    paths: list[str] = Field(default_factory=list, max_length=200)
    mode: Literal["dry", "real"] = "dry"
    depth: Literal["basic", "full"] = "basic"
    include_files: bool = True


class DeleteBody(BaseModel):
    """Delete exactly these paths found by the scan (after the user confirmed the list)."""

    paths: list[str] = Field(min_length=1, max_length=100_000)
    rescan: bool = True
    search: bool = False


@bp.errorhandler(service.ScanError)
def _scan_error(exc: service.ScanError):
    """A refused scan request, in the API's error shape."""
    code = {404: "not_found", 409: "conflict"}.get(exc.status, "invalid_path")
    return error_response(exc.status, code, say(exc))


@bp.route("/symlink")
def index():
    """The media health page."""
    return render_template("symlink/index.html", media_root=service.health_settings()["media_root"],
                           history=service.history())


@bp.get("/api/symlink/config")
def api_config():
    """The health settings (edited on the Configuration page or here)."""
    return jsonify(service.health_settings())


@bp.post("/api/symlink/config")
def api_save_config():
    """Save some of the health settings (same validation as the Configuration page)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", _("The request body must be a JSON object."))
    unknown = set(body) - service.HEALTH_SETTINGS
    if unknown:
        raise ApiError(422, "validation_error", _("Unknown setting."), {k: _("Unknown setting.") for k in unknown})
    return jsonify(service.save_health_settings(body))


@bp.get("/api/symlink/map")
def api_map():
    """How a path of MMS's library maps into Sonarr/Radarr's view (the settings' path mappings)."""
    path = request.args.get("path", "").strip()
    if not path:
        raise ApiError(422, "validation_error", _("Give a path."), {"path": _("Required.")})
    return jsonify(service.map_path(path))


@bp.get("/api/symlink/directories")
def api_directories():
    """Sub-folders (with symlink counts) of ``path`` (default: the media root)."""
    return jsonify(service.directories(request.args.get("path")))


@bp.post("/api/symlink/scans")
def api_start():
    """Start a scan (202); 409 when one already runs on the same folder."""
    body = parse_body(ScanBody)
    return jsonify(service.start_scan(body.paths, body.mode, body.depth, body.include_files)), 202


@bp.get("/api/symlink/scans")
def api_history():
    """The last 3 scans."""
    return jsonify({"scans": service.history()})


@bp.get("/api/symlink/scans/<scan_id>")
def api_status(scan_id: str):
    """A scan's progress and findings."""
    return jsonify(service.scan_status(scan_id))


@bp.post("/api/symlink/scans/<scan_id>/cancel")
def api_cancel(scan_id: str):
    """Cancel a running scan (partial results are kept)."""
    return jsonify(service.cancel_scan(scan_id))


@bp.post("/api/symlink/scans/<scan_id>/delete")
def api_delete(scan_id: str):
    """Delete the confirmed paths of a finished real-mode scan, then rescan in Sonarr/Radarr."""
    body = parse_body(DeleteBody)
    return jsonify(service.delete_confirmed(scan_id, body.paths, body.rescan, body.search))


@bp.post("/api/symlink/services/test/<name>")
def api_test_service(name: str):
    """Test Sonarr or Radarr from this page."""
    if name not in ("sonarr", "radarr"):
        raise ApiError(404, "unknown_service", _("No connection test for %(name)s.", name=name))
    return jsonify(test_connection(name).__dict__)


@bp.get("/api/symlink/services/detect")
def api_detect():
    """Sonarr/Radarr containers on this Docker host, or why they cannot be seen."""
    return jsonify(service.docker_detect())
