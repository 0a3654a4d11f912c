"""MediaManagerSuite: the application factory (Flask tutorial style, layered config).

Config layers, lowest first: :data:`DEFAULTS`, the process environment (``SECRET_KEY``,
``MMS_INSTANCE_PATH``, ``MMS_BACKUP_PATH``, ``SCHEDULER_ENABLED``), then
``test_config``. User settings (services, folders, schedules) are separate: see
:mod:`app.utils.stores.settings_manager`.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask, has_request_context, request, session, url_for

from app.api import install_api_conventions
from app.extensions import Managers, babel, bootstrap, csrf, login_manager
from app.security_headers import install_security_headers
from app.utils.stores.json_store import JsonStore, StoreError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en")

DEFAULTS: dict[str, Any] = {
    "SCHEDULER_ENABLED": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "BOOTSTRAP_SERVE_LOCAL": True,
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    #: Failed logins that cost nothing, per account and per client address; then each failure doubles the
    #: wait from LOGIN_BACKOFF_BASE_S up to LOGIN_BACKOFF_MAX_S seconds; LOGIN_WINDOW_S quiet seconds
    #: forget them.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_S": 900,
    "LOGIN_BACKOFF_BASE_S": 15,
    "LOGIN_BACKOFF_MAX_S": 900,
}


def _env_config() -> dict[str, Any]:
    config: dict[str, Any] = {}
    if os.environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("SCHEDULER_ENABLED"):
        config["SCHEDULER_ENABLED"] = os.environ["SCHEDULER_ENABLED"].lower() in ("1", "true", "yes")
    if os.environ.get("SESSION_COOKIE_SECURE"):
        config["SESSION_COOKIE_SECURE"] = os.environ["SESSION_COOKIE_SECURE"].lower() in ("1", "true", "yes")
    return config


def _secret_key(instance_path: Path, problems: list[str]) -> str:
    """A random key made on first start and kept in ``instance/secret.json``. An unreadable file is kept
    aside (``instance/corrupt/``) and replaced by a new key: every session ends, nothing else is lost."""
    store = JsonStore(instance_path / "secret.json")

    def ensure(data: dict) -> str:
        data.setdefault("secret_key", secrets.token_hex(32))
        return data["secret_key"]

    try:
        key = store.read().get("secret_key")
    except StoreError as exc:
        kept = store.reset_corrupt()
        problems.append(f"secret.json could not be read ({exc}); a new key was made, so every session ended"
                        + (f"; the old file is kept at {kept}" if kept else ""))
        key = None
    return key or store.update(ensure)


def _private_folder(path: Path) -> None:
    """Create ``path`` readable by its owner only (it holds API keys); tighten an existing one."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:  # a folder we do not own (a mounted volume): leave it, the files are 0600
        pass


