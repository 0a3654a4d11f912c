"""Requests for films and series: users ask, admins approve, MMS grabs and follows them until Plex has them
(``/requests``, ``/api/requests/...``)."""

from flask import Blueprint

bp = Blueprint("media_requests", __name__, template_folder="templates")


@bp.record_once
def _wire(state) -> None:
    """Failed requests reach the summary views; a request's pipeline entries are followed as they change."""
    from app.media_requests.progress import on_pipeline_event, problems

    mms = state.app.extensions["mms"]
    mms.problem_sources.append(lambda: problems(state.app))
    mms.events.subscribe(lambda kind, data: on_pipeline_event(state.app, kind, data))


from app.media_requests import routes  # noqa: E402,F401 - registers the routes on bp
