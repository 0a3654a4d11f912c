"""The shell: dashboard, health, jobs, language switch, /healthz."""

from flask import Blueprint

bp = Blueprint("core", __name__, template_folder="templates")

from app.core import routes  # noqa: E402,F401 - registers the routes on bp
