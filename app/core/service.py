"""Health and jobs overviews, shared by pages, the JSON API and tests."""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict
from typing import Any

from app.core.checks import check_services, last_checks
from app.extensions import managers
from app.i18n import STATES, connection_message, gettext, run_result
from app.utils.settings_schema import GROUPS, N_, Settings, secret_fields
from app.utils.stores.json_store import StoreError
from app.utils.stores.settings_manager import SettingsError

#: Status words shown translated on the health page.
STATUS_WORDS = (N_("ok"), N_("missing"), N_("corrupt"), N_("newer_schema"), N_("degraded"), N_("partial"),
                N_("error"), N_("skipped"), N_("running"))


def store_statuses() -> list[dict[str, Any]]:
    """Each store's :class:`~app.utils.stores.json_store.StoreStatus` as a dict."""
    return [dict(store.status().__dict__) for store in managers().stores().values()]


@functools.cache
def _service_fields() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Per service group: (service, title, the settings that must be set for it to count as configured)."""
    secrets = secret_fields()
    out = []
    for group in GROUPS:
        if not group.service:
            continue
        fields = [f for f, info in Settings.model_fields.items()
                  if (info.json_schema_extra or {}).get("group") == group.key]
        urls = [f for f in fields if f.endswith(("_url", "_host"))]
        keys = [f for f in fields if f in secrets and f not in ("tvdb_pin", "qbittorrent_password",
                                                               "sftp_password")]
        out.append((group.service, group.title, tuple(urls + keys)))
    return tuple(out)


def service_statuses(settings: Settings, checks: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per service group: ``configured`` when its address and credentials are set; with the last
    reachability ``checks`` (:mod:`app.core.checks`), ``reachable`` (``None`` before a first check),
    ``message`` and ``checked_at``."""
    out = []
    for service, title, needed in _service_fields():
        configured = all(getattr(settings, f) for f in needed)
        check = (checks or {}).get(service) if configured else None
        reachable = check["ok"] if check else None
        state_text = (N_("not configured") if not configured else N_("reachable") if reachable
                      else N_("unreachable") if reachable is False else N_("not checked yet"))
        out.append({"service": service, "title": title, "configured": configured, "reachable": reachable,
                    "message": connection_message(check["code"], gettext(title), check["message"],
                                                  check.get("setting")) if check else "",
                    "detail": check["message"] if check else "", "checked_at": check["checked_at"] if check else None,
                    "state_text": state_text})
    return out


def run_job_now(job_id: str) -> None:
    """Start a job now, outside its schedule; raises ``KeyError`` for an unknown job."""
    managers().jobs.run_now(job_id)


def test_all_services() -> list[dict[str, Any]]:
    """Check every configured service now ("Test all connections"); returns :func:`service_statuses`."""
    results = check_services()
    return service_statuses(managers().settings.load(), results)


def failed_pipeline_entries() -> list[dict[str, Any]]:
    """The pipeline entries in a ``*_failed`` state (read-only), newest first."""
    try:
        entries = managers().mapping.all_shared().values()
    except StoreError:
        return []
    failed = [e for e in entries if e["state"].endswith("_failed")]
    return sorted(failed, key=lambda e: e["updated_at"], reverse=True)


def _safe(source: Any) -> list[dict[str, Any]]:
    """A feature's problems for the summary; a source that fails is itself a problem (never a 500)."""
    try:
        return list(source())
    except Exception as exc:  # one feature's failure must not hide the others'
        logging.getLogger(__name__).exception("problem source %s failed", source)
        return [{"title": N_("A feature could not report its state"), "detail": f"{type(exc).__name__}: {exc}"}]


def _as_dict(info: Any) -> dict[str, Any] | None:
    return asdict(info) if info is not None else None


def reset_store(name: str) -> str | None:
    """Start an unreadable store afresh (the user's explicit choice), keeping the bad file aside; returns
    where it was kept. Raises ``KeyError`` (no such store) or ``ValueError`` (the store is readable)."""
    store = managers().stores()[name]
    if store.status().state != "corrupt":
        raise ValueError(f"{name} is readable; nothing to reset")
    kept = store.reset_corrupt()
    return str(kept) if kept else None


def jobs_overview() -> list[dict[str, Any]]:
    """Every job with its schedule, last run and next run (ISO 8601 or ``None``)."""
    mms = managers()
    runner = mms.jobs
    settings = mms.settings.load()
    rows = []
    for spec in runner.specs.values():
        runs = mms.job_runs.runs(spec.id)
        next_run = runner.next_run(spec.id)
        rows.append({
            "id": spec.id,
            "title": spec.title,
            "schedule": spec.schedule(settings),
            "enabled": runner.enabled(spec.id, settings),
            "last_run": {**runs[0], "result_text": run_result(runs[0])} if runs else None,
            "next_run": next_run.isoformat() if next_run else None,
            "scheduler_here": runner.owns_scheduler,
        })
    return rows


def health_report() -> dict[str, Any]:
    """Stores, jobs, services and settings state; ``status`` is ``ok`` or ``degraded``; ``problems`` lists
    every failure for the summary views as ``{"title": untranslated msgid, "subject": untranslated msgid
    (optional), "detail": text}``."""
    stores = store_statuses()
    problems = [s for s in stores if s["state"] in ("corrupt", "newer_schema")]
    try:
        settings = managers().settings.load()
        settings_error = None
    except SettingsError as exc:
        settings, settings_error = None, str(exc)
    try:
        jobs = jobs_overview() if settings else []
    except StoreError as exc:  # job_runs.json unreadable: reported with the stores above
        jobs = [{"id": spec.id, "title": spec.title, "schedule": "", "enabled": False, "next_run": None,
                 "last_run": {"status": "error", "error": str(exc), "started_at": ""}, "scheduler_here": False}
                for spec in managers().jobs.specs.values()]
    failed_jobs = [j for j in jobs if j["last_run"] and j["last_run"].get("status") in ("error", "partial")
                   and j["id"] != "service_check"]  # its failures are the services, listed below
    services = service_statuses(settings, last_checks()) if settings else []
    down = [s for s in services if s["reachable"] is False]
    failed_entries = failed_pipeline_entries()
    startup = list(managers().startup_problems)
    summary = ([{"title": N_("Data file unreadable"), "detail": s["detail"]} for s in problems]
               + ([{"title": N_("Invalid settings"), "detail": settings_error}] if settings_error else [])
               + [{"title": N_("Repaired at start"), "detail": text} for text in startup]
               + [{"title": j["title"], "detail": j["last_run"].get("error") or run_result(j["last_run"])}
                  for j in failed_jobs]
               + [{"title": N_("Service unreachable"), "subject": s["title"], "detail": s["message"]} for s in down]
               + ([{"title": N_("Failed pipeline entries"),
                    "detail": ", ".join(f"{e['release_name']} ({gettext(STATES.get(e['state'], e['state']))}, "
                                        f"{e['attempts']}x)"
                                        for e in failed_entries[:5])
                              + (f" (+{len(failed_entries) - 5})" if len(failed_entries) > 5 else "")}]
                  if failed_entries else [])
               + [problem for source in managers().problem_sources for problem in _safe(source)])
    return {
        "status": "degraded" if summary else "ok",
        "problems": summary,
        "stores": stores,
        "jobs": jobs,
        "services": services,
        "failed_entries": len(failed_entries),
        "settings_error": settings_error,
        "latest_backup": _as_dict(managers().backups.latest()),
    }
