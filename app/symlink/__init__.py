"""Media health: broken symlinks, empty, truncated and corrupt media; cleanup only of what the user confirms."""

from flask import Blueprint

bp = Blueprint("symlink", __name__, template_folder="templates")

from app.symlink import cli, routes  # noqa: E402,F401 - registers the routes and the CLI on bp
