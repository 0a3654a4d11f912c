"""HTTP of notifications: the page and ``/api/notifications/...``."""

from __future__ import annotations

from flask import jsonify, render_template
from flask_login import current_user

from app.api import parse_body
from app.notifications import bp, service
from app.notifications.events import EVENTS


@bp.get("/notifications")
def index():
    """Targets with their events, the "send test" buttons, and the last deliveries."""
    return render_template("notifications/index.html", targets=service.targets(), events=EVENTS,
                           recent=service.recent()[:30], queued=service.queued())


@bp.get("/api/notifications/targets")
def api_targets():
    """Every target (URLs masked)."""
    return jsonify(service.targets())


@bp.post("/api/notifications/targets")
def api_add():
    """Add a target (``{"name", "url", "events", "enabled"}``)."""
    return jsonify(service.add(parse_body(service.TargetIn))), 201


@bp.put("/api/notifications/targets/<target_id>")
def api_change(target_id: str):
    """Change a target's name, events, state or URL."""
    return jsonify(service.change(target_id, parse_body(service.TargetChange)))


@bp.delete("/api/notifications/targets/<target_id>")
def api_delete(target_id: str):
    """Remove a target."""
    service.remove(target_id)
    return "", 204


@bp.post("/api/notifications/targets/<target_id>/test")
def api_test(target_id: str):
    """Send a test message now."""
    return jsonify(service.test_target(target_id))


# -- a user's own targets (their requests' news) -------------------------------------------------------------
@bp.get("/api/account/notifications")
def api_own_targets():
    """The current user's own targets."""
    return jsonify(service.targets(owner=current_user.username))


@bp.post("/api/account/notifications")
def api_own_add():
    """Add an own target (``{"name", "url", "events"}``; events about the user's requests only)."""
    return jsonify(service.add(parse_body(service.TargetIn), owner=current_user.username)), 201


@bp.delete("/api/account/notifications/<target_id>")
def api_own_delete(target_id: str):
    """Remove one of the user's own targets."""
    service.remove(target_id, owner=current_user.username)
    return "", 204


@bp.post("/api/account/notifications/<target_id>/test")
def api_own_test(target_id: str):
    """Send a test message to one of the user's own targets."""
    return jsonify(service.test_target(target_id, owner=current_user.username))
