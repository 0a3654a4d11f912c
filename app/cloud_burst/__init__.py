"""Cloud burst: heavy Plex scans on a temporary cloud machine, the database brought home safely
(``/cloud-burst``, ``/api/cloud-burst/...``, ``flask --app run cloudburst ...``)."""

from flask import Blueprint

bp = Blueprint("cloud_burst", __name__, template_folder="templates", cli_group="cloudburst")


@bp.record_once
def _report_problems(state) -> None:
    """Failed runs and machines not destroyed reach the dashboard and the health page."""
    from app.cloud_burst.home_guard import note_scan
    from app.cloud_burst.service import problems

    state.app.extensions["mms"].problem_sources.append(lambda: problems(state.app))
    state.app.extensions["mms"].scan_listeners.append(note_scan)


from app.cloud_burst import cli, routes  # noqa: E402,F401 - registers the commands and routes on bp
