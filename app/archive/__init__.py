"""Watch-history archive: who watched what, kept after the media is deleted (``/archive``)."""

from flask import Blueprint

bp = Blueprint("archive", __name__, template_folder="templates")


@bp.record_once
def _report_drops(state) -> None:
    """A section that lost many media at once reaches the dashboard and the health page."""
    from app.archive.service import drop_problems

    state.app.extensions["mms"].problem_sources.append(lambda: drop_problems(state.app))

from app.archive import routes  # noqa: E402,F401 - registers the routes on bp
