"""A SQLite database in ``instance/`` (WAL), for data that outgrows one JSON file (DESIGN.md, JSON stores):
per-thread connections, one-shot schema preparation, write transactions, reads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class SqliteStore:
    """``instance_path / FILE`` with ``SCHEMA`` (subclasses set both; :meth:`_prepare` may migrate first).
    Connections are per thread; SQLite serialises writes (WAL, 30 s busy timeout)."""

    FILE = ""
    SCHEMA = ""

    def __init__(self, instance_path: Path | str):
        self.path = Path(instance_path) / self.FILE
        self._local = threading.local()
        self._ready = False

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Create the schema (once per process)."""
        conn.executescript(self.SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if not self._ready:
                self._prepare(conn)
                self._ready = True
            self._local.conn = conn
        return conn

    def exists(self) -> bool:
        """Whether the database was created (reads that must not create it ask this first)."""
        return getattr(self._local, "conn", None) is not None or self.path.exists()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): everything or nothing."""
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read."""
        return self._connect().execute(sql, tuple(params)).fetchall()

    def page(self, table: str, where: list[str], params: list[Any], order: str, page: int, page_size: int
             ) -> tuple[int, list[sqlite3.Row]]:
        """``(total rows matching, the rows of page ``page``)`` of ``table`` filtered by the ``where`` clauses
        (joined with AND, ``?`` bound to ``params``), sorted by ``order``. ``table``, ``where`` and ``order``
        are the caller's own SQL, never user text."""
        clause = " AND ".join(where) or "1"
        total = self.query(f"SELECT COUNT(*) FROM {table} WHERE {clause}", params)[0][0]
        rows = self.query(f"SELECT * FROM {table} WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
                          [*params, page_size, (page - 1) * page_size])
        return total, rows