def select_locale() -> str:
    """The UI language: the user's choice in the session, else the ``ui_language`` setting (jobs, outside
    any request, use the setting)."""
    chosen = session.get("lang") if has_request_context() else None
    if chosen in LANGUAGES:
        return chosen
    if has_request_context():
        from flask_login import current_user

        if getattr(current_user, "language", None) in LANGUAGES:
            return current_user.language
    try:
        from app.extensions import managers

        return managers().settings.load().ui_language
    except Exception:  # noqa: BLE001 - the language must never break a page
        return "fr"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` overrides everything (``TESTING``, ``LOGIN_DISABLED``,
    ``WTF_CSRF_ENABLED``, ``SCHEDULER_ENABLED``, ``INSTANCE_PATH``, ``BACKUP_PATH``).

    Raises :class:`app.utils.stores.settings_manager.SettingsError` when a setting is invalid.
    """
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    test_config = dict(test_config or {})
    instance_path = Path(
        test_config.pop("INSTANCE_PATH", None) or os.environ.get("MMS_INSTANCE_PATH") or PROJECT_ROOT / "instance"
    ).resolve()
    backup_path = Path(
        test_config.pop("BACKUP_PATH", None) or os.environ.get("MMS_BACKUP_PATH") or PROJECT_ROOT / "backups"
    ).resolve()
    _private_folder(instance_path)
    _private_folder(backup_path)

    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(_env_config())
    app.config.update(test_config)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("SESSION_COOKIE_SECURE")))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    startup_problems: list[str] = []
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance_path, startup_problems)

    mms = Managers.build(instance_path, backup_path)
    mms.startup_problems = startup_problems
    settings = mms.settings.load()  # fail now, naming a bad setting (an unreadable file is reported instead)
    app.extensions["mms"] = mms
    _register_stores(app)
    _check_stores(app)
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)

    from app.auth.guard import install_login_guard
    from app.auth.service import apply_admin_password_from_env

    install_login_guard(app)  # before CSRF: an anonymous request gets 401/redirect, not a CSRF error
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    _request_scoped_gettext(app)
    from flask_babel import format_decimal

    from app.i18n import human_size, run_result

    app.jinja_env.filters["size"] = human_size
    app.jinja_env.filters["run_result"] = run_result
    app.jinja_env.filters["decimal"] = format_decimal
    bootstrap.init_app(app)
    install_api_conventions(app)
    install_security_headers(app)
    _register_blueprints(app)
    _recover_admin(mms, apply_admin_password_from_env)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        from flask_login import current_user

        from app.i18n import js_catalog
        from app.navigation import navigation_links

        role = getattr(current_user, "role", "user")
        links = navigation_links(url_for, app.extensions.setdefault("mms_navigation", {}), role)
        return {"navigation": links, "js_catalog": js_catalog,
                "current_lang": select_locale(), "languages": LANGUAGES,
                "request_path": request.path}

    from app.jobs import JobRunner

    mms.jobs = JobRunner(app, feature_jobs(), instance_path)
    if app.config["SCHEDULER_ENABLED"]:
        mms.jobs.start()
    return app


def feature_jobs() -> list:
    """Every feature's scheduled jobs (``app/<feature>/jobs.py``), in display order."""
    from app.archive.jobs import JOBS as archive_jobs
    from app.assistant.jobs import JOBS as assistant_jobs
    from app.cloud_burst.jobs import JOBS as cloud_burst_jobs
    from app.configuration.jobs import JOBS as configuration_jobs
    from app.core.jobs import JOBS as core_jobs
    from app.follows.jobs import JOBS as follows_jobs
    from app.media_requests.jobs import JOBS as request_jobs
    from app.notifications.jobs import JOBS as notifications_jobs
    from app.quality.jobs import JOBS as quality_jobs
    from app.seedbox.jobs import JOBS as seedbox_jobs
    from app.trailers.jobs import JOBS as trailers_jobs
    from app.upgrades.jobs import JOBS as upgrades_jobs

    return [*seedbox_jobs, *configuration_jobs, *core_jobs, *trailers_jobs, *archive_jobs, *quality_jobs,
            *follows_jobs, *upgrades_jobs, *cloud_burst_jobs, *notifications_jobs, *request_jobs,
            *assistant_jobs]


def _request_scoped_gettext(app: Flask) -> None:
    """Templates look the catalog up once per request instead of once per string (Flask-Babel's own
    callables resolve the locale and the catalog for each of a page's ~40 strings: a third of a page's
    time). The language cannot change within a request here, so the result is the same."""
    from app.i18n import translations

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def _register_stores(app: Flask) -> None:
    """Open every feature's store now, so each is checked at start and known to restores."""
    from app.core.checks import status_store
    from app.symlink.service import scans_store

    scans_store(app)
    status_store(app)


def _check_stores(app: Flask) -> None:
    """Read every store once at start: an unreadable one is kept aside, logged and reported on the
    dashboard and health page; the app starts all the same."""
    mms = app.extensions["mms"]
    for name, store in mms.stores().items():
        status = store.status()
        if status.state != "ok" and status.state != "missing":
            logging.getLogger(__name__).error("store %s: %s", name, status.detail)


def _recover_admin(mms: Any, apply_env) -> None:
    """``ADMIN_PASSWORD`` makes or resets the admin; with an unreadable ``users.json`` it starts the
    accounts afresh (the old file is kept aside) so the owner is never locked out."""
    try:
        apply_env(mms.users)
    except StoreError as exc:
        if not os.environ.get("ADMIN_PASSWORD"):
            return
        kept = mms.users.store.reset_corrupt()
        mms.startup_problems.append(f"users.json could not be read ({exc}); the accounts were started afresh "
                                    f"from ADMIN_PASSWORD" + (f"; the old file is kept at {kept}" if kept else ""))
        apply_env(mms.users)


def _register_blueprints(app: Flask) -> None:
    from app.archive import bp as archive_bp
    from app.assistant import bp as assistant_bp
    from app.audit import bp as audit_bp
    from app.auth import bp as auth_bp
    from app.cloud_burst import bp as cloud_burst_bp
    from app.configuration import bp as configuration_bp
    from app.core import bp as core_bp
    from app.follows import bp as follows_bp
    from app.live import bp as live_bp
    from app.media_requests import bp as media_requests_bp
    from app.notifications import bp as notifications_bp
    from app.plex import bp as plex_bp
    from app.plex_editor import bp as plex_editor_bp
    from app.quality import bp as quality_bp
    from app.search import bp as search_bp
    from app.seedbox import bp as seedbox_bp
    from app.symlink import bp as symlink_bp
    from app.trailers import bp as trailers_bp
    from app.upgrades import bp as upgrades_bp
    from app.users import bp as users_bp

    for blueprint in (core_bp, auth_bp, configuration_bp, plex_bp, search_bp, seedbox_bp, plex_editor_bp, trailers_bp,
                      archive_bp, symlink_bp, quality_bp, follows_bp, upgrades_bp, cloud_burst_bp, audit_bp,
                      notifications_bp, users_bp, media_requests_bp, live_bp,
                      assistant_bp):
        app.register_blueprint(blueprint)
