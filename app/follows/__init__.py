"""Followed series and their calendar: episodes grabbed from their air time (``/follows``, ``/calendar``,
``/api/follows``, ``/api/calendar``)."""

from flask import Blueprint

bp = Blueprint("follows", __name__, template_folder="templates")


@bp.record_once
def _report_problems(state) -> None:
    """Unreadable follows and episodes missing after 48 h reach the dashboard and the health page."""
    from app.follows.service import problems

    state.app.extensions["mms"].problem_sources.append(lambda: problems(state.app))

from app.follows import routes  # noqa: E402,F401 - registers the routes on bp
