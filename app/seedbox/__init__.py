"""Seedbox: the torrent client's torrents, adding releases mapped to a media, the pending map."""

from flask import Blueprint

bp = Blueprint("seedbox", __name__, template_folder="templates")

from app.seedbox import routes  # noqa: E402,F401 - registers the routes on bp
