"""Quality of the files on disk: what ffprobe measures in each library file (``/quality``)."""

from flask import Blueprint

bp = Blueprint("quality", __name__, template_folder="templates")


@bp.record_once
def _report_unreadable(state) -> None:
    """Files ffprobe cannot read reach the dashboard and the health page."""
    from app.quality.service import probe_problems

    state.app.extensions["mms"].problem_sources.append(lambda: probe_problems(state.app))

from app.quality import routes  # noqa: E402,F401 - registers the routes on bp
