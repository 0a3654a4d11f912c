"""Recording and reading the audit log.

:data:`AUDITED` maps each endpoint that changes something to what people call that action; :data:`READS`
lists the endpoints that take a POST but change nothing (a search, a parse). A test fails when a POST, PUT
or DELETE endpoint is in neither, so a new route cannot be forgotten. Recorded: the time, the user (the
user name typed, for a sign-in), the action, the endpoint, the target (the URL's values: rating key, info
hash, backup name...), what changed (setting names, never their values), the outcome (``ok`` or
``failed <status>``) and the client's address. Request bodies are never recorded (they hold secrets).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, request
from flask_login import current_user

from app.extensions import managers
from app.utils.messages import N_

#: Endpoint -> action (a message id: pages translate it).
AUDITED = {
    "auth.login": N_("sign-in"), "auth.logout": N_("sign-out"), "auth.setup": N_("account created"),
    "auth.api_change_password": N_("password changed"),
    "configuration.api_save_settings": N_("settings changed"),
    "configuration.api_trust_sftp_host_key": N_("host key trusted"),
    "configuration.api_create_backup": N_("backup made"), "configuration.api_delete_backup": N_("backup deleted"),
    "configuration.api_restore_backup": N_("backup restored"),
    "configuration.api_restore_upload": N_("backup restored"),
    "core.api_run_job": N_("job run"), "core.api_reset_store": N_("store reset"),
    "seedbox.api_send": N_("grab"), "seedbox.api_upload": N_("grab"), "seedbox.api_remove": N_("delete"),
    "seedbox.api_retry": N_("pipeline retry"), "seedbox.api_remap": N_("pipeline remap"),
    "seedbox.api_forget": N_("delete"), "seedbox.api_arr_add": N_("added to Sonarr/Radarr"),
    "archive.api_sync": N_("archive sync"), "archive.api_archive_delete": N_("archive, then delete"),
    "archive.api_import_tautulli": N_("import"), "archive.import_page": N_("import"),
    "archive.match_ghost": N_("edit"),
    "plex_editor.api_save": N_("edit"), "plex_editor.api_reset": N_("edit"), "plex_editor.api_bulk": N_("edit"),
    "plex_editor.api_fix_match": N_("edit"), "plex_editor.api_unmatch": N_("edit"),
    "plex_editor.api_select_artwork": N_("edit"), "plex_editor.api_upload_artwork": N_("edit"),
    "plex_editor.api_item_assets": N_("edit"), "plex_editor.api_section_assets": N_("edit"),
    "plex_editor.api_move": N_("move"),
    "cloud_burst.api_start": N_("cloud burst started"), "cloud_burst.api_cancel": N_("cloud burst cancelled"),
    "cloud_burst.api_claim": N_("cloud burst: Plex claimed"),
    "cloud_burst.api_plex_stopped": N_("cloud burst: database installed"),
    "auth.api_plex_check": N_("sign-in with Plex"), "auth.api_plex_link_check": N_("Plex account linked"),
    "users.api_create": N_("user added"), "users.api_update": N_("user changed"),
    "users.api_delete": N_("user removed"), "users.api_account": N_("own account changed"),
    "users.api_revoke_session": N_("session ended"),
    "notifications.api_add": N_("notification target added"),
    "notifications.api_change": N_("notification target changed"),
    "notifications.api_delete": N_("notification target removed"),
    "follows.api_add": N_("follow"), "follows.api_update": N_("follow changed"), "follows.api_delete": N_("unfollow"),
    "follows.api_check": N_("follow search"), "follows.api_import_sonarr": N_("follow"),
    "upgrades.api_add_rule": N_("upgrade rule changed"), "upgrades.api_put_rule": N_("upgrade rule changed"),
    "upgrades.api_delete_rule": N_("upgrade rule changed"), "upgrades.api_apply": N_("grab"),
    "upgrades.api_dismiss": N_("upgrade dismissed"), "upgrades.api_check": N_("upgrade search"),
    "quality.api_scan": N_("scan"),
    "symlink.api_save_config": N_("settings changed"), "symlink.api_start": N_("scan"),
    "symlink.api_cancel": N_("scan"), "symlink.api_delete": N_("delete"),
    "trailers.api_lock": N_("trailer chosen"), "trailers.api_unlock": N_("trailer chosen"),
    "trailers.api_download": N_("trailer downloaded"), "trailers.api_bulk": N_("trailer downloaded"),
    "media_requests.api_create": N_("request made"), "media_requests.api_approve": N_("request approved"),
    "media_requests.api_decline": N_("request declined"), "media_requests.api_cancel": N_("request withdrawn"),
    "assistant.api_make_report": N_("assistant report"), "assistant.api_apply": N_("assistant action applied"),
    "assistant.api_dismiss": N_("assistant recommendation dismissed"),
    "assistant.api_confirm": N_("assistant action applied"),
    "assistant.api_dismiss_proposal": N_("assistant recommendation dismissed"),
    "notifications.api_own_add": N_("notification target added"),
    "notifications.api_own_delete": N_("notification target removed"),
}
#: Endpoints that take a POST and change nothing.
READS = frozenset({
    "search.api_search", "search.api_parse", "seedbox.api_inspect", "configuration.api_test_connection",
    "core.api_check_services", "symlink.api_test_service", "trailers.api_candidates", "trailers.api_info",
    "trailers.api_statuses", "notifications.api_test", "auth.api_plex_pin",
    "notifications.api_own_test", "assistant.api_chat",
})
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def store():
    """The audit log of this instance."""
    return managers().audit


def action_of(endpoint: str) -> str | None:
    """The action an endpoint's changes are recorded as, or ``None`` (not audited)."""
    return AUDITED.get(endpoint)


