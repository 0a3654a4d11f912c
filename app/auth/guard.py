"""The web side of accounts: flask-login's user loader, the login guard, opening and closing sessions.

Every route needs a logged-in user except :data:`PUBLIC_ENDPOINTS`. A login's cookie carries
``"<user>:<session_version>:<random token>"`` (:meth:`UserManager.open_session`); each request checks
it against ``users.json``, so logout, a password change or an ``ADMIN_PASSWORD`` reset ends every
session and remember-me cookie of that user at once.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_user, logout_user

from app.api import error_response, is_api_request
from app.auth.roles import ROLE_LABELS, allows
from app.auth.service import LoginResult, LoginThrottle, check_login
from app.extensions import login_manager, managers
from app.i18n import gettext
from app.utils.messages import N_
from app.utils.stores.json_store import StoreError
from app.utils.stores.user_manager import UserManager

PUBLIC_ENDPOINTS = frozenset({"static", "bootstrap.static", "auth.login", "auth.setup", "core.healthz",
                              "core.set_language", "auth.api_plex_pin", "auth.api_plex_check"})


class Account(UserMixin):
    """The logged-in user (flask-login): ``username``, ``role``, ``is_admin``, ``language``; ``get_id()`` is
    the session id."""

    def __init__(self, record: dict, session_id: str):
        self.username = record["username"]
        self.role = UserManager.role_of(record)
        self.is_admin = self.role == "admin"
        self.language = record.get("language")
        self.id = session_id


@login_manager.user_loader
def _load_user(session_id: str) -> Account | None:
    try:
        record = managers().users.session_user(session_id)
    except StoreError:  # users.json unreadable: nobody is logged in; the health page says why
        return None
    return Account(record, session_id) if record else None


def throttle() -> LoginThrottle:
    """The app's login throttle."""
    if "mms_login_throttle" not in current_app.extensions:
        current_app.extensions["mms_login_throttle"] = LoginThrottle(current_app.config)
    return current_app.extensions["mms_login_throttle"]


def client_address() -> str:
    """The client's address (the real one behind the trusted proxies, see ``trusted_proxies``)."""
    return request.remote_addr or "unknown"


def attempt_login(username: str, password: str, remember: bool) -> LoginResult:
    """Check the credentials (throttled) and, when good, open a session."""
    result = check_login(managers().users, throttle(), username, password, client_address())
    if result.record is not None:
        session_id = managers().users.open_session(result.record["username"], address=client_address(),
                                                   agent=request.user_agent.string, remember=remember)
        login_user(Account(result.record, session_id), remember=remember)
    return result


def start_session(record: dict) -> None:
    """Log in an account just created (the setup page)."""
    session_id = managers().users.open_session(record["username"], address=client_address(),
                                               agent=request.user_agent.string)
    login_user(Account(record, session_id))


def end_sessions() -> None:
    """Log out: every session and remember-me cookie of the current user ends."""
    if current_user.is_authenticated:
        managers().users.revoke_all(current_user.username)
    logout_user()


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no scheme, no host), else ``None``."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def install_login_guard(app: Flask) -> None:
    """Require login on every endpoint but the public ones; send to setup while no account exists."""

    @app.before_request
    def _guard():
        if current_app.config.get("LOGIN_DISABLED") or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if current_user.is_authenticated:
            if request.endpoint is None or allows(current_user.role, request.endpoint):
                return None
            if is_api_request():
                return error_response(403, "forbidden", gettext(N_("your role does not allow this")))
            return render_template("auth/forbidden.html", role_labels=ROLE_LABELS), 403
        if is_api_request():
            return error_response(401, "login_required", "log in first")
        if not managers().users.has_accounts():
            return redirect(url_for("auth.setup"))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
