"""Owner of ``instance/users.json``: the accounts allowed to log in (passwords hashed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from app.utils.stores.json_store import JsonStore

USERS_FILE = "users.json"
#: Shortest password accepted, in characters.
MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """An account could not be created or changed; the message says why."""


class UserManager:
    """Accounts keyed by user name: ``{"username", "password_hash", "created_at", "is_admin"}``."""

    def __init__(self, instance_path: Path | str):
        self.store = JsonStore(Path(instance_path) / USERS_FILE, schema_version=1)

    def has_accounts(self) -> bool:
        """Whether at least one account exists (else the setup page is shown)."""
        return bool(self.store.read())

    def get(self, username: str) -> dict | None:
        """The account record, or ``None``."""
        return self.store.read().get(username)

    def create_admin(self, username: str, password: str, *, only_if_none: bool = True) -> dict:
        """Create the admin account. With ``only_if_none``, refuses when any account exists.

        Raises :class:`AccountError` (empty name, short password, accounts exist).
        """
        username = username.strip()
        if not username:
            raise AccountError("the user name is empty")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")

        def apply(data: dict) -> dict:
            if only_if_none and data:
                raise AccountError("an account already exists")
            record = {
                "username": username,
                "password_hash": generate_password_hash(password),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "is_admin": True,
            }
            data[username] = record
            return record

        return self.store.update(apply)

    def ensure_password(self, username: str, password: str) -> None:
        """Make ``password`` (from ``ADMIN_PASSWORD``) valid for ``username``; creates it if missing."""
        account = self.get(username)
        if account and check_password_hash(account["password_hash"], password):
            return
        self.create_admin(username, password, only_if_none=False)

    def verify(self, username: str, password: str) -> dict | None:
        """The account when the password matches, else ``None``."""
        account = self.get(username)
        if account and check_password_hash(account["password_hash"], password):
            return account
        return None
