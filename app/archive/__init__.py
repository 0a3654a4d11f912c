"""Watch-history archive: who watched what, kept after the media is deleted (``/archive``)."""

from flask import Blueprint

bp = Blueprint("archive", __name__, template_folder="templates")

from app.archive import routes  # noqa: E402,F401 - registers the routes on bp
