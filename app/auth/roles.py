"""Who may open what: the role each endpoint needs, in one table (a test fails when an endpoint is missing).

Roles, lowest first: user (requests, trailers viewing, their account), power (search, grab, edit,
trailers, the library tools), admin (everything: configuration, users, media health with its deletions,
cloud burst, notifications, audit, jobs). public endpoints need no login. An endpoint not in the table
needs admin (closed by default).
"""

from __future__ import annotations

from app.utils.messages import N_
from app.utils.stores.user_manager import ROLES

#: Each role for people.
ROLE_LABELS = {"user": N_("user"), "power": N_("power user"), "admin": N_("admin")}

#: Endpoint -> the lowest role that may use it.
ROUTE_ROLES: dict[str, str] = {
    # public
    "auth.login": "public", "auth.setup": "public", "bootstrap.static": "public", "core.healthz": "public",
    "core.set_language": "public", "static": "public",
    # user
    "auth.api_change_password": "user", "auth.api_sessions": "user", "auth.logout": "user", "core.index": "user",
    "core.remote_image": "user", "plex.image": "user", "trailers.api_info": "user", "trailers.api_library": "user",
    "trailers.api_statuses": "user", "trailers.index": "user",
    # power
    "archive.api_archive_delete": "power", "archive.api_import_tautulli": "power", "archive.api_progress": "power",
    "archive.api_search": "power", "archive.api_sync": "power", "archive.export": "power", "archive.ghosts": "power",
    "archive.import_page": "power", "archive.index": "power", "archive.match_ghost": "power",
    "archive.poster": "power", "archive.removed": "power", "core.api_check_services": "power",
    "core.api_health": "power", "core.api_jobs": "power", "core.health": "power", "core.jobs": "power",
    "follows.api_add": "power", "follows.api_calendar": "power", "follows.api_check": "power",
    "follows.api_delete": "power", "follows.api_follows": "power", "follows.api_get": "power",
    "follows.api_import_sonarr": "power", "follows.api_update": "power", "follows.calendar_page": "power",
    "follows.index": "power", "plex.api_recent": "power", "plex_editor.api_artwork": "power",
    "plex_editor.api_asset_run": "power", "plex_editor.api_bulk": "power", "plex_editor.api_details": "power",
    "plex_editor.api_fix_match": "power", "plex_editor.api_item_assets": "power", "plex_editor.api_items": "power",
    "plex_editor.api_matches": "power", "plex_editor.api_move": "power", "plex_editor.api_move_status": "power",
    "plex_editor.api_move_targets": "power", "plex_editor.api_reset": "power", "plex_editor.api_save": "power",
    "plex_editor.api_seasons": "power", "plex_editor.api_section_assets": "power",
    "plex_editor.api_sections": "power", "plex_editor.api_select_artwork": "power",
    "plex_editor.api_unmatch": "power", "plex_editor.api_upload_artwork": "power", "plex_editor.index": "power",
    "plex_editor.old_index": "power", "quality.api_files": "power", "quality.api_scan": "power",
    "quality.index": "power", "search.api_media_searches": "power", "search.api_parse": "power",
    "search.api_search": "power", "search.index": "power", "seedbox.api_arr_add": "power",
    "seedbox.api_arr_options": "power", "seedbox.api_candidates": "power", "seedbox.api_forget": "power",
    "seedbox.api_inspect": "power", "seedbox.api_pending": "power", "seedbox.api_remap": "power",
    "seedbox.api_remove": "power", "seedbox.api_retry": "power", "seedbox.api_send": "power",
    "seedbox.api_torrents": "power", "seedbox.api_upload": "power", "seedbox.index": "power",
    "trailers.api_bulk": "power", "trailers.api_bulk_status": "power", "trailers.api_candidates": "power",
    "trailers.api_download": "power", "trailers.api_download_progress": "power", "trailers.api_lock": "power",
    "trailers.api_unlock": "power", "upgrades.api_add_rule": "power", "upgrades.api_apply": "power",
    "upgrades.api_candidates": "power", "upgrades.api_check": "power", "upgrades.api_delete_rule": "power",
    "upgrades.api_dismiss": "power", "upgrades.api_history": "power", "upgrades.api_put_rule": "power",
    "upgrades.api_rules": "power", "upgrades.index": "power",
    # admin
    "audit.api_events": "admin", "audit.index": "admin", "cloud_burst.api_cancel": "admin",
    "cloud_burst.api_claim": "admin", "cloud_burst.api_estimate": "admin", "cloud_burst.api_plex_stopped": "admin",
    "cloud_burst.api_run": "admin", "cloud_burst.api_runs": "admin", "cloud_burst.api_start": "admin",
    "cloud_burst.archive": "admin", "cloud_burst.index": "admin", "cloud_burst.run_page": "admin",
    "configuration.api_create_backup": "admin", "configuration.api_delete_backup": "admin",
    "configuration.api_download_backup": "admin", "configuration.api_get_settings": "admin",
    "configuration.api_list_backups": "admin", "configuration.api_restore_backup": "admin",
    "configuration.api_restore_upload": "admin", "configuration.api_save_settings": "admin",
    "configuration.api_sftp_host_key": "admin", "configuration.api_test_connection": "admin",
    "configuration.api_trust_sftp_host_key": "admin", "configuration.page": "admin", "core.api_reset_store": "admin",
    "core.api_run_job": "admin", "notifications.api_add": "admin", "notifications.api_change": "admin",
    "notifications.api_delete": "admin", "notifications.api_targets": "admin", "notifications.api_test": "admin",
    "notifications.index": "admin", "symlink.api_cancel": "admin", "symlink.api_config": "admin",
    "symlink.api_delete": "admin", "symlink.api_detect": "admin", "symlink.api_directories": "admin",
    "symlink.api_history": "admin", "symlink.api_map": "admin", "symlink.api_save_config": "admin",
    "symlink.api_start": "admin", "symlink.api_status": "admin", "symlink.api_test_service": "admin",
    "symlink.index": "admin",
    # accounts
    "auth.api_plex_pin": "public", "auth.api_plex_check": "public", "auth.api_plex_link_check": "user",
    "users.index": "admin", "users.api_users": "admin", "users.api_create": "admin", "users.api_update": "admin",
    "users.api_delete": "admin", "users.account": "user", "users.api_account": "user",
    "users.api_revoke_session": "user",
    # requests
    "media_requests.index": "user", "media_requests.api_search": "user", "media_requests.api_seasons": "user",
    "media_requests.api_quota": "user", "media_requests.api_list": "user", "media_requests.api_get": "user",
    "media_requests.api_create": "user", "media_requests.api_cancel": "user",
    "media_requests.api_approve": "admin", "media_requests.api_decline": "admin",
    "live.api_events": "user",
    # assistant (a requester has the chat with the request tools only; deleting needs admin, checked inside)
    "assistant.index": "user", "assistant.api_status": "user", "assistant.api_chat": "user",
    "assistant.api_conversations": "user", "assistant.api_conversation": "user", "assistant.api_confirm": "user",
    "assistant.api_dismiss_proposal": "user", "assistant.api_report": "power", "assistant.api_make_report": "power",
    "assistant.api_apply": "power", "assistant.api_dismiss": "power",
    "notifications.api_own_targets": "user", "notifications.api_own_add": "user",
    "notifications.api_own_delete": "user", "notifications.api_own_test": "user",
}


def required(endpoint: str | None) -> str:
    """The role endpoint needs (public, user, power, admin)."""
    return ROUTE_ROLES.get(endpoint or "", "admin")


def signed_in() -> tuple[str, str]:
    """The signed-in account's ``(username, role)``, from Flask-Login's ``current_user`` (inside a request
    that passed the login guard)."""
    from flask_login import current_user

    return current_user.username, getattr(current_user, "role", "user")


def at_least(role: str | None, lowest: str) -> bool:
    """Whether ``role`` is ``lowest`` or above (user < power < admin); an unknown role is below all."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(lowest)


def allows(role: str, endpoint: str | None) -> bool:
    """Whether role may use endpoint."""
    needed = required(endpoint)
    return needed == "public" or at_least(role, needed)
