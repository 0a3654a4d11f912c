"""The guard on the home library after the scans MMS asks for (issue 16, item 2).

When MMS asks the home Plex to scan (an import, a move, a trailer), the home database's sections are counted
first (:func:`note_scan`, once per quiet period: a batch of imports shares one count). When Plex is done
(no section scanning, a few minutes later), :func:`check` counts again; a section that lost more than
``CLOUD_BURST_MAX_LOSS_PERCENT`` of its items is reported on the health page and the dashboard. The home
database is only read (``mode=ro``), never changed. State: ``instance/cloud_burst_home_guard.json``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.cloud_burst import guard
from app.extensions import managers
from app.utils.messages import N_
from app.utils.stores.json_store import JsonStore

log = logging.getLogger(__name__)
STATE_FILE = "cloud_burst_home_guard.json"
#: Seconds after the last scan asked before the library is counted again.
SETTLE_S = 300


def store() -> JsonStore:
    """``instance/cloud_burst_home_guard.json``."""
    return managers().extra_store(STATE_FILE)


def _load() -> dict[str, Any]:
    data = store().read() if store().exists() else None
    return data if isinstance(data, dict) else {}


def _database() -> Path | None:
    settings = managers().settings.load()
    if not settings.plex_data_path:
        return None
    db = Path(settings.plex_data_path) / "Plug-in Support" / "Databases" / "com.plexapp.plugins.library.db"
    return db if db.is_file() else None


def _counts(db: Path) -> dict[str, dict[str, Any]]:
    return {str(sid): {"name": c["name"], "total": c["total"]} for sid, c in guard.section_counts(db).items()}


def note_scan() -> None:
    """Count the home library before a scan MMS asks for (kept until :func:`check` compares; a later scan
    in the same period only moves the period's end)."""
    db = _database()
    if db is None:
        return
    now = datetime.now(UTC).isoformat(timespec="seconds")
    counts = None if _load().get("pending") else _counts(db)  # counted outside the lock

    def apply(data: Any) -> None:
        if not data.get("pending"):
            data["pending"] = {"counted_at": now, "counts": counts if counts is not None else _counts(db)}
        data["pending"]["last_scan_at"] = now
    store().update(apply)


def check(now: datetime | None = None, busy: bool = False) -> dict[str, Any] | None:
    """Compare the counts kept by :func:`note_scan` with the library now, once the last scan asked is
    :data:`SETTLE_S` old and Plex is not ``busy``; the verdict ``{"at", "sections": [{"id", "name", "before",
    "after", "lost_percent", "refused"}], "ok"}`` (kept for the health page), or ``None`` when not due."""
    data = _load()
    pending, db = data.get("pending"), _database()
    if not pending or db is None or busy:
        return None
    now = now or datetime.now(UTC)
    if (now - datetime.fromisoformat(pending["last_scan_at"])).total_seconds() < SETTLE_S:
        return None
    share = managers().settings.load().cloud_burst_max_loss_percent
    after = _counts(db)
    sections = []
    for sid, before in pending["counts"].items():
        total = after.get(sid, {}).get("total", 0)
        lost = max(0, before["total"] - total)
        percent = round(100.0 * lost / before["total"], 2) if before["total"] else 0.0
        sections.append({"id": int(sid), "name": before["name"], "before": before["total"], "after": total,
                         "lost": lost, "lost_percent": percent, "refused": percent > share})
    verdict = {"at": now.isoformat(timespec="seconds"), "since": pending["counted_at"], "sections": sections,
               "ok": not any(s["refused"] for s in sections)}
    def apply(stored: Any) -> None:
        stored.update(pending=None, last=verdict)
        if not verdict["ok"]:
            stored["last_drop"] = verdict
    store().update(apply)
    if not verdict["ok"]:
        log.warning("the home library lost items after a scan: %s", [s for s in sections if s["refused"]])
        for s in sections:
            if s["refused"]:
                managers().events.publish("library_drop", msgid=N_("%(section)s: %(before)s → %(after)s items"),
                                          params={"section": s["name"], "before": s["before"], "after": s["after"]})
    return verdict


def problems() -> list[dict[str, Any]]:
    """The last drop seen, for the summary views (until a check passes again)."""
    data = _load()
    last = data.get("last")
    if not last or last.get("ok"):
        return []
    return [{"title": N_("The home library lost items after a scan MMS asked for"), "subject": s["name"],
             "detail": f"{s['before']} → {s['after']} ({s['lost_percent']} %)"}
            for s in last["sections"] if s["refused"]]
