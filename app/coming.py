"""Blueprints of features not built yet: each page says what is coming, never an error."""

from __future__ import annotations

from flask import Blueprint, render_template


def coming_blueprint(name: str, url_prefix: str, title: str, description: str) -> Blueprint:
    """A blueprint whose index page shows ``title`` and ``description`` in a "coming" state."""
    bp = Blueprint(name, __name__)

    @bp.route(url_prefix)
    def index():
        return render_template("coming.html", title=title, description=description)

    return bp
