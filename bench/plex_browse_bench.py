"""The Plex editor's browser on a big library: first pages of 100 items with filters, MMS vs raw Plex.

Run: ``python bench/plex_browse_bench.py [--movies 20000] [--plays 200000] [--requests 200]``.
The Plex emulator (this process) holds a movie section of ``--movies`` items and ``--plays`` plays of one
account; MMS runs in its own process with waitress (8 threads, as ``run.py``) on 127.0.0.1, configured
for that emulator. After one warm-up request (MMS reads the section and the account's history once, then
keeps them, see app/plex_editor/library.py), one client asks in turn:

- raw: the emulator's own first page of 100 (``/library/sections/1/all``, sorted by date added, with
  ``X-Plex-Container-Size=100``): what a client of Plex pays for a page, with no per-user state;
- MMS: ``/api/plex-editor/items`` for 100 items with the per-user watched filter on (account 7,
  unwatched), French audio, sorted by date added, pages 1 to 5 and a title search in turn.

Target (issue 12): MMS p95 under 150 ms with the per-user watched filter on (200,000 plays).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_load_bench import PASSWORD, _login, _pct  # noqa: E402
from tests.emulators.plex import PlexEmulator  # noqa: E402
from tests.services.common import free_port, wait_port  # noqa: E402

SERVE_MMS = """
import sys, waitress
from app import create_app
app = create_app({"SCHEDULER_ENABLED": False})
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
"""


def _seed(movies: int, plays: int) -> PlexEmulator:
    plex = PlexEmulator().start()
    section = plex.add_section("Films", "movie", "/media/Movies")
    start = 1_600_000_000
    keys = []
    for n in range(movies):
        item = plex.add_movie(section, f"Film {n:05d}", 1950 + n % 75, tmdb=100_000 + n,
                              file=f"/media/Movies/{n}.mkv",
                              audio=("fra", "eng") if n % 3 else ("eng",), resolution=("4k", "1080", "720")[n % 3],
                              size=1_000_000_000 + n, added_at=start + n * 600)
        keys.append(item["ratingKey"])
    plex.add_account(7, "marie")
    for n in range(plays):
        plex.add_play(keys[(n * 7919) % len(keys)], 7 if n % 4 else 1, start + n * 60)
    return plex


def _prepare_instance(folder: Path, plex: PlexEmulator) -> dict[str, str]:
    from app import create_app

    env = {"MMS_INSTANCE_PATH": str(folder / "instance"), "MMS_BACKUP_PATH": str(folder / "backups"),
           "ADMIN_PASSWORD": PASSWORD}
    os.environ.update(env)
    app = create_app({"SCHEDULER_ENABLED": False})
    app.extensions["mms"].settings.save({"plex_url": plex.url, "plex_token": plex.token, "service_timeout_s": 120})
    return env


def _timed(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status} {body[:200]!r}")
    return (time.perf_counter() - start) * 1000


def _line(name: str, values: list[float]) -> str:
    return f"{name:<5} n={len(values):>4}  p50 {statistics.median(values):7.1f} ms  p95 {_pct(values, 0.95):7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movies", type=int, default=20_000)
    parser.add_argument("--plays", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    seeded = time.monotonic()
    plex = _seed(args.movies, args.plays)
    print(f"emulator: {args.movies} movies, {args.plays} plays, seeded in {time.monotonic() - seeded:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, **_prepare_instance(Path(folder), plex)}
        port = free_port()
        mms = subprocess.Popen([sys.executable, "-c", SERVE_MMS, str(port)], cwd=ROOT, env=env,
                               stderr=subprocess.DEVNULL)
        try:
            wait_port(port, mms, what="MMS")
            cookie, token = _login(port)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            headers = {"Cookie": cookie, "X-CSRFToken": token}
            base = ("/api/plex-editor/items?section=1&user=7&watched=unwatched&audio=fr&sort=added&order=desc"
                    "&page_size=100")
            warm = _timed(conn, base, headers)
            print(f"MMS first answer (reads the section and the history once): {warm / 1000:.1f} s")
            paths = [f"{base}&page={p}" for p in range(1, 6)] + [f"{base}&text=film%2012"]
            raw_conn = http.client.HTTPConnection("127.0.0.1", int(plex.url.rsplit(":", 1)[1]), timeout=60)
            raw_path = ("/library/sections/1/all?type=1&sort=addedAt:desc&includeGuids=1"
                        "&X-Plex-Container-Start=0&X-Plex-Container-Size=100")
            raw_headers = {"X-Plex-Token": plex.token}
            raw, ours = [], []
            for i in range(args.requests):
                raw.append(_timed(raw_conn, raw_path, raw_headers))
                ours.append(_timed(conn, paths[i % len(paths)], headers))
        finally:
            mms.terminate()
            mms.wait(timeout=30)
            plex.stop()
    print(_line("raw", raw) + "  (the emulator's page of 100, no per-user state)")
    print(_line("MMS", ours) + "  (100 items, per-user watched + French audio filters, sorted)")
    p95 = _pct(ours, 0.95)
    print(f"ratio MMS/raw p95 {p95 / _pct(raw, 0.95):.2f}; MMS p95 {p95:.1f} ms "
          f"(target < 150 ms: {'met' if p95 < 150 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
