"""Plex library databases for the tests, built from Plex's own schema (``shared/specs/plex-db``, the part
stock SQLite loads) and filled like a real library: sections with several locations, movies and their media
parts, external subtitles as percent-encoded ``file://`` URLs with spaces and accents."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "specs" / "plex-db" / "core-tables-stock-sqlite.sql"


def build(path: Path, sections: dict[str, list[str]], items_per_section: int, parts_per_item: int = 1) -> Path:
    """A database at ``path``: ``sections`` name -> root folders; ``items_per_section`` movies in each, spread
    over its folders, each with ``parts_per_item`` media parts and one external French subtitle."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=MEMORY")  # a test fixture: no crash to survive, built fast
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(SCHEMA.read_text())
    item_id = part_id = 0
    for section_id, (name, roots) in enumerate(sections.items(), start=1):
        conn.execute("INSERT INTO library_sections (id, name, section_type) VALUES (?, ?, 1)", (section_id, name))
        conn.executemany("INSERT INTO section_locations (library_section_id, root_path) VALUES (?, ?)",
                         [(section_id, root) for root in roots])
        items, media, parts, streams = [], [], [], []
        for n in range(items_per_section):
            item_id += 1
            root = roots[n % len(roots)]
            title = f"Film {n:06d} été"
            items.append((item_id, section_id, 1, f"plex://movie/{section_id}-{n}", title))
            media.append((item_id, section_id, item_id))
            for p in range(parts_per_item):
                part_id += 1
                folder = f"{root}/{title} ({2000 + n % 20})"
                parts.append((part_id, item_id, f"{folder}/{title} - part {p + 1}.mkv", 1_000_000))
                streams.append((3, item_id, part_id, "file://" + quote(f"{folder}/{title}.fr.srt", safe="/")))
        conn.executemany("INSERT INTO metadata_items (id, library_section_id, metadata_type, guid, title) "
                         "VALUES (?, ?, ?, ?, ?)", items)
        conn.executemany("INSERT INTO media_items (id, library_section_id, metadata_item_id) VALUES (?, ?, ?)",
                         media)
        conn.executemany("INSERT INTO media_parts (id, media_item_id, file, size) VALUES (?, ?, ?, ?)", parts)
        conn.executemany("INSERT INTO media_streams (stream_type_id, media_item_id, media_part_id, url) "
                         "VALUES (?, ?, ?, ?)", streams)
    conn.commit()
    conn.close()
    return path


def add_failing_fts_trigger(path: Path) -> None:
    """A trigger on ``metadata_items`` that fails like Plex's FTS ones do in stock SQLite (their tokenizer is
    missing): any write to that table aborts."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TRIGGER fts4_metadata_titles_before_update_icu BEFORE UPDATE ON metadata_items "
                 "BEGIN SELECT RAISE(ABORT, 'no such tokenizer: collating'); END")
    conn.commit()
    conn.close()
