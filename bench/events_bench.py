"""The live event stream under 100 connected clients: latency from an event being published to every client
receiving it, and the app's memory, beside a bare Flask SSE server measured in the same run.

Run: ``python bench/events_bench.py [--clients 100] [--events 60]``. Each server runs in its own process
with waitress on 127.0.0.1, with a thread per stream (MMS: ``LIVE_MAX_STREAMS`` = the clients, as run.py
sizes waitress from it). A line on a server's stdin publishes one event in that process (MMS: on its event
bus, like a job ending), carrying the wall-clock time it was published. The clients are plain sockets read
by one selector loop in this process (no thread per client here). Latency = receipt - publication, for every
(client, event) pair; memory = the server's resident set (``VmRSS``) idle, then with the clients connected.
The baseline is a bare Flask app on the same server fanning the same events out from one condition variable.

Target (issue 17): p95 under 100 ms at 100 clients.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services.common import free_port, wait_port  # noqa: E402
from tests.sse import signed_in  # noqa: E402

PASSWORD = "a long bench password"
SERVE_MMS = """
import sys, threading, time, waitress
from app import create_app
app = create_app({"SCHEDULER_ENABLED": False})
bus = app.extensions["mms"].events
def feed():
    for line in sys.stdin:
        bus.publish("job.finished", job="bench-" + line.strip(), status="ok", sent=time.time())
threading.Thread(target=feed, daemon=True).start()
streams = app.extensions["mms_live"].max_streams
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8 + streams, connection_limit=100 + streams,
               _quiet=True)
"""
SERVE_BARE = """
import json, sys, threading, time, waitress
from flask import Flask, Response
app = Flask("bare")
events, cond = [], threading.Condition()
def feed():
    for line in sys.stdin:
        with cond:
            events.append(json.dumps({"job": "bench-" + line.strip(), "sent": time.time()}))
            cond.notify_all()
threading.Thread(target=feed, daemon=True).start()
@app.get("/api/events")
def stream():
    def generate():
        seen = len(events)
        yield "retry: 2000\\n\\n"
        while True:
            with cond:
                cond.wait_for(lambda: len(events) > seen, timeout=15)
                new = events[seen:]
            seen += len(new)
            yield "".join(f"event: job.finished\\ndata: {e}\\n\\n" for e in new) or ": ping\\n\\n"
    return Response(generate(), mimetype="text/event-stream")
clients = int(sys.argv[2])
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8 + clients, connection_limit=100 + clients,
               _quiet=True)
"""


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _connect(port: int, cookie: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall((f"GET /api/events HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                  f"Cookie: {cookie}\r\n\r\n").encode())
    sock.setblocking(False)
    return sock


def measure(port: int, clients: int, events: int, feed, cookie: str = "") -> tuple[list[float], int]:
    """Connect ``clients`` streams, publish ``events`` (one per 50 ms), read until each client has them all;
    ``(latencies in ms, clients that opened)``."""
    selector = selectors.DefaultSelector()
    buffers: dict[socket.socket, bytes] = {}
    got: dict[socket.socket, int] = {}
    for _ in range(clients):
        sock = _connect(port, cookie)
        selector.register(sock, selectors.EVENT_READ)
        buffers[sock], got[sock] = b"", 0
    latencies: list[float] = []
    opened: set[socket.socket] = set()

    def pump(until: float, stop=lambda: False) -> None:
        while time.monotonic() < until and not stop():
            for key, _mask in selector.select(timeout=0.05):
                sock = key.fileobj
                chunk = sock.recv(65536)
                if not chunk:
                    selector.unregister(sock)
                    continue
                opened.add(sock)
                buffers[sock] += chunk
                *frames, buffers[sock] = buffers[sock].split(b"\n\n")
                now = time.time()
                for frame in frames:
                    for line in frame.split(b"\n"):
                        if line.startswith(b"data: ") and b'"sent"' in line:
                            sent = json.loads(line[6:])["sent"]
                            latencies.append((now - sent) * 1000)
                            got[sock] += 1

    # every stream open (its first bytes arrived) before the first event
    pump(time.monotonic() + 20, stop=lambda: len(opened) == clients)
    for n in range(events):
        feed(n)
        pump(time.monotonic() + 0.05)
    pump(time.monotonic() + 10, stop=lambda: all(v >= events for v in got.values()))
    for sock in buffers:
        sock.close()
    return latencies, len(opened)


def p95(values: list[float]) -> float:
    """The 95th percentile (``statistics.quantiles``, 20 cuts)."""
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else float("nan")


def run_server(code: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A server process fed events through its stdin."""
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env={**os.environ, **env},
                            stdin=subprocess.PIPE, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--events", type=int, default=60)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        env = {"MMS_INSTANCE_PATH": f"{folder}/instance", "MMS_BACKUP_PATH": f"{folder}/backups",
               "ADMIN_PASSWORD": PASSWORD, "LIVE_MAX_STREAMS": str(args.clients)}
        for name, code in (("mms", SERVE_MMS), ("bare", SERVE_BARE)):
            port = free_port()
            server = run_server(code, [str(port), str(args.clients)], env)
            try:
                wait_port(port, server, timeout=30, what=name)
                cookie = ""
                if name == "mms":
                    session = signed_in(f"http://127.0.0.1:{port}", "admin", PASSWORD)
                    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.get_dict().items())
                idle = rss_kib(server.pid)

                def feed(n: int, server=server) -> None:
                    server.stdin.write(f"{n}\n")
                    server.stdin.flush()

                latencies, opened = measure(port, args.clients, args.events, feed, cookie)
                results[name] = {"p95": p95(latencies), "median": statistics.median(latencies),
                                 "received": len(latencies), "opened": opened, "idle_kib": idle,
                                 "busy_kib": rss_kib(server.pid)}
            finally:
                server.kill()
                server.wait()
    expected = args.clients * args.events
    for name, r in results.items():
        print(f"{name}: {r['opened']}/{args.clients} streams, {r['received']}/{expected} events received, "
              f"p95 {r['p95']:.1f} ms, median {r['median']:.1f} ms, RSS idle {r['idle_kib'] / 1024:.1f} MiB, "
              f"with the clients {r['busy_kib'] / 1024:.1f} MiB")
    mms, bare = results["mms"], results["bare"]
    print(f"ratio p95 MMS / bare: {mms['p95'] / bare['p95']:.2f}")
    ok = mms["p95"] < 100 and mms["received"] == expected
    print(f"target p95 < 100 ms with every event received: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
