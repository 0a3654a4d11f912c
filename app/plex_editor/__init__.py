"""Plex editor: browse a library per user, edit and lock metadata, artwork, fix match (``/plex``)."""

from flask import Blueprint

bp = Blueprint("plex_editor", __name__, template_folder="templates")

from app.plex_editor import routes  # noqa: E402,F401 - registers the routes on bp
