"""Plex glue shared by pages: the image proxy (the token stays on the server) and small JSON views."""

from flask import Blueprint

bp = Blueprint("plex", __name__)

from app.plex import routes  # noqa: E402,F401 - registers the routes on bp
