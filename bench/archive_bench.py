"""The watch-history archive at household scale: 20 users, 10,000 media, 200,000 plays.

Run: ``python bench/archive_bench.py [--media 10000] [--plays 200000] [--new 5000] [--queries 200]``.
The archive (SQLite, app/utils/stores/archive_store.py) is filled with the past plays, then:

- sync: the Plex emulator (this process) holds the library and the whole history plus ``--new`` plays; MMS
  reads the library, then only the plays after the last one it recorded, and records them. Reported: the
  sync's wall time and the part spent waiting on the emulator's answers (the rest is MMS's own time);
- page: the Archive page's query (a text filter or a user + watched filter, 30 cards with each user's
  history) ``--queries`` times, p50/p95, against the baseline: the same data exported as one JSON file and
  read with a plain ``json.load`` (what keeping the archive in a JSON store would cost each reader);
- memory: the process's peak resident size, and what the sync and the pages add to what the emulator and
  the app held before (the emulator runs in this process).

Targets (issue 14): the sync under 5 s of MMS time, the page p95 under 100 ms, memory under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulators.plex import PlexEmulator  # noqa: E402

T0 = 1_500_000_000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--plays", type=int, default=200_000)
    parser.add_argument("--new", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    folder = Path(tempfile.mkdtemp(prefix="mms-archive-bench-"))
    os.environ.update({"MMS_INSTANCE_PATH": str(folder / "instance"), "MMS_BACKUP_PATH": str(folder / "backups")})
    from app import create_app
    from app.archive import service

    plex = PlexEmulator().start()
    section = plex.add_section("Films", "movie", "/media/Movies")
    movies = [plex.add_movie(section, f"Film {n:05d}", 1950 + n % 70, tmdb=100_000 + n, file=f"/m/{n}.mkv")
              for n in range(args.media)]
    for account in range(2, 21):
        plex.add_account(account, f"user{account}")
    app = create_app({"SCHEDULER_ENABLED": False})
    app.extensions["mms"].settings.save({"plex_url": plex.url, "plex_token": plex.token})
    users = [1, *range(2, 21)]
    # the past: recorded by earlier syncs (written straight into the archive here)
    with app.app_context():
        store = service.archive()
        with store.transaction() as conn:
            conn.executemany("INSERT INTO accounts VALUES (?, ?)", [(u, f"user{u}") for u in users])
            conn.executemany("INSERT INTO media (key, media_type, tmdb_id, title, year, in_library, section, folded) "
                             "VALUES (?, 'movie', ?, ?, ?, 1, 'Films', ?)",
                             [(f"movie_{100_000 + n}", 100_000 + n, f"Film {n:05d}", 1950 + n % 70, f"film {n:05d}")
                              for n in range(args.media)])
            conn.executemany("INSERT INTO plays VALUES (?, ?, ?, ?, NULL, NULL, NULL)",
                             [(f"past/{i}", f"movie_{100_000 + rng.randrange(args.media)}", rng.choice(users),
                               T0 + i * 60) for i in range(args.plays)])
            conn.execute("INSERT INTO state VALUES ('last_viewed_at', ?)", (str(T0 + args.plays * 60),))
    # the new plays, in Plex's history after the last recorded one
    for i in range(args.new):
        plex.add_play(movies[rng.randrange(args.media)]["ratingKey"], rng.choice(users), T0 + (args.plays + i + 1) * 60)

    waited = [0.0]
    from plexapi.server import PlexServer

    from app.utils.clients.plex import PlexClient

    real_query, real_image = PlexServer.query, PlexClient.fetch_image

    def timed(real):
        def call(self, *a, **k):  # waiting on the emulator's answers: listings, history pages, posters
            start = time.perf_counter()
            try:
                return real(self, *a, **k)
            finally:
                waited[0] += time.perf_counter() - start
        return call

    PlexServer.query, PlexClient.fetch_image = timed(real_query), timed(real_image)
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the emulator's data, the app
    with app.app_context():
        start = time.perf_counter()
        counts = service.sync()
        sync_s = time.perf_counter() - start
    PlexServer.query, PlexClient.fetch_image = real_query, real_image
    plex.stop()

    with app.app_context():
        filters = [{"text": f"film {rng.randrange(1000):03d}"}, {"account_id": 7, "watched": "watched"},
                   {"account_id": 3, "watched": "unwatched"}, {"text": "film"}]
        ours = []
        for i in range(args.queries):
            start = time.perf_counter()
            service.search(**filters[i % len(filters)], page=1 + i % 3)
            ours.append((time.perf_counter() - start) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the baseline's own load
    with app.app_context():
        export = folder / "archive.json"
        export.write_text(json.dumps({"plays": service.export_rows()}))
    base = []
    for _ in range(max(5, args.queries // 20)):
        start = time.perf_counter()
        with open(export) as handle:
            json.load(handle)
        base.append((time.perf_counter() - start) * 1000)
    mms_s = sync_s - waited[0]
    print(f"archive: {args.media} media, {args.plays} plays, {len(users)} users; sync of {counts['plays']} new plays")
    print(f"sync: {sync_s:.2f} s in all, {waited[0]:.2f} s waiting on the emulator, MMS {mms_s:.2f} s "
          f"(target < 5 s: {'met' if mms_s < 5 else 'MISSED'})")
    p95, base_p50 = _pct(ours, 0.95), statistics.median(base)
    print(f"page: p50 {statistics.median(ours):.1f} ms, p95 {p95:.1f} ms (target < 100 ms: "
          f"{'met' if p95 < 100 else 'MISSED'}); baseline json.load of the same data p50 {base_p50:.1f} ms; "
          f"ratio page p95 / json.load p50 {p95 / base_p50:.2f}")
    mms_mb = peak_mb - before_mb
    print(f"memory: process peak {peak_mb:.0f} MB, of which the emulator and the app before the sync "
          f"{before_mb:.0f} MB; MMS's sync and pages add {mms_mb:.0f} MB (target < 300 MB: "
          f"{'met' if peak_mb - before_mb < 300 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
