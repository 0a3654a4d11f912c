"""Never bring home a database that lost the library.

A degraded mount once made Plex treat 221 of 224 movies as deleted. Before a database replaces the home one,
its sections are counted against the home one's (items by type and media parts, deleted rows left out); a
section that lost more than ``max_loss_percent`` of its items refuses the database and the items that vanished
are named (by GUID, with their title).

Schema: ``shared/specs/plex-db`` (``library_sections``, ``metadata_items``, ``media_items``, ``media_parts``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

#: Plex's ``metadata_type`` numbers, for people.
TYPES = {1: "movie", 2: "show", 3: "season", 4: "episode", 8: "artist", 9: "album", 10: "track", 12: "clip",
         13: "photo"}
#: Plex's ``section_type`` numbers, as ``POST /library/sections`` names them.
SECTION_TYPES = {1: "movie", 2: "show", 8: "artist", 13: "photo"}
#: Item types a section is judged on (seasons and albums follow their shows and artists).
COUNTED = (1, 2, 4, 8, 10, 12, 13)
VANISHED_LISTED = 50


def section_counts(db: Path) -> dict[int, dict[str, Any]]:
    """``{section id: {"name", "kind", "agent", "scanner", "language", "locations", "items": {type name: n},
    "total", "parts"}}`` of a Plex library database, read-only. Raises ``sqlite3.DatabaseError`` for a file
    that is not one."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        out: dict[int, dict[str, Any]] = {
            sid: {"name": name, "kind": SECTION_TYPES.get(kind, str(kind)), "agent": agent or "",
                  "scanner": scanner or "", "language": language or "en-US", "locations": [], "items": {},
                  "total": 0, "parts": 0}
            for sid, name, kind, agent, scanner, language in conn.execute(
                "SELECT id, name, section_type, agent, scanner, language FROM library_sections")}
        for sid, root in conn.execute("SELECT library_section_id, root_path FROM section_locations ORDER BY id"):
            if sid in out and root:
                out[sid]["locations"].append(root)
        marks = ",".join(str(t) for t in COUNTED)
        for sid, kind, n in conn.execute(
                "SELECT library_section_id, metadata_type, COUNT(*) FROM metadata_items WHERE deleted_at IS NULL "
                f"AND metadata_type IN ({marks}) GROUP BY library_section_id, metadata_type"):
            if sid in out:
                out[sid]["items"][TYPES.get(kind, str(kind))] = n
                out[sid]["total"] += n
        for sid, n in conn.execute(
                "SELECT mi.library_section_id, COUNT(*) FROM media_parts mp JOIN media_items mi ON mi.id = "
                "mp.media_item_id WHERE mp.deleted_at IS NULL AND mi.deleted_at IS NULL GROUP BY "
                "mi.library_section_id"):
            if sid in out:
                out[sid]["parts"] = n
        return out
    finally:
        conn.close()


def _items(db: Path, section_id: int) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        marks = ",".join(str(t) for t in COUNTED)
        return {guid: title for guid, title in conn.execute(
            f"SELECT guid, title FROM metadata_items WHERE deleted_at IS NULL AND metadata_type IN ({marks}) "
            "AND library_section_id = ?", (section_id,)) if guid}
    finally:
        conn.close()


def compare(home: Path, candidate: Path, max_loss_percent: float = 2.0) -> dict[str, Any]:
    """The guard's verdict on installing ``candidate`` over ``home``: ``{"ok", "sections": [{"id", "name",
    "before", "after", "lost", "lost_percent", "parts_before", "parts_after", "refused", "vanished":
    [{"guid", "title"}]}]}``. A home section is matched in the candidate by id and name, else by name (a
    database built from scratch numbers its sections anew); one missing from the candidate lost everything."""
    before, after = section_counts(home), section_counts(candidate)
    by_name = {info["name"]: sid for sid, info in after.items()}
    sections = []
    for sid, old in sorted(before.items()):
        match = sid if sid in after and after[sid]["name"] == old["name"] else by_name.get(old["name"])
        new = after.get(match, {"total": 0, "parts": 0})
        lost = max(0, old["total"] - new["total"])
        share = 100.0 * lost / old["total"] if old["total"] else 0.0
        refused = share > max_loss_percent
        entry = {"id": sid, "name": old["name"], "before": old["total"], "after": new["total"], "lost": lost,
                 "lost_percent": round(share, 2), "parts_before": old["parts"], "parts_after": new["parts"],
                 "refused": refused, "vanished": []}
        if lost or refused:
            still = _items(candidate, match) if match in after else {}
            gone = [(g, t) for g, t in _items(home, sid).items() if g not in still]
            entry["vanished"] = [{"guid": g, "title": t} for g, t in sorted(gone, key=lambda x: x[1] or "")
                                 ][:VANISHED_LISTED]
        sections.append(entry)
    return {"ok": not any(s["refused"] for s in sections), "max_loss_percent": max_loss_percent,
            "sections": sections}
