"""Audit log: who did what and when (grab, delete, edit, archive, restore, settings change, sign-in...),
recorded for every audited endpoint by one ``after_request`` hook (``/audit``, ``/api/audit``)."""

from flask import Blueprint

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.record_once
def _install(state) -> None:
    """Every response of an audited endpoint is recorded (the routes do nothing themselves)."""
    from app.audit.service import after_request

    state.app.after_request(after_request)

from app.audit import routes  # noqa: E402,F401 - registers the routes on bp
