"""Quality upgrades: rules, candidates found by the scheduled checks, grabs that replace the old files
(``/upgrades``, ``/api/upgrades``)."""

from flask import Blueprint

bp = Blueprint("upgrades", __name__, template_folder="templates")


@bp.record_once
def _report_failures(state) -> None:
    """Failed upgrades reach the dashboard and the health page."""
    from app.upgrades.service import failure_problems

    state.app.extensions["mms"].problem_sources.append(lambda: failure_problems(state.app))

from app.upgrades import routes  # noqa: E402,F401 - registers the routes on bp
