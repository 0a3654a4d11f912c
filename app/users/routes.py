"""HTTP of accounts: ``/users`` (admins), ``/account`` (everyone), ``/api/users/...``, ``/api/account``."""

from __future__ import annotations

from flask import jsonify, render_template, session
from flask_login import current_user

from app.api import parse_body
from app.auth.roles import ROLE_LABELS
from app.extensions import managers
from app.users import bp, service


@bp.get("/users")
def index():
    """Every account, with its role and state, and the form to add one."""
    return render_template("users/index.html", users=service.users(), roles=ROLE_LABELS,
                           settings=managers().settings.load())


@bp.get("/api/users")
def api_users():
    """Every account (no secrets)."""
    return jsonify(service.users())


@bp.post("/api/users")
def api_create():
    """Create an account (``{"username", "password", "role"}``)."""
    return jsonify(service.create(parse_body(service.NewUser))), 201


@bp.put("/api/users/<username>")
def api_update(username: str):
    """Change an account's role, state or password."""
    return jsonify(service.change(username, parse_body(service.UserChange)))


@bp.delete("/api/users/<username>")
def api_delete(username: str):
    """Remove an account."""
    service.delete(username)
    return "", 204


@bp.get("/account")
def account():
    """The current user's account: language, password, open sessions."""
    from app.notifications import service as notifications
    from app.notifications.events import EVENTS

    record = managers().users.get(current_user.username) or {}
    return render_template("users/account.html", sessions=managers().users.sessions(current_user.username),
                           roles=ROLE_LABELS, plex_username=record.get("plex_username"),
                           own_targets=notifications.targets(owner=current_user.username),
                           own_events={e: EVENTS[e] for e in notifications.OWN_EVENTS})


@bp.put("/api/account")
def api_account():
    """Change the current user's own settings (language)."""
    values = parse_body(service.OwnChange)
    if values.language is not None:
        session.pop("lang", None)  # the account's language wins from now on
    return jsonify(service.change_own(current_user.username, values))


@bp.delete("/api/account/sessions/<session_id>")
def api_revoke_session(session_id: str):
    """End one of the current user's sessions (another browser, a lost phone)."""
    return jsonify({"revoked": managers().users.revoke(current_user.username, session_id)})
