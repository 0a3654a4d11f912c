"""Configuration page and its JSON API (settings, connection tests, backups)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request, send_file
from pydantic import BaseModel, Field

from app.api import ApiError, parse_body
from app.configuration import bp, service
from app.i18n import connection_message, say
from app.i18n import gettext as _
from app.utils.stores.backup_manager import BackupCorrupt, BackupError, BackupNotFound


class SettingsUpdate(BaseModel):
    """``{"values": {"setting_name": value, ...}}``; a secret sent as null is left unchanged."""

    values: dict[str, Any] = Field(min_length=1)


class ConnectionTest(BaseModel):
    """Optional unsaved form values to test with."""

    values: dict[str, Any] | None = None


@bp.route("/configuration")
def page():
    """The Configuration page."""
    return render_template("configuration/index.html", view=service.settings_view(),
                           backups=service.list_backups(), editors=service.STRUCTURED_EDITORS)


@bp.get("/api/settings")
def api_get_settings():
    """Settings for the page (secrets masked)."""
    return jsonify(service.settings_view())


@bp.put("/api/settings")
def api_save_settings():
    """Save settings; 422 names each bad setting and nothing is written."""
    body = parse_body(SettingsUpdate)
    return jsonify(service.save_settings(body.values))


@bp.post("/api/settings/test/<name>")
def api_test_connection(name: str):
    """Test one service's connection; the report says ok or the exact reason."""
    body = parse_body(ConnectionTest) if request.content_length else ConnectionTest()
    try:
        report = service.test_connection(name, body.values)
    except KeyError:
        raise ApiError(404, "unknown_service", _("No connection test for %(name)s.", name=name)) from None
    return jsonify({**report.__dict__, "message": connection_message(report.code, report.service, report.message,
                                                                    report.setting),
                    "detail": report.message})


class TrustHostKey(BaseModel):
    """The fingerprint the user read and accepts (``SHA256:...``)."""

    fingerprint: str = Field(min_length=8, max_length=100)


@bp.get("/api/settings/sftp/host-key")
def api_sftp_host_key():
    """The seedbox's pinned SSH host key."""
    return jsonify(service.sftp_host_key())


@bp.post("/api/settings/sftp/host-key/trust")
def api_trust_sftp_host_key():
    """Trust the key the seedbox presents now (after a re-install); 409 when its fingerprint is not
    the one confirmed."""
    body = parse_body(TrustHostKey)
    try:
        return jsonify(service.trust_sftp_host_key(body.fingerprint))
    except ValueError as exc:
        raise ApiError(409, "host_key_mismatch", say(exc)) from None


@bp.get("/api/backups")
def api_list_backups():
    """Every backup, newest first."""
    return jsonify({"backups": service.list_backups()})


@bp.post("/api/backups")
def api_create_backup():
    """Back up now."""
    info = service.create_backup()
    return jsonify(info.__dict__), 201


def _backup_error(exc: BackupError) -> ApiError:
    if isinstance(exc, BackupNotFound):
        return ApiError(404, "backup_not_found", say(exc))
    if isinstance(exc, BackupCorrupt):
        return ApiError(422, "backup_corrupt", say(exc))
    return ApiError(400, "backup_refused", say(exc))


@bp.get("/api/backups/<name>/download")
def api_download_backup(name: str):
    """The archive as a download."""
    try:
        path = service.backup_file(name)
    except BackupError as exc:
        raise _backup_error(exc) from None
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)


@bp.delete("/api/backups/<name>")
def api_delete_backup(name: str):
    """Delete one backup."""
    try:
        service.delete_backup(name)
    except BackupError as exc:
        raise _backup_error(exc) from None
    return jsonify({"deleted": name})


@bp.post("/api/backups/<name>/restore")
def api_restore_backup(name: str):
    """Restore a stored backup (a safety backup is made first)."""
    try:
        return jsonify(service.restore_backup(name))
    except BackupError as exc:
        raise _backup_error(exc) from None


@bp.post("/api/backups/restore")
def api_restore_upload():
    """Restore an uploaded archive (multipart field ``archive``)."""
    upload = request.files.get("archive")
    if upload is None:
        raise ApiError(400, "missing_file", _("Send the archive in the form field 'archive'."))
    try:
        return jsonify(service.restore_backup(upload.stream))
    except BackupError as exc:
        raise _backup_error(exc) from None
