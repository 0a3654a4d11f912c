"""The audit log: ``instance/audit.sqlite3`` (SQLite, WAL): who did what and when.

Rotation: :meth:`AuditStore.rotate` keeps the newest ``keep_rows`` events and none older than ``keep_days``.
"""

from __future__ import annotations

from app.utils.stores.sqlite_store import SqliteStore

AUDIT_FILE = "audit.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL,
    endpoint TEXT NOT NULL, target TEXT, detail TEXT, outcome TEXT NOT NULL, address TEXT);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE INDEX IF NOT EXISTS events_user ON events (user, at);
CREATE INDEX IF NOT EXISTS events_action ON events (action, at);
"""


class AuditStore(SqliteStore):
    """The audit events, newest last (``id`` order)."""

    FILE = AUDIT_FILE
    SCHEMA = SCHEMA

    def rotate(self, keep_rows: int, oldest: str) -> int:
        """Delete the events beyond the newest ``keep_rows`` and those before ``oldest`` (ISO); how many went."""
        with self.transaction() as conn:
            gone = conn.execute("DELETE FROM events WHERE at < ?", (oldest,)).rowcount
            gone += conn.execute("DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC "
                                 "LIMIT 1 OFFSET ?)", (keep_rows,)).rowcount
        return gone
