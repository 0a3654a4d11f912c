"""The upgrade checks over a large library: 5,000 items against the Torznab emulator.

Run: ``python bench/upgrade_check_bench.py [--movies 4000] [--seasons 1000] [--episodes 10]``. The quality
cache is filled straight (the probe has its own bench): ``--movies`` VOSTFR 1080p movies and ``--seasons``
seasons of ``--episodes`` VFF 720p episodes each, folders named with their TMDB / TVDB ids. The indexer holds
one MULTi release per movie and one season pack per season, plus noise. Then one check of every item:

- MMS time: the check's wall time minus the time spent waiting on the indexer's answers (every Torznab call
  is timed on the client side);
- indexer calls: searches sent (caps excluded), against the items (target: one per item at most, the episodes
  of a season sharing their pack's search);
- baseline: the same number of searches sent by a plain loop of ``requests.get`` (same run), to show what
  the indexer alone costs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulators.torznab import TorznabEmulator  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movies", type=int, default=4000)
    parser.add_argument("--seasons", type=int, default=1000)
    parser.add_argument("--episodes", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mms-upgrade-bench-"))
    os.environ.update({"MMS_INSTANCE_PATH": str(folder / "instance"), "MMS_BACKUP_PATH": str(folder / "b")})
    from app import create_app
    from app.quality import service as quality
    from app.upgrades import service
    from app.utils.clients.torznab import TorznabClient

    indexer = TorznabEmulator().start()
    movies_root, tv_root = folder / "Films", folder / "Series"
    movies_root.mkdir()
    tv_root.mkdir()
    rows = []
    for n in range(args.movies):
        title = f"Film Number {n:05d}"
        path = movies_root / f"{title} (2000) {{tmdb-{100000 + n}}}" / f"{title} (2000) - 1080p.mkv"
        rows.append((str(path), str(movies_root), 8_000_000_000, n, "2026-01-01", None, "VOSTFR", '["eng"]',
                     '["fre"]', "1080p", 1920, 800, "x264", "", 8_000_000, 7200.0, path.name.lower()))
        indexer.feed.add_release(f"Film.Number.{n:05d}.2000.MULTi.1080p.BluRay.x264-GRP", tmdbid=100000 + n,
                                 categories=(2000, 2040), seeders=20)
    for n in range(args.seasons):
        show = f"Show Number {n:05d}"
        for e in range(1, args.episodes + 1):
            path = tv_root / f"{show} (2010) {{tvdb-{300000 + n}}}" / "Season 01" / f"{show} (2010) - S01E{e:02d}.mkv"
            rows.append((str(path), str(tv_root), 1_500_000_000, e, "2026-01-01", None, "VFF", '["fre"]', "[]",
                         "720p", 1280, 720, "x264", "", 3_000_000, 2700.0, path.name.lower()))
        indexer.feed.add_release(f"Show.Number.{n:05d}.S01.MULTi.1080p.WEB.x264-GRP", tvdbid=300000 + n,
                                 categories=(5000, 5040), seeders=9)
    app = create_app({"SCHEDULER_ENABLED": False})
    app.extensions["mms"].settings.save({
        "movies_path": str(movies_root), "tv_path": str(tv_root), "upgrade_pause_s": 0,
        "torznab_indexers": [{"name": "Ygg", "url": f"{indexer.url}/api", "api_key": indexer.feed.api_key}]})
    with app.app_context(), quality.store().transaction() as conn:
        conn.executemany("INSERT INTO files (path, root, size, mtime_ns, probed_at, error, audio_class, "
                         "audio_languages, subtitle_languages, resolution, width, height, codec, hdr, bitrate, "
                         "duration, folded) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    waited = [0.0]
    real_query = TorznabClient._query

    def timed(self, **params):
        start = time.perf_counter()
        try:
            return real_query(self, **params)
        finally:
            waited[0] += time.perf_counter() - start

    TorznabClient._query = timed
    indexer.requests.clear()
    items = args.movies + args.seasons
    with app.app_context():
        start = time.perf_counter()
        result = service.run_checks(limit=items, pause_s=0)
        wall = time.perf_counter() - start
    TorznabClient._query = real_query
    calls = [r for r in indexer.requests if r.path == "/api" and r.arg("t") != "caps"]

    import requests

    session = requests.Session()
    sample = [{k: v[0] for k, v in r.query.items()} for r in calls]
    start = time.perf_counter()
    for params in sample:
        session.get(f"{indexer.url}/api", params=params, timeout=30).raise_for_status()
    baseline = time.perf_counter() - start
    indexer.stop()
    mms = wall - waited[0]
    print(f"upgrade checks: {args.movies} movies + {args.seasons} seasons of {args.episodes} episodes "
          f"({args.movies + args.seasons * args.episodes} files, {items} items)")
    print(f"result: {json.dumps({k: v for k, v in result.items() if k != 'errors'})}")
    print(f"indexer calls: {len(calls)} for {items} items ({len(calls) / items:.2f} per item; target <= 1: "
          f"{'met' if len(calls) <= items else 'MISSED'})")
    print(f"check: {wall:.2f} s in all, {waited[0]:.2f} s waiting on the indexer, MMS {mms:.2f} s "
          f"({1000 * mms / items:.2f} ms an item)")
    print(f"baseline: the same {len(sample)} searches by a plain requests loop: {baseline:.2f} s; "
          f"ratio MMS check / baseline {wall / baseline:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
