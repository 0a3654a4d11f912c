"""The events a notification target can subscribe to, and how MMS's published events map onto them."""

from __future__ import annotations

from typing import Any

from app.utils.messages import N_

#: Event id -> its name for people.
EVENTS: dict[str, str] = {
    "grabbed": N_("Release sent to the torrent client"),
    "imported": N_("Imported"),
    "transfer_failed": N_("Transfer failed"),
    "import_failed": N_("Import failed"),
    "health_problem": N_("Media health problem"),
    "request_created": N_("Request created"),
    "request_approved": N_("Request approved"),
    "request_available": N_("Request available"),
    "request_declined": N_("Request declined"),
    "request_failed": N_("Request failed"),
    "upgrade_available": N_("Upgrade available"),
    "trailer_downloaded": N_("Trailer downloaded"),
    "backup_failed": N_("Backup failed"),
    "cloud_burst_finished": N_("Cloud burst finished"),
    "cloud_burst_failed": N_("Cloud burst failed"),
    "library_drop": N_("Library drop warning"),
}
#: Pipeline states that are events of their own.
PIPELINE_STATES = {"imported": "imported", "transfer_failed": "transfer_failed", "import_failed": "import_failed"}


def classify(kind: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """``(event id, {"msgid", "params"})`` for a published event that is a notification, else ``None``."""
    subject = data.get("title") or data.get("release") or data.get("subject") or ""
    if kind == "pipeline.added":
        return "grabbed", {"msgid": N_("%(subject)s"), "params": {"subject": subject}}
    if kind == "pipeline.state" and data.get("state") in PIPELINE_STATES:
        detail = data.get("detail") or {}
        if data["state"] == "imported":
            return "imported", {"msgid": N_("%(subject)s"), "params": {"subject": subject}}
        return PIPELINE_STATES[data["state"]], {"msgid": N_("%(subject)s: %(reason)s"),
                                                "params": {"subject": subject, "reason": detail}}
    if kind in EVENTS:
        return kind, {"msgid": data.get("msgid") or N_("%(subject)s"),
                      "params": data.get("params") or {"subject": subject}}
    return None
