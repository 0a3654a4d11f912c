"""Login, setup and logout pages; the password change API."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pydantic import BaseModel, Field

from app.api import ApiError, parse_body
from app.auth import bp, plex_signin
from app.auth.guard import attempt_login, end_sessions, safe_next, start_session
from app.auth.service import format_wait
from app.extensions import managers
from app.utils.stores.user_manager import MAX_PASSWORD_LENGTH, AccountError


class PasswordChange(BaseModel):
    """``{"current": "...", "new": "..."}``: every session of the user ends, this one included."""

    current: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; throttled after repeated failures (429 with the wait)."""
    if not managers().users.has_accounts():
        return redirect(url_for("auth.setup"))
    if request.method == "POST":
        result = attempt_login(request.form.get("username", ""), request.form.get("password", ""),
                               bool(request.form.get("remember")))
        if result.record is not None:
            return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
        if result.error == "too_many":
            unit, amount = format_wait(result.retry_after)
            message = (_("Too many failed attempts. Try again in %(n)d s.", n=amount) if unit == "s"
                       else _("Too many failed attempts. Try again in %(n)d min.", n=amount))
            flash(message, "danger")
            return render_template("auth/login.html"), 429, {"Retry-After": str(result.retry_after)}
        flash(_("Wrong user name or password."), "danger")
        return render_template("auth/login.html"), 401
    return render_template("auth/login.html")


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """First start: create the admin account (only while no account exists)."""
    if managers().users.has_accounts():
        return redirect(url_for("auth.login"))
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password_confirm", ""):
            flash(_("The two passwords differ."), "danger")
            return render_template("auth/setup.html"), 400
        try:
            record = managers().users.create_admin(request.form.get("username", ""), password)
        except AccountError as exc:
            flash(_("Account not created: %(reason)s", reason=str(exc)), "danger")
            return render_template("auth/setup.html"), 400
        start_session(record)
        flash(_("Admin account created."), "success")
        return redirect(url_for("core.index"))
    return render_template("auth/setup.html")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End every session of this user (remember-me cookies included)."""
    end_sessions()
    return redirect(url_for("auth.login"))


@bp.post("/api/account/password")
def api_change_password():
    """Change the current user's password; every session of the user ends (log in again)."""
    body = parse_body(PasswordChange)
    try:
        managers().users.change_password(current_user.username, body.current, body.new)
    except AccountError as exc:
        raise ApiError(422, "password_refused", str(exc)) from None
    end_sessions()
    return jsonify({"changed": True, "sessions_ended": True})


@bp.get("/api/account/sessions")
def api_sessions():
    """The current user's open sessions (creation time, address, browser)."""
    return jsonify({"sessions": managers().users.sessions(current_user.username)})


@bp.post("/api/auth/plex/pin")
def api_plex_pin():
    """Start a Plex PIN (to sign in, or to link the current account): ``{"id", "url"}`` (the Plex page to
    open)."""
    return jsonify(plex_signin.start())


@bp.post("/api/auth/plex/pin/<int:pin_id>/check")
def api_plex_check(pin_id: int):
    """Whether the user accepted on Plex: ``{"done": false}``, or signed in: ``{"done": true, "next"}``."""
    token = plex_signin.token_for(pin_id)
    if not token:
        return jsonify({"done": False})
    start_session(plex_signin.account_for(token))
    return jsonify({"done": True, "next": safe_next(request.args.get("next")) or url_for("core.index")})


@bp.post("/api/account/plex/pin/<int:pin_id>/check")
def api_plex_link_check(pin_id: int):
    """Link once the user accepted on Plex: ``{"done", "plex_username"}``."""
    token = plex_signin.token_for(pin_id)
    if not token:
        return jsonify({"done": False})
    return jsonify({"done": True, **plex_signin.link(current_user.username, token)})
