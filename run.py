"""Serve MMS with waitress: ``python run.py`` (HOST and PORT from the environment).

``flask --app run <command>`` finds :func:`create_app` below, which builds the
app without the scheduler, so CLI commands never start the jobs.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from app import create_app as _create_app
from app.utils.stores.settings_manager import SettingsError

ROOT = Path(__file__).resolve().parent


def create_app():
    """The app for ``flask --app run ...``: no scheduler."""
    return _create_app({"SCHEDULER_ENABLED": False})


def main() -> int:
    """Create instance/ and backups/, build the app with its jobs, and serve it."""
    from waitress import serve

    for folder in ("instance", "backups"):
        (ROOT / folder).mkdir(exist_ok=True)
    try:
        app = _create_app()
    except SettingsError as exc:
        print(f"MMS cannot start: {exc}", file=sys.stderr)
        return 2
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "5000"))
    signal.signal(signal.SIGTERM, _stop)  # docker stop, systemd: leave through the same path as Ctrl-C
    print(f"MMS listening on http://{host}:{port}/", flush=True)
    try:
        # 8 threads for the pages and jobs' HTTP, plus one per live update stream allowed (app/live/service.py)
        streams = app.extensions["mms_live"].max_streams
        serve(app, host=host, port=port, threads=8 + streams, connection_limit=100 + streams)
    except KeyboardInterrupt:
        pass
    finally:
        shutdown(app)
    return 0


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def shutdown(app) -> None:
    """Stop the scheduler (running jobs finish), the worker pools and the forkserver: no process is
    left behind when MMS exits."""
    from app.live import service as live
    from app.media_requests import fulfil
    from app.utils.media import health, releases

    live.shutdown(app)
    app.extensions["mms"].jobs.shutdown()
    fulfil.shutdown(app)
    releases.shutdown_workers()
    health.shutdown_workers()
    try:
        from multiprocessing import forkserver

        server = forkserver._forkserver
        if getattr(server, "_forkserver_pid", None):
            server._stop()
    except (ImportError, AttributeError, OSError):  # another Python: the forkserver ends with us anyway
        pass


if __name__ == "__main__":
    sys.exit(main())
