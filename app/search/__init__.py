"""Search: releases on Prowlarr / Torznab indexers, parsed and scored, French first."""

from flask import Blueprint

bp = Blueprint("search", __name__, template_folder="templates")

from app.search import routes  # noqa: E402,F401 - registers the routes on bp
