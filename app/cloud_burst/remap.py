"""Path remapping of a copy of Plex's library database (``com.plexapp.plugins.library.db``).

The paths Plex stores (``section_locations.root_path``, ``media_parts.file``, and the percent-encoded
``file://`` URLs of external subtitles in ``media_streams.url``) are rewritten by ``path_mappings`` rules
(from-prefix → to-prefix, absolute; the longest matching prefix wins; a prefix matches whole path components
only: ``/mnt/media`` matches ``/mnt/media/x`` but not ``/mnt/media2/x``).

Safety, in order: a dry run says what would change (counts per rule and table, samples, paths no rule
matches); before writing, the database files (``.db``, ``-wal``, ``-shm`` and the blobs database) are copied
aside; every row is rewritten once (computed in Python, written with bound parameters) in one transaction;
before the commit, no row may still start with a remapped prefix, else everything is rolled back; after it,
the integrity check must pass, else the copies are put back. Only these three columns are written: the
metadata tables, whose FTS triggers use Plex's own tokenizer that stock SQLite lacks, are never touched, and
nothing runs ``VACUUM`` or ``REINDEX``.

Schema: ``shared/specs/plex-db`` (Plex Media Server's own dump).
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from app.utils.messages import N_, Refusal

#: (table, column) pairs rewritten, and whether the column holds ``file://`` URLs.
COLUMNS = (("section_locations", "root_path", False), ("media_parts", "file", False), ("media_streams", "url", True))
#: Tables whose quick check must pass when Plex's own SQLite is not there (stock SQLite reads them).
CHECKED_TABLES = ("library_sections", "section_locations", "metadata_items", "media_items", "media_parts",
                  "media_streams", "directories")
SAMPLES = 3
BLOBS_DB = "com.plexapp.plugins.library.blobs.db"
#: Where Plex Media Server ships "Plex SQLite", per platform (the setting overrides).
PLEX_SQLITE_DEFAULTS = {
    "Linux": "/usr/lib/plexmediaserver/Plex SQLite",
    "Darwin": "/Applications/Plex Media Server.app/Contents/MacOS/Plex SQLite",
    "Windows": r"C:\Program Files\Plex\Plex Media Server\Plex SQLite.exe",
}
INTEGRITY_TIMEOUT_S = 600


class RemapError(Refusal):
    """The remap was refused or undone (the message says why); the database is as it was."""

    code = "remap_failed"
    status = 422


@dataclass(frozen=True)
class PathMapping:
    """One rule: ``source`` prefix → ``target`` prefix (absolute, without a trailing slash)."""

    source: str
    target: str


def _clean(prefix: str) -> str:
    if not isinstance(prefix, str) or not prefix or "\x00" in prefix:
        raise RemapError(N_("a path mapping prefix is empty or holds a NUL byte"))
    windows = len(prefix) > 2 and prefix[1] == ":" and prefix[2] in "\\/"
    if not (prefix.startswith("/") or windows):
        raise RemapError(N_("%(prefix)s is not an absolute path"), prefix=prefix)
    if any(part == ".." for part in prefix.replace("\\", "/").split("/")):
        raise RemapError(N_("%(prefix)s: '..' is not allowed in a path"), prefix=prefix)
    return prefix.rstrip("/\\") or "/"


def load_mappings(rules: Any) -> list[PathMapping]:
    """Rules from JSON (``[{"from": ..., "to": ...}]``), longest source first. Raises :class:`RemapError`."""
    if not isinstance(rules, list) or not rules:
        raise RemapError(N_("the path mappings must be a non-empty list of {\"from\", \"to\"}"))
    out = []
    for rule in rules:
        if not isinstance(rule, dict) or "from" not in rule or "to" not in rule:
            raise RemapError(N_("the path mappings must be a non-empty list of {\"from\", \"to\"}"))
        mapping = PathMapping(_clean(rule["from"]), _clean(rule["to"]))
        if mapping.source == "/":
            raise RemapError(N_("a mapping of / would rewrite every path: give the folder"))
        out.append(mapping)
    sources = [m.source for m in out]
    if len(set(sources)) != len(sources):
        raise RemapError(N_("two path mappings have the same source"))
    return sorted(out, key=lambda m: len(m.source), reverse=True)


def map_path(path: str | None, mappings: list[PathMapping]) -> tuple[str, PathMapping] | None:
    """``(new path, rule)`` by the longest whole-component prefix, or ``None``."""
    if not path:
        return None
    for rule in mappings:
        source = rule.source
        if path == source or path.startswith(source + "/") or path.startswith(source + "\\"):
            return rule.target + path[len(source):], rule
    return None


def _encoded(path: str) -> str:
    return quote(path, safe="/:")


def map_url(url: str | None, mappings: list[PathMapping]) -> tuple[str, PathMapping] | None:
    """A ``file://`` URL (percent-encoded path) remapped, or ``None`` for another scheme or no rule. The part
    after the prefix is kept byte for byte as Plex encoded it; only the prefix is decoded and re-encoded."""
    if not url or not url.startswith("file://"):
        return None
    raw = url[len("file://"):]
    for rule in mappings:  # fast path: the prefix encoded as Plex does (spaces and accents as %XX)
        prefix = _encoded(rule.source)
        if raw == prefix or raw.startswith(prefix + "/"):
            return "file://" + _encoded(rule.target) + raw[len(prefix):], rule
    longest = max(len(m.source) for m in mappings) * 3 + 3
    if not any(unquote(raw[:longest]).startswith(m.source) for m in mappings):
        return None  # decoding the head is enough to know no rule can match
    found = map_path(unquote(raw), mappings)
    if found is None:
        return None
    return "file://" + _encoded(found[0]), found[1]


@dataclass
class TableReport:
    """What one column holds for the rules: ``rows`` changed per rule source, ``samples`` (old, new),
    ``unmatched`` count and samples."""

    changed: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    unmatched: int = 0
    unmatched_samples: list[str] = field(default_factory=list)


def _connect(db: Path, read_only: bool) -> sqlite3.Connection:
    if not db.is_file():
        raise RemapError(N_("%(path)s is not a file"), path=str(db))
    uri = f"file:{db}?mode=ro" if read_only else f"file:{db}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
        conn.execute("SELECT 1 FROM section_locations LIMIT 1")
    except sqlite3.DatabaseError as exc:
        raise RemapError(N_("%(path)s is not a Plex library database (%(reason)s)"), path=str(db),
                         reason=str(exc)) from None
    return conn


def _changes(conn: sqlite3.Connection, mappings: list[PathMapping], reports: dict[str, TableReport] | None):
    """Yield ``(table, column, row id, new value)`` for every row a rule rewrites; fill ``reports``."""
    for table, column, is_url in COLUMNS:
        report = reports.setdefault(f"{table}.{column}", TableReport()) if reports is not None else None
        mapper = map_url if is_url else map_path
        for row_id, value in conn.execute(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'):
            found = mapper(value, mappings)
            if found is None:
                if report is not None and (not is_url or str(value).startswith("file://")):
                    report.unmatched += 1
                    if len(report.unmatched_samples) < SAMPLES:
                        report.unmatched_samples.append(value)
                continue
            new, rule = found
            if report is not None:
                report.changed[rule.source] = report.changed.get(rule.source, 0) + 1
                kept = report.samples.setdefault(rule.source, [])
                if len(kept) < SAMPLES:
                    kept.append((value, new))
            if new != value:
                yield table, column, row_id, new


def plan(db: Path, mappings: list[PathMapping]) -> dict[str, Any]:
    """The dry run: ``{"tables": {"table.column": {"changed": {source: rows}, "samples": {source: [[old,
    new]]}, "unmatched", "unmatched_samples"}}, "total"}``. Reads only (the database opened read-only)."""
    conn = _connect(db, read_only=True)
    try:
        reports: dict[str, TableReport] = {}
        total = sum(1 for _ in _changes(conn, mappings, reports))
    finally:
        conn.close()
    return {"total": total, "tables": {name: {"changed": r.changed, "samples": r.samples, "unmatched": r.unmatched,
                                              "unmatched_samples": r.unmatched_samples}
                                       for name, r in reports.items()}}


def backup_files(db: Path, folder: Path) -> list[Path]:
    """Copy the database's files (``.db``, ``-wal``, ``-shm``, the blobs database and its own) into a new
    timestamped folder under ``folder``; returns the copies."""
    target = folder / f"plex-db-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"
    target.mkdir(parents=True, mode=0o700)
    copies = []
    for name in (db.name, f"{db.name}-wal", f"{db.name}-shm", BLOBS_DB, f"{BLOBS_DB}-wal", f"{BLOBS_DB}-shm"):
        source = db.with_name(name)
        if source.is_file():
            copies.append(Path(shutil.copy2(source, target / name)))
    return copies


def _restore(copies: list[Path], db: Path) -> None:
    names = {c.name for c in copies}
    for suffix in ("-wal", "-shm"):
        stray = db.with_name(db.name + suffix)
        if stray.name not in names and stray.exists():
            stray.unlink()
    for copy in copies:
        shutil.copy2(copy, db.with_name(copy.name))


def plex_sqlite(setting: str | None = None) -> str | None:
    """The "Plex SQLite" binary to use: the setting, else the platform's usual place, when it exists."""
    candidate = setting or PLEX_SQLITE_DEFAULTS.get(platform.system())
    return candidate if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK) else None