def record(action: str, *, user: str, endpoint: str, target: str = "", detail: str = "", outcome: str = "ok",
           address: str = "") -> None:
    """Add one event (``at`` now, UTC)."""
    with store().transaction() as conn:
        conn.execute("INSERT INTO events (at, user, action, endpoint, target, detail, outcome, address) "
                     "VALUES (?,?,?,?,?,?,?,?)", (datetime.now(UTC).isoformat(timespec="seconds"), user[:100],
                                                  action, endpoint, target[:300], detail[:500], outcome, address))
        count = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    if count and count[0] % ROTATE_EVERY == 0:
        rotate()


#: Events between two rotations.
ROTATE_EVERY = 1000


def rotate() -> int:
    """Apply the settings' ``audit_keep_rows`` and ``audit_keep_days``; how many events went."""
    settings = managers().settings.load()
    oldest = (datetime.now(UTC) - timedelta(days=settings.audit_keep_days)).isoformat(timespec="seconds")
    return store().rotate(settings.audit_keep_rows, oldest)


def _detail() -> str:
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict) and isinstance(body.get("values"), dict):
        return ", ".join(sorted(str(k) for k in body["values"]))[:500]  # which settings, never their values
    return ""


def after_request(response: Response) -> Response:
    """Record the request when its endpoint is audited (see the module docstring)."""
    endpoint = request.endpoint or ""
    if request.method not in METHODS or not endpoint:
        return response
    action = action_of(endpoint)
    if action is None:
        return response
    if endpoint == "auth.login":
        user = (request.form.get("username") or "")[:100]
        outcome = "ok" if response.status_code in (302, 303) else f"failed {response.status_code}"
    else:
        user = current_user.username if current_user and current_user.is_authenticated else \
            (request.form.get("username") or "?")
        outcome = "ok" if response.status_code < 400 else f"failed {response.status_code}"
    target = " ".join(str(v) for v in (request.view_args or {}).values())
    record(action, user=user, endpoint=endpoint, target=target, detail=_detail(), outcome=outcome,
           address=request.remote_addr or "")
    return response


def search(user: str = "", action: str = "", since: str = "", page: int = 1, page_size: int = 50
           ) -> dict[str, Any]:
    """Events newest first, filtered: ``{"items", "total", "page", "page_size", "users", "actions"}``."""
    if not store().exists():
        return {"items": [], "total": 0, "page": page, "page_size": page_size, "users": [], "actions": []}
    where, params = [], []
    if user:
        where.append("user = ?")
        params.append(user)
    if action:
        where.append("action = ?")
        params.append(action)
    if since:
        where.append("at >= ?")
        params.append(since)
    total, rows = store().page("events", where, params, "id DESC", page, page_size)
    return {"items": [dict(r) for r in rows], "total": total, "page": page, "page_size": page_size,
            "users": [r[0] for r in store().query("SELECT DISTINCT user FROM events ORDER BY user")],
            "actions": [r[0] for r in store().query("SELECT DISTINCT action FROM events ORDER BY action")]}
