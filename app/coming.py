"""Blueprints of features not built yet: each page says what is coming, never an error."""

from __future__ import annotations

from flask import Blueprint, render_template


def coming_blueprint(name: str, url_prefix: str, title: str, description: str, cli_group: str | None = None
                     ) -> Blueprint:
    """A blueprint whose index page shows ``title`` and ``description`` in a "coming" state (its command-line
    tools, if any, under ``flask --app run <cli_group>``)."""
    bp = Blueprint(name, __name__, cli_group=cli_group)

    @bp.route(url_prefix)
    def index():
        return render_template("coming.html", title=title, description=description)

    return bp
