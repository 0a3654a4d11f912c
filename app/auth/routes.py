"""Login, setup and logout pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from app.auth import bp
from app.auth.service import Account, attempt_login, safe_next
from app.extensions import managers
from app.utils.stores.user_manager import AccountError


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; throttled after repeated failures (429)."""
    if not managers().users.has_accounts():
        return redirect(url_for("auth.setup"))
    if request.method == "POST":
        ok, error, wait = attempt_login(request.form.get("username", ""), request.form.get("password", ""),
                                        bool(request.form.get("remember")))
        if ok:
            return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
        if error == "too_many":
            flash(_("Too many failed attempts. Try again in %(seconds)d s.", seconds=wait), "danger")
            return render_template("auth/login.html"), 429
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
        login_user(Account(record))
        flash(_("Admin account created."), "success")
        return redirect(url_for("core.index"))
    return render_template("auth/setup.html")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    logout_user()
    return redirect(url_for("auth.login"))
