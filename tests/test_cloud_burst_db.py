"""Cloud burst's database tools (issue 16, items 1 and 2) on real SQLite databases built from Plex's schema:
remap with dry run, backup, whole-component prefixes, percent-encoded subtitle URLs, rollback, a trigger that
fails like Plex's FTS ones never fired; the guard refusing a database that lost items; the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.cloud_burst import guard, remap
from tests.plexdb import add_failing_fts_trigger, build

SECTIONS = {"Films": ["/mnt/s3/films", "/mnt/s3/films 4K"], "Séries": ["/mnt/s3/séries"]}
RULES = [{"from": "/mnt/s3", "to": "/data/media"}, {"from": "/mnt/s3/films 4K", "to": "/uhd"}]


def _rows(db: Path, sql: str) -> list:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_mappings_are_checked() -> None:
    rules = remap.load_mappings(RULES)
    assert [r.source for r in rules] == ["/mnt/s3/films 4K", "/mnt/s3"]  # longest first
    assert remap.map_path("/mnt/s3/films 4K/x.mkv", rules)[0] == "/uhd/x.mkv"
    assert remap.map_path("/mnt/s3/films/x.mkv", rules)[0] == "/data/media/films/x.mkv"
    assert remap.map_path("/mnt/s3bis/x.mkv", rules) is None  # whole components only
    for bad in ([], [{"from": "relative", "to": "/x"}], [{"from": "/a/../b", "to": "/x"}], [{"from": "/", "to": "/x"}],
                [{"from": "/a", "to": "/x"}, {"from": "/a/", "to": "/y"}], [{"from": "/a\x00", "to": "/x"}]):
        with pytest.raises(remap.RemapError):
            remap.load_mappings(bad)


def test_dry_run_then_remap_500000_parts(tmp_path: Path) -> None:
    db = build(tmp_path / "com.plexapp.plugins.library.db", {**SECTIONS, "Autre": ["/srv/other"]}, 125_000)
    add_failing_fts_trigger(db)
    before = db.read_bytes()
    rules = remap.load_mappings(RULES)
    report = remap.plan(db, rules)
    assert db.read_bytes() == before  # the dry run writes nothing
    parts = report["tables"]["media_parts.file"]
    assert parts["changed"] == {"/mnt/s3": 187_500, "/mnt/s3/films 4K": 62_500} and parts["unmatched"] == 125_000
    assert report["tables"]["section_locations.root_path"]["changed"] == {"/mnt/s3": 2, "/mnt/s3/films 4K": 1}
    old, new = report["tables"]["media_streams.url"]["samples"]["/mnt/s3"][0]
    assert old.startswith("file:///mnt/s3/films/Film%20000000%20%C3%A9t%C3%A9") and \
        new.startswith("file:///data/media/films/Film%20000000%20%C3%A9t%C3%A9")
    assert report["total"] == 3 + 250_000 * 2

    done = remap.apply(db, rules, tmp_path / "backups")
    assert done["changed"] == {"section_locations.root_path": 3, "media_parts.file": 250_000,
                               "media_streams.url": 250_000}
    assert done["integrity"]["ok"] and done["integrity"]["tool"] == "stock"
    assert _rows(db, "SELECT COUNT(*) FROM media_parts WHERE file LIKE '/mnt/s3/%'") == [(0,)]
    assert sorted(r[0] for r in _rows(db, "SELECT root_path FROM section_locations")) == [
        "/data/media/films", "/data/media/séries", "/srv/other", "/uhd"]
    assert _rows(db, "SELECT url FROM media_streams WHERE id = 1")[0][0].startswith(
        "file:///data/media/films/Film%20000000%20%C3%A9t%C3%A9%20%282000%29/")
    backup = Path(done["backup"])
    assert (backup / db.name).read_bytes() == before  # the copy taken before writing


def test_a_rule_that_leaves_old_prefixes_rolls_everything_back(tmp_path: Path, monkeypatch) -> None:
    db = build(tmp_path / "library.db", SECTIONS, 200)
    before = _rows(db, "SELECT file FROM media_parts ORDER BY id")
    real = remap.map_path
    missed = "/mnt/s3/films/Film 000198 été (2018)/Film 000198 été - part 1.mkv"
    assert (missed,) in before
    # the writer misses one path, as a buggy rule would; SQLite's own count of old prefixes catches it
    monkeypatch.setattr(remap, "map_path", lambda path, mappings: None if path == missed else real(path, mappings))
    with pytest.raises(remap.RemapError, match="still start with a remapped prefix"):
        remap.apply(db, remap.load_mappings(RULES), tmp_path / "backups")
    assert _rows(db, "SELECT file FROM media_parts ORDER BY id") == before  # rolled back, every row


def test_a_failed_integrity_check_puts_the_backup_back(tmp_path: Path, monkeypatch) -> None:
    db = build(tmp_path / "library.db", SECTIONS, 50)
    before = db.read_bytes()
    monkeypatch.setattr(remap, "integrity", lambda path, binary=None: {"ok": False, "tool": "stock", "detail": "x"})
    with pytest.raises(remap.RemapError, match="backup was put back"):
        remap.apply(db, remap.load_mappings(RULES), tmp_path / "backups")
    assert db.read_bytes() == before


def test_integrity_with_a_plex_sqlite_binary(tmp_path: Path) -> None:
    db = build(tmp_path / "library.db", SECTIONS, 10)
    fake = tmp_path / "Plex SQLite"  # what Plex ships: a sqlite3 shell with Plex's tokenizers
    fake.write_text(f"#!/bin/sh\necho ok\necho \"$@\" > {tmp_path / 'args'}\n")
    fake.chmod(0o755)
    result = remap.integrity(db, str(fake))
    assert result == {"ok": True, "tool": "plex-sqlite", "detail": "ok"}
    assert "PRAGMA integrity_check" in (tmp_path / "args").read_text()


def test_guard_refuses_a_database_that_lost_items(tmp_path: Path) -> None:
    home = build(tmp_path / "home.db", SECTIONS, 224)
    candidate = tmp_path / "candidate.db"
    candidate.write_bytes(home.read_bytes())
    conn = sqlite3.connect(candidate)
    conn.execute("UPDATE metadata_items SET deleted_at = 1 WHERE library_section_id = 1 AND id > 3")  # 221 of 224
    conn.execute("UPDATE metadata_items SET deleted_at = 1 WHERE library_section_id = 2 AND id = 225")  # 1 of 224
    conn.commit()
    conn.close()
    verdict = guard.compare(home, candidate, 2.0)
    films, series = verdict["sections"]
    assert not verdict["ok"] and films["refused"] and films["lost"] == 221 and films["after"] == 3
    assert len(films["vanished"]) == guard.VANISHED_LISTED and films["vanished"][0]["title"].startswith("Film")
    assert not series["refused"] and series["lost_percent"] == pytest.approx(0.45, abs=0.01)
    assert [v["guid"] for v in series["vanished"]] == ["plex://movie/2-0"]
    assert guard.compare(home, home)["ok"]


def test_cli(app, tmp_path: Path) -> None:
    db = build(tmp_path / "library.db", SECTIONS, 30)
    rules = tmp_path / "mappings.json"
    rules.write_text(json.dumps(RULES))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["cloudburst", "remap", str(db), "--mappings", str(rules), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["total"] == 3 + 2 * 30 * 2  # locations, then a part and a subtitle per movie
    done = runner.invoke(args=["cloudburst", "remap", str(db), "--mappings", str(rules)])
    assert done.exit_code == 0 and "remapped" in done.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"from": "relative", "to": "/x"}]))
    refused = runner.invoke(args=["cloudburst", "remap", str(db), "--mappings", str(bad)])
    assert refused.exit_code == 2 and "absolute" in refused.output
    home = build(tmp_path / "home.db", SECTIONS, 10)
    empty = build(tmp_path / "empty.db", SECTIONS, 0)
    verdict = runner.invoke(args=["cloudburst", "guard", str(home), str(empty)])
    assert verdict.exit_code == 1 and "REFUSED" in verdict.output
    assert runner.invoke(args=["cloudburst", "integrity", str(home)]).exit_code == 0
