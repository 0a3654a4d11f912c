"""The watch-history archive: ``instance/archive.sqlite3`` (SQLite, WAL), owned by this module only.

Why not a JSON store: a household's history (20 users, 10,000 media, 200,000 plays) is ~30 MB of JSON
that every sync would rewrite whole and every reader would hold as ~200 MB of Python objects; SQLite
appends a sync's plays in one transaction and answers a page with an index (DESIGN.md, JSON stores:
"data that outgrows one JSON file ... may live in SQLite"). Backups copy it through SQLite's online
backup API (:meth:`ArchiveStore.backup_bytes`); a restore checks it first (:func:`check_database`).

Media are keyed ``movie_<tmdb_id>`` / ``tv_<tvdb_id>``, never by Plex's rating key, so an item deleted and
added again joins its old history. A play is keyed by Plex's history key, so a sync read twice adds it
once.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from app.utils.stores.sqlite_store import SqliteStore

ARCHIVE_FILE = "archive.sqlite3"
SCHEMA_VERSION = 2
#: Statements that bring a database of an older schema version to the next one (index = old version).
MIGRATIONS = {1: ("ALTER TABLE media ADD COLUMN duration INTEGER",)}
SCHEMA = """
CREATE TABLE IF NOT EXISTS media (
    key TEXT PRIMARY KEY, media_type TEXT NOT NULL, tmdb_id INTEGER, tvdb_id INTEGER, imdb_id TEXT,
    title TEXT NOT NULL, original_title TEXT, year INTEGER, summary TEXT, thumb TEXT, leaf_count INTEGER,
    in_library INTEGER NOT NULL DEFAULT 1, updated_at TEXT, size INTEGER, section TEXT, folded TEXT,
    plays INTEGER NOT NULL DEFAULT 0, last_viewed INTEGER, duration INTEGER);
-- a show's seasons as the library last had them: "watched / total episodes" stays true after deletion
CREATE TABLE IF NOT EXISTS seasons (
    media_key TEXT NOT NULL, season INTEGER NOT NULL, episodes INTEGER NOT NULL, PRIMARY KEY (media_key, season));
CREATE INDEX IF NOT EXISTS media_last_viewed ON media (last_viewed);
CREATE TABLE IF NOT EXISTS removed (
    id INTEGER PRIMARY KEY AUTOINCREMENT, media_key TEXT NOT NULL, title TEXT, media_type TEXT, section TEXT,
    size INTEGER, removed_at TEXT NOT NULL, plays INTEGER NOT NULL DEFAULT 0, removed_by TEXT);
CREATE TABLE IF NOT EXISTS plays (
    history_key TEXT PRIMARY KEY, media_key TEXT NOT NULL, account_id INTEGER NOT NULL, viewed_at INTEGER NOT NULL,
    season INTEGER, episode INTEGER, episode_title TEXT);
CREATE INDEX IF NOT EXISTS plays_media_account ON plays (media_key, account_id);
CREATE INDEX IF NOT EXISTS plays_account ON plays (account_id, viewed_at);
CREATE TABLE IF NOT EXISTS ghosts (
    history_key TEXT PRIMARY KEY, account_id INTEGER, viewed_at INTEGER, title TEXT, grandparent_title TEXT,
    year INTEGER, season INTEGER, episode INTEGER, kind TEXT, raw TEXT);
CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
-- per media and account, kept by the triggers below whatever inserts or deletes plays: a page reads these
-- few rows instead of grouping 200,000 plays
CREATE TABLE IF NOT EXISTS media_account (
    media_key TEXT NOT NULL, account_id INTEGER NOT NULL, plays INTEGER NOT NULL, first INTEGER, last INTEGER,
    PRIMARY KEY (media_key, account_id));
CREATE TRIGGER IF NOT EXISTS plays_added AFTER INSERT ON plays BEGIN
    INSERT INTO media_account (media_key, account_id, plays, first, last)
        VALUES (NEW.media_key, NEW.account_id, 1, NEW.viewed_at, NEW.viewed_at)
        ON CONFLICT (media_key, account_id) DO UPDATE SET plays = plays + 1,
            first = MIN(first, excluded.first), last = MAX(last, excluded.last);
    UPDATE media SET plays = plays + 1, last_viewed = MAX(COALESCE(last_viewed, 0), NEW.viewed_at)
        WHERE key = NEW.media_key;
END;
CREATE TRIGGER IF NOT EXISTS plays_removed AFTER DELETE ON plays BEGIN
    DELETE FROM media_account WHERE media_key = OLD.media_key AND account_id = OLD.account_id
        AND NOT EXISTS (SELECT 1 FROM plays WHERE media_key = OLD.media_key AND account_id = OLD.account_id);
    UPDATE media_account SET plays = plays - 1,
        first = (SELECT MIN(viewed_at) FROM plays WHERE media_key = OLD.media_key AND account_id = OLD.account_id),
        last = (SELECT MAX(viewed_at) FROM plays WHERE media_key = OLD.media_key AND account_id = OLD.account_id)
        WHERE media_key = OLD.media_key AND account_id = OLD.account_id;
    UPDATE media SET plays = plays - 1,
        last_viewed = (SELECT MAX(viewed_at) FROM plays WHERE media_key = OLD.media_key) WHERE key = OLD.media_key;
END;
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT);
"""
TABLES = frozenset({"media", "plays", "ghosts", "accounts", "state"})


class ArchiveError(RuntimeError):
    """The archive database cannot be opened or is not one of ours (the message says why)."""


def check_database(path: Path) -> None:
    """Raise :class:`ArchiveError` unless ``path`` is an intact archive database (integrity check, tables,
    schema version not newer than this code's)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ArchiveError("the archive database is damaged")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables >= TABLES:
                raise ArchiveError("not an archive database (tables missing)")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ArchiveError(f"the archive database is of a newer MMS (schema {version})")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"not a readable SQLite database ({exc})") from None


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring an existing database of an older schema to :data:`SCHEMA_VERSION` (one transaction per step)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    has_media = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='media'").fetchone()
    while has_media and 0 < version < SCHEMA_VERSION:
        with conn:
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            version += 1
            conn.execute(f"PRAGMA user_version={version}")


class ArchiveStore(SqliteStore):
    """The archive database; connections are per thread, writes are serialised by SQLite (WAL)."""

    FILE = ARCHIVE_FILE
    SCHEMA = SCHEMA

    def _prepare(self, conn: sqlite3.Connection) -> None:
        _migrate(conn)
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def get_state(self, name: str, default: str | None = None) -> str | None:
        """A value of the ``state`` table (the last sync's time...); ``default`` before the database exists
        (a read never creates it: the health page asks this on every load)."""
        if not self.exists():
            return default
        row = self._connect().execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
        return row[0] if row else default

    def backup_bytes(self) -> bytes:
        """A consistent copy of the database (SQLite's online backup API), as bytes for a backup archive."""
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / ARCHIVE_FILE
            target = sqlite3.connect(copy)
            try:
                self._connect().backup(target)
            finally:
                target.close()
            return copy.read_bytes()

    def replace_with(self, data: bytes) -> None:
        """Put a checked copy in place of the database (a restore); :class:`ArchiveError` when ``data`` is
        not an intact archive database, then nothing changes."""
        with tempfile.TemporaryDirectory(dir=self.path.parent) as folder:
            candidate = Path(folder) / ARCHIVE_FILE
            candidate.write_bytes(data)
            check_database(candidate)
            source = sqlite3.connect(candidate)
            try:
                conn = self._connect()
                source.backup(conn)
            finally:
                source.close()
            self._prepare(conn)  # a backup of an older MMS: brought to this schema
