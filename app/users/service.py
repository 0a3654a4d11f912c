"""Accounts for the pages and the API: thin checks over :class:`~app.utils.stores.user_manager.UserManager`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.extensions import managers
from app.utils.messages import N_, Refusal
from app.utils.stores.user_manager import AccountError


class AccountRefused(Refusal):
    """The account change is refused (the message says why); nothing changed."""

    code = "account_refused"
    status = 422


class NewUser(BaseModel):
    """An account to create."""

    username: str = Field(min_length=1, max_length=64, pattern=r"^[^:\s][^:]*$")
    password: str = Field(min_length=8, max_length=1024)
    role: Literal["user", "power", "admin"] = "user"


class QuotaOverride(BaseModel):
    """A user's own request quota: movies and seasons per ``days`` (``None``: the settings' default, 0: no
    limit)."""

    movies: int | None = Field(default=None, ge=0, le=1000)
    seasons: int | None = Field(default=None, ge=0, le=1000)
    days: int | None = Field(default=None, ge=1, le=365)


class UserChange(BaseModel):
    """What an admin changes on an account (``password``: a reset; ``quota``: request quota overrides)."""

    role: Literal["user", "power", "admin"] | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    quota: QuotaOverride | None = None


class OwnChange(BaseModel):
    """What a user changes on their own account."""

    language: Literal["fr", "en", ""] | None = None


def _refused(exc: AccountError) -> AccountRefused:
    known = {"this user name is taken": N_("this user name is taken"), "no such account": N_("no such account"),
             "the last admin keeps the admin role and stays active":
                 N_("the last admin keeps the admin role and stays active")}
    msgid = known.get(str(exc))
    if msgid is None:
        return AccountRefused(N_("%(reason)s"), reason=str(exc))
    return AccountRefused(msgid, status=404 if msgid == known["no such account"] else None)


def users() -> list[dict[str, Any]]:
    """Every account (no secrets)."""
    return managers().users.users()


def create(new: NewUser) -> dict[str, Any]:
    """Create an account."""
    try:
        record = managers().users.create_user(new.username, new.password, new.role)
    except AccountError as exc:
        raise _refused(exc) from None
    return next(u for u in users() if u["username"] == record["username"])


def change(username: str, values: UserChange) -> dict[str, Any]:
    """Change an account (its sessions end when its role, state or password changes)."""
    try:
        managers().users.update_user(username, role=values.role, disabled=values.disabled, password=values.password,
                                     quota=values.quota.model_dump() if values.quota else None)
    except AccountError as exc:
        raise _refused(exc) from None
    return next(u for u in users() if u["username"] == username)


def delete(username: str) -> None:
    """Remove an account."""
    try:
        managers().users.delete_user(username)
    except AccountError as exc:
        raise _refused(exc) from None


def change_own(username: str, values: OwnChange) -> dict[str, Any]:
    """The user's own settings (language)."""
    managers().users.update_user(username, language=values.language)
    return next(u for u in users() if u["username"] == username)
