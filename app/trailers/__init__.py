"""Trailers: the right trailer in the right language, locked, downloaded as a Plex local trailer (``/trailers``)."""

from flask import Blueprint

bp = Blueprint("trailers", __name__, template_folder="templates")

from app.trailers import routes  # noqa: E402,F401 - registers the routes on bp
