"""Notifications through Apprise (Discord, Telegram, ntfy, Gotify, e-mail and the rest Apprise knows):
targets with the events they want, grouped sends, retries (``/notifications``, ``/api/notifications/...``)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.record_once
def _wire(state) -> None:
    """Queue a notification for each event MMS publishes; failing targets reach the summary views."""
    from app.notifications.service import on_event, problems

    mms = state.app.extensions["mms"]
    mms.events.subscribe(lambda kind, data: on_event(state.app, kind, data))
    mms.problem_sources.append(lambda: problems(state.app))


from app.notifications import routes  # noqa: E402,F401 - registers the routes on bp
