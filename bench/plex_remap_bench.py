"""The remap of a Plex library database at the size of a large library.

Run: ``python bench/plex_remap_bench.py [--parts 500000]``. A database built from Plex's schema
(``shared/specs/plex-db``) holds ``--parts`` media parts in 4 sections (3 under the remapped mount), each
with an external subtitle as a percent-encoded ``file://`` URL. Then:

- MMS: ``app.cloud_burst.remap.apply`` (backup copy, one transaction, the check that no old prefix is left,
  the integrity check);
- baseline: a naive remap of a copy of the same database, row by row (one ``SELECT`` then one ``UPDATE`` per
  row, in one transaction, no check), as a quick script would do it.

Targets (issue 16): under 30 s; MMS's peak memory (what the process grows by during the remap) under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.cloud_burst import remap  # noqa: E402
from tests.plexdb import build  # noqa: E402

SECTIONS = {"Films": ["/mnt/s3/films", "/mnt/s3/films 4K"], "Séries": ["/mnt/s3/séries"], "Autre": ["/srv/other"]}
RULES = [{"from": "/mnt/s3", "to": "/data/media"}, {"from": "/mnt/s3/films 4K", "to": "/uhd"}]


# the child's own high-water mark (VmHWM: ru_maxrss would carry the parent's over exec on Linux)
CHILD = """
import json, sys, time
from pathlib import Path
from app.cloud_burst import remap
def hwm():
    line = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))
    return int(line.split()[1]) / 1024
base = hwm()
start = time.perf_counter()
result = remap.apply(Path(sys.argv[1]), remap.load_mappings(json.loads(sys.argv[3])), Path(sys.argv[2]))
print(json.dumps({"result": result, "seconds": time.perf_counter() - start, "base_mb": base, "peak_mb": hwm()}))
"""


def naive(db: Path) -> int:
    conn = sqlite3.connect(db)
    changed = 0
    with conn:
        for table, column, is_url in remap.COLUMNS:
            for (row_id,) in conn.execute(f'SELECT id FROM "{table}"').fetchall():
                value = conn.execute(f'SELECT "{column}" FROM "{table}" WHERE id = ?', (row_id,)).fetchone()[0]
                if not value:
                    continue
                path = unquote(value[7:]) if is_url else value
                for rule in sorted(RULES, key=lambda r: -len(r["from"])):
                    if path.startswith(rule["from"] + "/"):
                        new = rule["to"] + path[len(rule["from"]):]
                        new = "file://" + quote(new, safe="/:") if is_url else new
                        conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE id = ?', (new, row_id))
                        changed += 1
                        break
    conn.close()
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", type=int, default=500_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mms-remap-bench-"))
    try:
        db = build(folder / "com.plexapp.plugins.library.db", SECTIONS, args.parts // len(SECTIONS))
        copy = folder / "naive.db"
        shutil.copyfile(db, copy)
        # MMS's remap in a fresh process, so its peak memory is its own (not the fixture's)
        child = subprocess.run([sys.executable, "-c", CHILD, str(db), str(folder / "backups"), json.dumps(RULES)],
                               capture_output=True, text=True, check=True, cwd=ROOT)
        report = json.loads(child.stdout)
        result, ours, peak_mb, base_mb = report["result"], report["seconds"], report["peak_mb"], report["base_mb"]
        start = time.perf_counter()
        baseline_rows = naive(copy)
        baseline = time.perf_counter() - start
        rows = sum(result["changed"].values())
        print(f"plex remap: {args.parts} media parts + their subtitle URLs; {rows} rows rewritten "
              f"({result['changed']})")
        print(f"MMS: {ours:.1f} s with the backup, the prefix check and the integrity check "
              f"(target < 30 s: {'met' if ours < 30 else 'MISSED'})")
        print(f"baseline row-by-row update ({baseline_rows} rows, no check): {baseline:.1f} s; "
              f"ratio MMS / baseline {ours / baseline:.2f}")
        print(f"memory: the remap's process peaked at {peak_mb:.0f} MB ({base_mb:.0f} MB once Python and MMS were "
              f"loaded) (target < 200 MB: {'met' if peak_mb < 200 else 'MISSED'})")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
