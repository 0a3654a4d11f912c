"""Owner of ``instance/users.json``: the accounts allowed to log in (passwords hashed) and their sessions.

A record: ``{"username", "password_hash", "created_at", "is_admin", "role" ("admin", "power" or "user"; an
older record without it is an admin when ``is_admin``), "disabled", "language", "session_version": int,
"quota": {"movies": int | None, "seasons": int | None, "days": int | None} (request quota overrides; None or
missing = the settings' default), "sessions": {sha256 hex of the session token: {"created_at", "address",
"agent", "remember"}}}``.
A session token is random per login (``secrets.token_urlsafe``); only its SHA-256 is stored, so a stolen
``users.json`` opens no session. Bumping ``session_version`` (logout, password change,
``ADMIN_PASSWORD`` reset) drops every session and remember-me cookie of that user at their next request.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from app.utils.stores.json_store import JsonStore

USERS_FILE = "users.json"
#: Shortest password accepted, in characters.
MIN_PASSWORD_LENGTH = 8
#: Longest password accepted, in characters (hashing a megabyte costs more than refusing it).
MAX_PASSWORD_LENGTH = 1024
#: Sessions kept per user; the oldest goes first.
MAX_SESSIONS = 50
#: The roles, lowest first.
ROLES = ("user", "power", "admin")
#: A hash to check unknown user names against, so they cost as much time as known ones.
_DUMMY_HASH = generate_password_hash("not a password, only a time sink")


class AccountError(ValueError):
    """An account could not be created or changed; the message says why."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def token_digest(token: str) -> str:
    """SHA-256 hex of a session token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserManager:
    """Accounts keyed by user name (see the module docstring for a record's shape)."""

    def __init__(self, instance_path: Path | str):
        self.store = JsonStore(Path(instance_path) / USERS_FILE, schema_version=1)

    @staticmethod
    def validate_data(data: Any) -> None:
        """Check a ``users.json`` data object (a restore's). Raises ``ValueError``."""
        if not isinstance(data, dict):
            raise ValueError("users.json data must be an object")
        for name, record in data.items():
            if not isinstance(record, dict) or record.get("username") != name:
                raise ValueError(f"account {name!r}: the record must name the same user")
            if not isinstance(record.get("password_hash"), str) or ":" not in record["password_hash"]:
                raise ValueError(f"account {name!r}: no password hash")
            if not isinstance(record.get("session_version", 0), int):
                raise ValueError(f"account {name!r}: session_version must be an integer")
            if not isinstance(record.get("sessions", {}), dict):
                raise ValueError(f"account {name!r}: sessions must be an object")

    def has_accounts(self) -> bool:
        """Whether at least one account exists (else the setup page is shown)."""
        return bool(self.store.read_shared())

    def get(self, username: str) -> dict | None:
        """A copy of the account record, or ``None``."""
        record = self.store.read_shared().get(username)
        return copy.deepcopy(record) if record is not None else None

    def create_admin(self, username: str, password: str, *, only_if_none: bool = True) -> dict:
        """Create the admin account (or replace it, ``only_if_none=False``: every session is dropped).

        Raises :class:`AccountError` (empty name, short or over-long password, accounts exist).
        """
        username = username.strip()
        if not username:
            raise AccountError("the user name is empty")
        _check_password(password)

        def apply(data: dict) -> dict:
            if only_if_none and data:
                raise AccountError("an account already exists")
            old = data.get(username) or {}
            record = {
                "username": username,
                "password_hash": generate_password_hash(password),
                "created_at": old.get("created_at") or _now(),
                "is_admin": True,
                "role": "admin",
                "disabled": False,
                "language": old.get("language"),
                "session_version": int(old.get("session_version", 0)) + 1,
                "sessions": {},
            }
            data[username] = record
            return copy.deepcopy(record)

        return self.store.update(apply)

    @staticmethod
    def role_of(record: dict) -> str:
        """A record's role (``admin`` for an older admin record without one)."""
        role = record.get("role")
        return role if role in ROLES else ("admin" if record.get("is_admin") else "user")

    def users(self) -> list[dict[str, Any]]:
        """Every account without its secrets: ``[{"username", "role", "disabled", "language", "created_at",
        "sessions": n}]``, by name."""
        rows = [{"username": r["username"], "role": self.role_of(r), "disabled": bool(r.get("disabled")),
                 "language": r.get("language"), "created_at": r.get("created_at"),
                 "quota": dict(r.get("quota") or {}), "sessions": len(r.get("sessions", {}))}
                for r in self.store.read_shared().values()]
        return sorted(rows, key=lambda r: r["username"].lower())

    def create_user(self, username: str, password: str, role: str) -> dict:
        """A new account with ``role``. Raises :class:`AccountError` (name taken or empty, bad password)."""
        username = username.strip()
        if not username or len(username) > 64 or ":" in username:
            raise AccountError("the user name must have 1 to 64 characters and no ':'")
        if role not in ROLES:
            raise AccountError(f"unknown role {role}")
        _check_password(password)

        def apply(data: dict) -> dict:
            if username in data:
                raise AccountError("this user name is taken")
            data[username] = {"username": username, "password_hash": generate_password_hash(password),
                              "created_at": _now(), "is_admin": role == "admin", "role": role, "disabled": False,
                              "language": None, "session_version": 1, "sessions": {}}
            return copy.deepcopy(data[username])

        return self.store.update(apply)

    def update_user(self, username: str, *, role: str | None = None, disabled: bool | None = None,
                    language: str | None = None, password: str | None = None,
                    quota: dict[str, int | None] | None = None) -> dict:
        """Change an account. Disabling it, changing its role or its password ends its sessions. The last
        active admin cannot lose that role nor be disabled. Raises :class:`AccountError`."""
        if role is not None and role not in ROLES:
            raise AccountError(f"unknown role {role}")
        if password is not None:
            _check_password(password)
        new_hash = generate_password_hash(password) if password is not None else None

        def apply(data: dict) -> dict:
            record = data.get(username)
            if record is None:
                raise AccountError("no such account")
            admins = [n for n, r in data.items() if self.role_of(r) == "admin" and not r.get("disabled")]
            losing = (role is not None and role != "admin") or disabled
            if losing and admins == [username]:
                raise AccountError("the last admin keeps the admin role and stays active")
            ends = False
            if role is not None and role != self.role_of(record):
                record["role"], record["is_admin"], ends = role, role == "admin", True
            if disabled is not None and disabled != bool(record.get("disabled")):
                record["disabled"], ends = disabled, ends or disabled
            if language is not None:
                record["language"] = language or None
            if quota is not None:
                record["quota"] = {k: quota.get(k) for k in ("movies", "seasons", "days")}
            if new_hash is not None:
                record["password_hash"], ends = new_hash, True
            if ends:
                record["session_version"] = int(record.get("session_version", 0)) + 1
                record["sessions"] = {}
            return {k: v for k, v in copy.deepcopy(record).items() if k not in ("password_hash", "sessions")}

        return self.store.update(apply)

    def find_plex(self, plex_id: int) -> dict | None:
        """The account linked to the Plex account ``plex_id``, or ``None``."""
        for record in self.store.read_shared().values():
            if record.get("plex_id") == plex_id:
                return copy.deepcopy(record)
        return None

    def create_plex_user(self, plex_id: int, plex_username: str, role: str) -> dict:
        """An account for a Plex user (signs in with Plex only: its password is random and never shown).
        Named after the Plex user name, with " (Plex)" when that name is taken."""
        base = (plex_username or f"plex-{plex_id}").replace(":", "")[:56].strip() or f"plex-{plex_id}"

        def apply(data: dict) -> dict:
            name = base if base not in data else f"{base} (Plex)"
            if name in data:
                name = f"{base} ({plex_id})"
            data[name] = {"username": name, "password_hash": generate_password_hash(secrets.token_urlsafe(32)),
                          "created_at": _now(), "is_admin": role == "admin", "role": role, "disabled": False,
                          "language": None, "plex_id": plex_id, "plex_username": plex_username,
                          "session_version": 1, "sessions": {}}
            return copy.deepcopy(data[name])

        return self.store.update(apply)

    def link_plex(self, username: str, plex_id: int, plex_username: str) -> None:
        """Link an account to a Plex account (refused when another account has it). Raises
        :class:`AccountError`."""
        def apply(data: dict) -> None:
            owner = next((n for n, r in data.items() if r.get("plex_id") == plex_id), None)
            if owner is not None and owner != username:
                raise AccountError("this Plex account is linked to another account")
            if username not in data:
                raise AccountError("no such account")
            data[username]["plex_id"], data[username]["plex_username"] = plex_id, plex_username

        self.store.update(apply)

    def delete_user(self, username: str) -> None:
        """Remove an account (never the last active admin). Raises :class:`AccountError`."""
        def apply(data: dict) -> None:
            if username not in data:
                raise AccountError("no such account")
            admins = [n for n, r in data.items() if self.role_of(r) == "admin" and not r.get("disabled")]
            if admins == [username]:
                raise AccountError("the last admin keeps the admin role and stays active")
            del data[username]

        self.store.update(apply)

    def ensure_password(self, username: str, password: str) -> None:
        """Make ``password`` (from ``ADMIN_PASSWORD``) valid for ``username``; creates it if missing. A
        changed password drops every session of that user."""
        account = self.get(username)
        if account and check_password_hash(account["password_hash"], password):
            return
        self.create_admin(username, password, only_if_none=False)

    def verify(self, username: str, password: str) -> dict | None:
        """The account when the password matches and the account is not disabled, else ``None``. An unknown
        user name costs the same hash check as a known one (no timing tells which names exist)."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return None
        account = self.get(username)
        if account is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        good = check_password_hash(account["password_hash"], password)
        return account if good and not account.get("disabled") else None

    def change_password(self, username: str, current: str, new: str) -> None:
        """Change a password after checking the current one; drops every session of the user.
        Raises :class:`AccountError`."""
        _check_password(new)
        if self.verify(username, current) is None:
            raise AccountError("the current password is wrong")
        new_hash = generate_password_hash(new)

        def apply(data: dict) -> None:
            record = data.get(username)
            if record is None:
                raise AccountError("no such account")
            record["password_hash"] = new_hash
            record["session_version"] = int(record.get("session_version", 0)) + 1
            record["sessions"] = {}

        self.store.update(apply)

    # -- sessions ----------------------------------------------------------------------
    def open_session(self, username: str, *, address: str = "", agent: str = "", remember: bool = False) -> str:
        """A new random session token for ``username`` (its hash is stored); returns
        ``"<username>:<session_version>:<token>"``, the id the login cookie carries."""
        token = secrets.token_urlsafe(32)

        def apply(data: dict) -> int:
            record = data.get(username)
            if record is None:
                raise AccountError("no such account")
            sessions = record.setdefault("sessions", {})
            sessions[token_digest(token)] = {"created_at": _now(), "address": address[:64], "agent": agent[:200],
                                             "remember": remember}
            while len(sessions) > MAX_SESSIONS:
                oldest = min(sessions, key=lambda k: sessions[k]["created_at"])
                del sessions[oldest]
            return int(record.get("session_version", 0))

        version = self.store.update(apply)
        return f"{username}:{version}:{token}"

    def session_user(self, session_id: str) -> dict | None:
        """The account a session id (from :meth:`open_session`) belongs to, while the session stands;
        ``None`` when it was revoked, the version moved on, or the id is malformed."""
        username, sep, rest = session_id.rpartition(":")
        username, sep2, version = username.rpartition(":")
        if not (sep and sep2 and username and version.isdigit()):
            return None
        record = self.store.read_shared().get(username)  # read only; a copy of the account is returned
        if record is None or int(record.get("session_version", 0)) != int(version) or record.get("disabled"):
            return None
        # a dict lookup on the SHA-256 of a 256-bit random token: timing cannot reveal a usable prefix
        if token_digest(rest) not in record.get("sessions", {}):
            return None
        return {k: v for k, v in record.items() if k != "sessions"}

    def sessions(self, username: str) -> list[dict[str, Any]]:
        """The open sessions of a user, newest first (``id`` is the stored hash's first 12 characters)."""
        record = self.get(username) or {}
        rows = [{"id": digest[:12], **info} for digest, info in record.get("sessions", {}).items()]
        return sorted(rows, key=lambda r: r["created_at"], reverse=True)

    def revoke(self, username: str, session_id: str) -> bool:
        """End one session (``id`` as :meth:`sessions` gives it); whether it was open."""
        def apply(data: dict) -> bool:
            sessions = (data.get(username) or {}).get("sessions", {})
            found = [digest for digest in sessions if digest[:12] == session_id]
            for digest in found:
                del sessions[digest]
            return bool(found)

        return self.store.update(apply)

    def revoke_all(self, username: str) -> None:
        """Drop every session and remember-me cookie of ``username`` (logout does this)."""

        def apply(data: dict) -> None:
            record = data.get(username)
            if record is not None:
                record["session_version"] = int(record.get("session_version", 0)) + 1
                record["sessions"] = {}

        self.store.update(apply)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")
