"""MMS's API under concurrent use: 20 clients for 30 s on a fixed mix, beside a bare Flask baseline.

Run: ``python bench/api_load_bench.py [--clients 20] [--seconds 30]``. Both servers run in their own
process with waitress (8 threads, as ``run.py``) on 127.0.0.1; the clients run in this process, one
keep-alive connection each. The mix, drawn in a fixed order: ``/api/health``, ``/api/jobs``,
``/api/pending`` (200 entries), ``/api/seedbox/torrents`` (the torrent client on a closed port: the
error path), ``/api/settings``, the dashboard page, a 10-name ``/api/releases/parse``.
The baseline is a bare Flask app on the same server answering a constant JSON.

Targets (issue 10): p95 under 100 ms for the JSON reads at 20 clients; MMS within 3x the bare
baseline's throughput (ratio MMS/baseline >= 0.33).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services.common import free_port, wait_port  # noqa: E402

PASSWORD = "a long bench password"
NAMES = [f"Some.Movie.{i}.2020.MULTi.1080p.WEB.H264-GRP" for i in range(10)]
MIX = [("GET", "/api/health", "json"), ("GET", "/api/jobs", "json"), ("GET", "/api/pending", "json"),
       ("GET", "/api/seedbox/torrents", "json"), ("GET", "/api/settings", "json"), ("GET", "/", "page"),
       ("POST", "/api/releases/parse", "parse")]

SERVE_MMS = """
import sys, waitress
from app import create_app
app = create_app({"SCHEDULER_ENABLED": False})
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
"""
SERVE_BARE = """
import sys, waitress
from flask import Flask, jsonify
app = Flask("bare")
@app.get("/api/<path:anything>")
def constant(anything):
    return jsonify({"status": "ok"})
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
"""


def _prepare_instance(folder: Path) -> dict[str, str]:
    """An instance with settings pointing every service at a closed port and 200 pending entries."""
    from app import create_app
    from app.utils.stores.mapping_manager import Mapping

    env = {"MMS_INSTANCE_PATH": str(folder / "instance"), "MMS_BACKUP_PATH": str(folder / "backups"),
           "ADMIN_PASSWORD": PASSWORD}
    os.environ.update(env)
    app = create_app({"SCHEDULER_ENABLED": False})
    closed = f"http://127.0.0.1:{free_port()}"
    mms = app.extensions["mms"]
    mms.settings.save({"qbittorrent_url": closed, "plex_url": closed, "sonarr_url": closed, "radarr_url": closed,
                       "service_timeout_s": 2})
    for i in range(200):
        mms.mapping.add(f"{i:040X}", f"Show.S01E{i % 99:02d}.MULTi.1080p", Mapping("tv", "Show", tvdb_id=1,
                                                                               season=1, episodes=(i % 99 + 1,)))
    return env


def _login(port: int) -> tuple[str, str]:
    """(Cookie header, CSRF token) of a logged-in session."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = f"csrf_token={token}&username=admin&password={PASSWORD.replace(' ', '+')}"
    conn.request("POST", "/login", body=body, headers={"Cookie": cookie,
                                                        "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    conn.request("GET", "/health", headers={"Cookie": cookie})
    response = conn.getresponse()
    page = response.read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    conn.close()
    return cookie, token


def drive(port: int, clients: int, seconds: float, mix: list[tuple[str, str, str]], cookie: str = "",
          token: str = "") -> dict[str, list[float]]:
    """``clients`` threads, each on its own keep-alive connection, cycling through ``mix`` (each starting
    at a different place) for ``seconds``; returns latencies in ms by kind (``json``, ``page``, ``parse``)
    plus ``errors`` (one entry per failed request)."""
    results: dict[str, list[float]] = {"json": [], "page": [], "parse": [], "errors": []}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    parse_body = json.dumps({"names": NAMES})

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local: dict[str, list[float]] = {"json": [], "page": [], "parse": [], "errors": []}
        i = index
        while time.monotonic() < deadline:
            method, path, kind = mix[i % len(mix)]
            i += 1
            headers = {"Cookie": cookie, "X-CSRFToken": token}
            body = None
            if method == "POST":
                body = parse_body
                headers["Content-Type"] = "application/json"
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if (response.status >= 500 and path != "/api/seedbox/torrents") or response.status in (401, 400):
                    local["errors"].append(response.status)
            except (OSError, http.client.HTTPException):
                local["errors"].append(0)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            local[kind].append((time.perf_counter() - start) * 1000)
        conn.close()
        with lock:
            for key, values in local.items():
                results[key].extend(values)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _line(name: str, values: list[float]) -> str:
    return (f"{name:<10} n={len(values):>6}  p50 {statistics.median(values) if values else float('nan'):7.1f} ms"
            f"  p95 {_pct(values, 0.95):7.1f} ms  p99 {_pct(values, 0.99):7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, **_prepare_instance(Path(folder))}
        bare_port, mms_port = free_port(), free_port()
        bare = subprocess.Popen([sys.executable, "-c", SERVE_BARE, str(bare_port)], cwd=ROOT, env=env)
        mms = subprocess.Popen([sys.executable, "-c", SERVE_MMS, str(mms_port)], cwd=ROOT, env=env,
                               stderr=subprocess.DEVNULL)
        try:
            wait_port(bare_port, bare, what="bare Flask")
            wait_port(mms_port, mms, what="MMS")
            cookie, token = _login(mms_port)
            drive(mms_port, 2, 2, MIX, cookie, token)  # warm up: imports, worker processes, caches
            base = drive(bare_port, args.clients, args.seconds, [("GET", "/api/health", "json")])
            measured = drive(mms_port, args.clients, args.seconds, MIX, cookie, token)
        finally:
            for process in (bare, mms):
                process.terminate()
                process.wait(timeout=30)
    base_rate = len(base["json"]) / args.seconds
    total = sum(len(measured[k]) for k in ("json", "page", "parse"))
    rate = total / args.seconds
    print(f"{args.clients} clients, {args.seconds:g} s each; waitress 8 threads on 127.0.0.1")
    print(_line("baseline", base["json"]) + f"  {base_rate:7.1f} req/s (bare Flask, constant JSON)")
    for kind in ("json", "page", "parse"):
        print(_line(kind, measured[kind]))
    print(f"MMS mix: {rate:.1f} req/s, errors {len(measured['errors'])}; throughput ratio MMS/baseline "
          f"{rate / base_rate:.2f} (target >= 0.33: {'met' if rate / base_rate >= 0.33 else 'MISSED'})")
    p95 = _pct(measured["json"], 0.95)
    print(f"JSON reads p95 {p95:.1f} ms (target < 100 ms: {'met' if p95 < 100 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
