"""HTTP of live updates: ``GET /api/events`` (text/event-stream)."""

from __future__ import annotations

from app.live import bp, service


@bp.get("/api/events")
def api_events():
    """The event stream of the signed-in user (resumes after the ``Last-Event-ID`` header)."""
    return service.stream()
