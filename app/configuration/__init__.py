"""Configuration page: settings, connection tests, backups."""

from flask import Blueprint

bp = Blueprint("configuration", __name__, template_folder="templates")

from app.configuration import routes  # noqa: E402,F401 - registers the routes on bp
