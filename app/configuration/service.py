"""Settings editing, connection tests and backups; called by routes, jobs and tests."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from app.extensions import managers
from app.jobs import JobResult
from app.utils.clients.base import ConnectionReport
from app.utils.clients.registry import TESTERS, run_service_test
from app.utils.clients.sftp import SftpClient
from app.utils.settings_schema import GROUPS, N_, Settings, secret_fields
from app.utils.stores.backup_manager import BackupInfo
from app.utils.stores.host_key_manager import fingerprint as host_key_fingerprint
from app.utils.stores.settings_manager import (
    SECRET_MASK,
    SettingsError,
    secrets_for_new_hosts,
    settings_saved,
    unmask_secrets,
)

#: The settings edited as rows on the Configuration page instead of raw JSON (field -> editor kind).
STRUCTURED_EDITORS = {"torznab_indexers": "indexers", "health_path_mappings": "mappings",
                      "health_media_extensions": "extensions", "score_weights": "weights",
                      "search_filter_aliases": "aliases"}


def settings_view() -> dict[str, Any]:
    """The settings for the page: groups (with their test service) and fields (secrets masked)."""
    return {
        "groups": [{"key": g.key, "title": g.title, "service": g.service} for g in GROUPS],
        "fields": managers().settings.public_view(),
    }


def save_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Validate and store ``values``; schedules are re-applied at once. Raises ``SettingsError``."""
    managers().settings.save(values)  # the job runner hears it (settings_saved) and applies the schedules
    return settings_view()


def candidate_settings(values: dict[str, Any] | None) -> Settings:
    """The saved settings with unsaved form ``values`` laid over them (for a test before saving).

    Secrets given as ``None`` or the mask keep their saved value. Raises ``SettingsError``.
    """
    current = managers().settings.load()
    if not values:
        return current
    secrets = secret_fields()
    merged = current.model_dump()
    sources = managers().settings.sources()
    problems = secrets_for_new_hosts(current, values)
    if problems:
        raise SettingsError(problems)
    for name, value in values.items():
        if name not in merged:
            raise SettingsError([(name, "request", "unknown setting")])
        if sources[name] == "environment" or (name in secrets and value in (None, "", SECRET_MASK)):
            continue
        merged[name] = unmask_secrets(name, value, getattr(current, name))
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise SettingsError([(str(e["loc"][0]) if e["loc"] else "?", "request", e["msg"]) for e in exc.errors()]
                            ) from None


def test_connection(service: str, values: dict[str, Any] | None = None) -> ConnectionReport:
    """Test ``service`` with the saved settings (or unsaved ``values``). ``KeyError`` if unknown."""
    if service not in TESTERS:
        raise KeyError(service)
    settings = candidate_settings(values)
    if service == "sftp":  # the host key is pinned on first use and checked after
        return SftpClient.test_connection(settings, managers().host_keys)
    return run_service_test(service, settings)


def sftp_host_key() -> dict[str, Any]:
    """The seedbox's pinned host key: ``{"host", "port", "pinned": record or None}``."""
    settings = managers().settings.load()
    return {"host": settings.sftp_host, "port": settings.sftp_port,
            "pinned": managers().host_keys.get(settings.sftp_host, settings.sftp_port)}


def trust_sftp_host_key(expected_fingerprint: str) -> dict[str, Any]:
    """Pin the key the seedbox presents now, only if its fingerprint is the one the user confirmed
    (shown in the :class:`HostKeyChanged` message). Raises ``ValueError`` when it differs,
    :class:`UpstreamError` when the server cannot be reached."""
    settings = managers().settings.load()
    if not settings.sftp_host:
        raise ValueError("no seedbox host is set")
    key_type, blob = SftpClient.from_settings(settings).presented_key()
    presented = host_key_fingerprint(blob)
    if presented != expected_fingerprint.strip():
        raise ValueError(f"the seedbox now presents {presented}, not {expected_fingerprint}: nothing trusted")
    return {"pinned": managers().host_keys.pin(settings.sftp_host, settings.sftp_port, key_type, blob)}


# -- backups -------------------------------------------------------------------------------
def list_backups() -> list[dict[str, Any]]:
    """Every backup, newest first."""
    return [asdict(b) for b in managers().backups.list()]


def create_backup(tag: str = "") -> BackupInfo:
    """Back up now and apply the retention setting."""
    keep = managers().settings.load().backup_keep
    return managers().backups.create(keep=keep, tag=tag)


def run_scheduled_backup() -> JobResult:
    """Body of the ``backup`` job; returns its one-line result."""
    try:
        info = create_backup()
    except Exception as exc:
        managers().events.publish("backup_failed", msgid=N_("the backup failed: %(reason)s"),
                                  params={"reason": str(exc)})
        raise
    return JobResult.message(N_("%(name)s: %(files)d file(s), %(size)d bytes"), name=info.name,
                             files=len(info.files), size=info.size)


def backup_file(name: str) -> Path:
    """The archive to download; raises ``BackupNotFound``."""
    return managers().backups.path_of(name)


def delete_backup(name: str) -> None:
    """Delete one archive; raises ``BackupNotFound``."""
    managers().backups.delete(name)


def restore_backup(source: str | IO[bytes]) -> dict[str, Any]:
    """Restore from a backup name or an uploaded archive; raises ``BackupError``, changes nothing then."""
    mms = managers()
    path_or_file = mms.backups.path_of(source) if isinstance(source, str) else source
    keep = mms.settings.load().backup_keep
    validators = {"settings.json": mms.settings.validate_data, "users.json": mms.users.validate_data}
    safety, restored = mms.backups.restore(path_or_file, mms.stores(), keep=max(keep, 1) + 1, validators=validators)
    settings_saved.send(mms.settings)  # the restored schedules apply at once
    return {"safety_backup": safety.name, "restored": restored}