def integrity(db: Path, plex_sqlite_path: str | None = None) -> dict[str, Any]:
    """``{"ok", "tool": "plex-sqlite" | "stock", "detail"}``: ``PRAGMA integrity_check`` through Plex's own
    SQLite when there, else ``PRAGMA quick_check`` of each table stock SQLite reads (never the FTS ones)."""
    binary = plex_sqlite(plex_sqlite_path)
    if binary:
        try:
            done = subprocess.run([binary, str(db), "PRAGMA integrity_check;"], capture_output=True, text=True,
                                  timeout=INTEGRITY_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return {"ok": False, "tool": "plex-sqlite", "detail": f"more than {INTEGRITY_TIMEOUT_S} s"}
        out = done.stdout.strip()
        return {"ok": done.returncode == 0 and out == "ok", "tool": "plex-sqlite", "detail": out[:500]}
    conn = _connect(db, read_only=True)
    try:
        problems = []
        for table in CHECKED_TABLES:
            try:
                rows = [r[0] for r in conn.execute(f'PRAGMA quick_check("{table}")')]
            except sqlite3.DatabaseError as exc:
                rows = [str(exc)]
            if rows != ["ok"]:
                problems.append(f"{table}: {'; '.join(rows)[:200]}")
    finally:
        conn.close()
    return {"ok": not problems, "tool": "stock", "detail": "; ".join(problems) or "ok"}


#: Rows read, rewritten and written per step of the remap (bounds its memory).
CHUNK = 20_000


def _prefixes(mappings: list[PathMapping], is_url: bool) -> list[str]:
    return [("file://" + _encoded(m.source)) if is_url else m.source for m in mappings]


def _rewrite(conn: sqlite3.Connection, table: str, column: str, is_url: bool, mappings: list[PathMapping]
             ) -> tuple[int, int]:
    """Rewrite one column, :data:`CHUNK` rows at a time in id order; ``(rows changed, rows whose new value
    still lies under a source prefix)`` (a target inside another rule's source)."""
    mapper = map_url if is_url else map_path
    prefixes = _prefixes(mappings, is_url)
    changed = under = 0
    last = -1
    while True:
        rows = conn.execute(f'SELECT id, "{column}" FROM "{table}" WHERE id > ? AND "{column}" IS NOT NULL '
                            f"ORDER BY id LIMIT {CHUNK}", (last,)).fetchall()
        if not rows:
            return changed, under
        last = rows[-1][0]
        updates = []
        for row_id, value in rows:
            found = mapper(value, mappings)
            if found is not None and found[0] != value:
                updates.append((found[0], row_id))
                under += any(found[0] == p or found[0].startswith(p + "/") for p in prefixes)
        conn.executemany(f'UPDATE "{table}" SET "{column}" = ? WHERE id = ?', updates)
        changed += len(updates)


def _under_sources(conn: sqlite3.Connection, table: str, column: str, prefixes: list[str]) -> int:
    """Rows of a column under one of ``prefixes`` (counted by SQLite: whole components, case-sensitive)."""
    tests, params = [], []
    for prefix in prefixes:
        tests.append(f'(substr("{column}", 1, ?) = ? AND (length("{column}") = ? OR substr("{column}", ?, 1) = \'/\'))')
        params += [len(prefix), prefix, len(prefix), len(prefix) + 1]
    return conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE {" OR ".join(tests)}', params).fetchone()[0]


def apply(db: Path, mappings: list[PathMapping], backup_folder: Path, plex_sqlite_path: str | None = None
          ) -> dict[str, Any]:
    """Remap the database in place (see the module's safety steps): ``{"changed": {"table.column": rows},
    "backup": folder, "integrity": {...}}``. Raises :class:`RemapError` with the database as it was."""
    copies = backup_files(db, backup_folder)
    conn = _connect(db, read_only=False)
    changed: dict[str, int] = {}
    try:
        conn.execute("BEGIN IMMEDIATE")
        left = {}
        for table, column, is_url in COLUMNS:
            rows, under = _rewrite(conn, table, column, is_url, mappings)
            changed[f"{table}.{column}"] = rows
            remaining = _under_sources(conn, table, column, _prefixes(mappings, is_url)) - under
            if remaining:
                left[f"{table}.{column}"] = remaining
        if left:
            raise RemapError(N_("%(count)s path(s) still start with a remapped prefix (first: %(first)s): "
                                "nothing was changed"), count=sum(left.values()), first=next(iter(left)))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    check = integrity(db, plex_sqlite_path)
    if not check["ok"]:
        _restore(copies, db)
        raise RemapError(N_("the integrity check failed after the remap (%(detail)s): the backup was put back"),
                         detail=check["detail"])
    return {"changed": changed, "backup": str(copies[0].parent) if copies else None, "integrity": check}
