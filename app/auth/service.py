"""Accounts and login decisions (no ``request``, ``session`` or ``url_for`` here: see :mod:`app.auth.guard`).

Failed logins are throttled with an exponential back-off per account and per client address: the first
``LOGIN_MAX_FAILURES`` failures are free, then each further failure doubles the wait, from
``LOGIN_BACKOFF_BASE_S`` up to ``LOGIN_BACKOFF_MAX_S`` seconds (app config). A try is counted *before*
its password is checked, under one lock, so concurrent tries cannot outrun the count. Failures are
forgotten after ``LOGIN_WINDOW_S`` quiet seconds, and a good login clears them.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.utils.stores.user_manager import AccountError, UserManager

__all__ = ["AccountError", "LoginResult", "LoginThrottle", "apply_admin_password_from_env", "check_login",
           "format_wait"]


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


class LoginThrottle:
    """Failed-login back-off per key (``account:<name>``, ``address:<ip>``); thread-safe, in memory (a
    restart clears it). ``config`` holds the ``LOGIN_*`` values (see the module docstring)."""

    def __init__(self, config: Mapping[str, Any], clock=time.monotonic) -> None:
        self.free = int(config["LOGIN_MAX_FAILURES"])
        self.window_s = float(config["LOGIN_WINDOW_S"])
        self.base_s = float(config["LOGIN_BACKOFF_BASE_S"])
        self.max_s = float(config["LOGIN_BACKOFF_MAX_S"])
        self._clock = clock
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def _wait(self, key: str, now: float) -> float:
        record = self._failures.get(key)
        if record is None:
            return 0.0
        if now - record.last > self.window_s:
            del self._failures[key]
            return 0.0
        if record.count < self.free:
            return 0.0
        backoff = min(self.max_s, self.base_s * 2 ** (record.count - self.free))
        return max(0.0, backoff - (now - record.last))

    def reserve(self, keys: list[str]) -> float:
        """Atomically: the seconds to wait when any key is in back-off (nothing counted), else ``0`` and
        the try is counted as a failure for every key until :meth:`success` clears it."""
        now = self._clock()
        with self._lock:
            wait = max((self._wait(k, now) for k in keys), default=0.0)
            if wait > 0:
                return wait
            for key in keys:
                record = self._failures.setdefault(key, _Failures())
                record.count += 1
                record.last = now
            return 0.0

    def success(self, keys: list[str]) -> None:
        """A good login: forget these keys' failures."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


@dataclass(frozen=True)
class LoginResult:
    """``record`` (the account) on success; else ``error`` (``bad_credentials`` / ``too_many``) and
    ``retry_after`` in seconds."""

    record: dict | None
    error: str | None = None
    retry_after: int = 0


def check_login(users: UserManager, throttle: LoginThrottle, username: str, password: str,
                address: str) -> LoginResult:
    """Check credentials under the throttle (keys: the account name, case-folded, and the address)."""
    keys = [f"account:{username.strip().casefold()}", f"address:{address}"]
    wait = throttle.reserve(keys)
    if wait:
        return LoginResult(None, "too_many", math.ceil(wait))
    record = users.verify(username.strip(), password)
    if record is None:
        return LoginResult(None, "bad_credentials")
    throttle.success(keys)
    return LoginResult(record)


def format_wait(seconds: int) -> tuple[str, int]:
    """``("s", n)`` under a minute, else ``("min", minutes rounded up)``: for "try again in 2 min"."""
    if seconds < 60:
        return "s", max(1, seconds)
    return "min", math.ceil(seconds / 60)


def apply_admin_password_from_env(users: UserManager) -> None:
    """``ADMIN_PASSWORD`` (and ``ADMIN_USERNAME``, default ``admin``) make or update the admin account; a
    changed password drops that account's sessions."""
    password = os.environ.get("ADMIN_PASSWORD")
    if password:
        users.ensure_password(os.environ.get("ADMIN_USERNAME", "admin"), password)
