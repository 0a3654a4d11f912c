"""Live updates: one authenticated server-sent-events stream (``/api/events``) that carries what MMS
publishes to the open pages, and notifications as toasts."""

from flask import Blueprint

bp = Blueprint("live", __name__)


@bp.record_once
def _wire(state) -> None:
    """Make the app's hub and subscribe it to the event bus."""
    from app.live.service import install

    install(state.app)


from app.live import routes  # noqa: E402,F401 - registers the routes on bp
