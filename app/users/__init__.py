"""Accounts: the Users page for admins (create, role, disable, reset password) and each user's own account
page (language, password, sessions) (``/users``, ``/account``, ``/api/users/...``, ``/api/account``)."""

from flask import Blueprint

bp = Blueprint("users", __name__, template_folder="templates")

from app.users import routes  # noqa: E402,F401 - registers the routes on bp
