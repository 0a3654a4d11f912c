"""Accounts, sessions and the login guard.

Every route needs a logged-in user except :data:`PUBLIC_ENDPOINTS`. Failed logins
are throttled per client address (``LOGIN_MAX_FAILURES`` within
``LOGIN_WINDOW_S`` seconds, app config).
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict, deque
from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, request, url_for
from flask_login import UserMixin, current_user, login_user

from app.api import error_response, is_api_request
from app.extensions import login_manager, managers
from app.utils.stores.json_store import StoreError
from app.utils.stores.user_manager import UserManager

PUBLIC_ENDPOINTS = frozenset({"static", "bootstrap.static", "auth.login", "auth.setup", "core.healthz",
                              "core.set_language"})


class Account(UserMixin):
    """The logged-in user (flask-login); ``id`` is the user name."""

    def __init__(self, record: dict):
        self.id = record["username"]
        self.is_admin = bool(record.get("is_admin"))


@login_manager.user_loader
def _load_user(user_id: str) -> Account | None:
    try:
        record = managers().users.get(user_id)
    except StoreError:  # users.json unreadable: nobody is logged in; the error page says why
        return None
    return Account(record) if record else None


class LoginThrottle:
    """Failed-login counter per client address; thread-safe, in memory (a restart clears it)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, window_s: float, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > window_s:
            times.popleft()
        return times

    def retry_after(self, key: str, max_failures: int, window_s: float) -> int:
        """Seconds until ``key`` may try again (0 = now)."""
        now = time.monotonic()
        with self._lock:
            times = self._prune(key, window_s, now)
            if len(times) < max_failures:
                return 0
            return max(1, int(window_s - (now - times[0])) + 1)

    def failure(self, key: str, window_s: float) -> None:
        """Count one failed attempt for ``key``."""
        now = time.monotonic()
        with self._lock:
            self._prune(key, window_s, now).append(now)

    def success(self, key: str) -> None:
        """Forget ``key``'s failures after a good login."""
        with self._lock:
            self._failures.pop(key, None)


def throttle() -> LoginThrottle:
    """The app's login throttle."""
    return current_app.extensions.setdefault("mms_login_throttle", LoginThrottle())


def client_key() -> str:
    """The address failed logins are counted against."""
    return request.remote_addr or "unknown"


def attempt_login(username: str, password: str, remember: bool) -> tuple[bool, str | None, int]:
    """Check the credentials and log in. Returns ``(ok, error message, retry_after seconds)``."""
    config = current_app.config
    key = client_key()
    wait = throttle().retry_after(key, config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_S"])
    if wait:
        return False, "too_many", wait
    record = managers().users.verify(username.strip(), password)
    if record is None:
        throttle().failure(key, config["LOGIN_WINDOW_S"])
        return False, "bad_credentials", 0
    throttle().success(key)
    login_user(Account(record), remember=remember)
    return True, None, 0


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no scheme, no host), else ``None``."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def apply_admin_password_from_env(users: UserManager) -> None:
    """``ADMIN_PASSWORD`` (and ``ADMIN_USERNAME``, default ``admin``) make or update the admin account."""
    password = os.environ.get("ADMIN_PASSWORD")
    if password:
        users.ensure_password(os.environ.get("ADMIN_USERNAME", "admin"), password)


def install_login_guard(app: Flask) -> None:
    """Require login on every endpoint but the public ones; send to setup while no account exists."""

    @app.before_request
    def _guard():
        if current_app.config.get("LOGIN_DISABLED") or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if current_user.is_authenticated:
            return None
        if is_api_request():
            return error_response(401, "login_required", "log in first")
        if not managers().users.has_accounts():
            return redirect(url_for("auth.setup"))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
