"""What the quality probe measured per library file: ``instance/quality.sqlite3`` (SQLite, WAL).

A cache, not a record: a row is valid while the file keeps its size and mtime (nanoseconds), so a second scan
re-probes only what changed; losing it costs one full probe. That is why backups leave it out. SQLite rather
than a JSON store: a library holds tens of thousands of files and the page filters them (DESIGN.md, JSON
stores: data that outgrows one JSON file may live in SQLite).
"""

from __future__ import annotations

from app.utils.stores.sqlite_store import SqliteStore

QUALITY_FILE = "quality.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, root TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    probed_at TEXT NOT NULL, error TEXT, audio_class TEXT, audio_languages TEXT, subtitle_languages TEXT,
    resolution TEXT, width INTEGER, height INTEGER, codec TEXT, hdr TEXT, bitrate INTEGER, duration REAL,
    folded TEXT);
CREATE INDEX IF NOT EXISTS files_audio ON files (audio_class);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT);
"""


class QualityStore(SqliteStore):
    """The probe's cache."""

    FILE = QUALITY_FILE
    SCHEMA = SCHEMA
