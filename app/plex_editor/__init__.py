"""Plex editor: browse a library per user, edit and lock metadata, artwork, fix match (``/plex``)."""

from flask import Blueprint

bp = Blueprint("plex_editor", __name__, template_folder="templates")


@bp.record_once
def _report_failed_moves(state) -> None:
    """Failed moves and asset runs reach the dashboard and the health page."""
    from app.plex_editor.assets import RUNS_FILE, run_problems
    from app.plex_editor.move import MOVES_FILE, move_problems

    for file_name in (MOVES_FILE, RUNS_FILE):  # known from the start: backups and the health page list them
        state.app.extensions["mms"].extra_store(file_name)
    state.app.extensions["mms"].problem_sources.append(lambda: move_problems(state.app))
    state.app.extensions["mms"].problem_sources.append(lambda: run_problems(state.app))

from app.plex_editor import routes  # noqa: E402,F401 - registers the routes on bp
