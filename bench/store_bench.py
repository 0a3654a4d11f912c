"""p50/p95 latency of one read-modify-write of a JSON store: 10,000 entries vs 100 (baseline).

Run: ``python bench/store_bench.py [--rounds N]``. Target: p95 < 20 ms at 10,000 entries.
The entries look like pending-map entries (DESIGN.md, the pending map).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.utils.stores.json_store import JsonStore


def _entry(i: int) -> dict:
    return {
        "release_name": f"Show.Name.S01E{i % 99:02d}.MULTi.1080p.WEB.H264-GROUP{i}",
        "media_type": "tv", "tmdb_id": 1000 + i, "tvdb_id": 2000 + i, "sonarr_id": i,
        "season": 1, "episodes": [i % 99], "client": "qbittorrent", "label": "mms",
        "seedbox_path": f"/home/user/downloads/Show.Name.S01E{i % 99:02d}", "staging_path": None,
        "bytes_done": 0, "bytes_total": 1_500_000_000, "state": "downloading",
        "history": [{"state": "downloading", "time": "2026-11-21T00:00:00+00:00", "detail": "added"}],
    }


def measure(entries: int, rounds: int) -> tuple[float, float]:
    """Return (p50, p95) in milliseconds of ``rounds`` read-modify-writes on a store of ``entries``."""
    with tempfile.TemporaryDirectory() as folder:
        store = JsonStore(Path(folder) / "pending_torrents_map.json")
        store.update(lambda d: d.update({f"{i:040X}": _entry(i) for i in range(entries)}))
        samples = []
        for r in range(rounds):
            key = f"{r % entries:040X}"
            start = time.perf_counter()
            store.update(lambda d, k=key: d[k].__setitem__("bytes_done", d[k]["bytes_done"] + 1))
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    base50, base95 = measure(100, args.rounds)
    big50, big95 = measure(10_000, args.rounds)
    print(f"store RMW, 100 entries (baseline): p50 {base50:.2f} ms  p95 {base95:.2f} ms")
    print(f"store RMW, 10,000 entries:         p50 {big50:.2f} ms  p95 {big95:.2f} ms")
    print(f"ratio p95 10,000/100: {big95 / base95:.1f}x   target p95 < 20 ms: {'met' if big95 < 20 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
