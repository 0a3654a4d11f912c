"""Reachability of every configured service, measured by a light periodic check (the ``service_check``
job, or "Test all connections" on the health page), kept in ``instance/service_status.json``.

A service counts as configured when its address and credentials are set; reachable when its own
"Test connection" succeeded at the last check. The dashboard, the health page and the status of the
health report use this, not "a URL is filled in".
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app

from app.extensions import managers
from app.jobs import JobResult
from app.utils.settings_schema import N_
from app.utils.stores.json_store import JsonStore, StoreError

STATUS_FILE = "service_status.json"


def status_store(app: Flask | None = None) -> JsonStore:
    """``instance/service_status.json``: ``{service: {"ok", "code", "message", "elapsed_ms", "checked_at"}}``."""
    return (app or current_app).extensions["mms"].extra_store(STATUS_FILE)


def check_services() -> dict[str, dict[str, Any]]:
    """Test every configured service at once (each test has its own timeouts); store and return the
    results by service. Services not configured are dropped from the store."""
    from app.configuration.service import test_connection
    from app.core.service import service_statuses

    settings = managers().settings.load()
    configured = [s["service"] for s in service_statuses(settings) if s["configured"]]
    app = current_app._get_current_object()

    def one(service: str) -> tuple[str, dict[str, Any]]:
        with app.app_context():
            try:
                report = test_connection(service)
                result = {"ok": report.ok, "code": report.code, "message": report.message,
                          "elapsed_ms": report.elapsed_ms, "setting": report.setting}
            except Exception as exc:  # noqa: BLE001 - one service's failure is its own result
                result = {"ok": False, "code": "error", "message": f"{type(exc).__name__}: {exc}", "elapsed_ms": 0}
        result["checked_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        return service, result

    with ThreadPoolExecutor(max_workers=max(1, len(configured))) as pool:
        results = dict(pool.map(one, configured))

    def apply(data: dict) -> None:
        data.clear()
        data.update(results)

    status_store().update(apply)
    return results


def last_checks() -> dict[str, dict[str, Any]]:
    """The results of the last check, by service (``{}`` before the first one)."""
    try:
        return dict(status_store().read_shared())
    except StoreError:  # an unreadable status file is reported with the stores
        return {}


def run_service_check() -> JobResult:
    """Body of the ``service_check`` job: the summary, with the unreachable services as failures."""
    results = check_services()
    down = sorted(name for name, r in results.items() if not r["ok"])
    if down:
        return JobResult.message(N_("%(up)d/%(total)d service(s) reachable; unreachable: %(down)s"), len(down),
                                 up=len(results) - len(down), total=len(results), down=", ".join(down))
    return JobResult.message(N_("%(up)d/%(total)d service(s) reachable"), up=len(results), total=len(results))
