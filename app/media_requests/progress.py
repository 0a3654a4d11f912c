"""Follow grabbed requests until Plex has them (the ``request_checks`` job and the pipeline's events).

A request grabbed through the pipeline follows its entries in the pending map: one failed (transfer or
import) makes it ``failed`` with that entry's reason; an entry that is retried brings it back to
``grabbed``. Once every entry is imported (or, for Radarr / Sonarr, at every check), Plex is asked: the
request is ``available`` when a movie with its TMDB GUID is in a movie section, or a show with its TMDB or
TheTVDB GUID has every requested season with episodes. Without Plex configured, an imported request is
``available`` (nothing else can tell). Approved requests whose grab never started (MMS stopped meanwhile)
are grabbed again. Each request is checked on its own: a failure is counted and the others go on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from app.extensions import managers
from app.i18n import localized_detail, say
from app.jobs import JobResult
from app.media_requests import fulfil
from app.media_requests import store as requests_store
from app.media_requests.store import move
from app.utils.clients.errors import UpstreamError
from app.utils.clients.plex import PlexClient
from app.utils.messages import N_

log = logging.getLogger(__name__)
FAILED_ENTRY_STATES = frozenset({"transfer_failed", "import_failed", "removed"})
#: An approved request whose grab has not moved for this long is grabbed again (the worker was lost).
STALE_APPROVED = timedelta(minutes=10)


class PlexLibrary:
    """What Plex holds, read once per check: movies by TMDB id, shows by TMDB and TheTVDB id, and the
    season numbers with episodes of a show (asked when needed). Raises ``UpstreamError``."""

    def __init__(self, client: PlexClient):
        self.client = client
        self.movies: set[str] = set()
        self.shows: dict[tuple[str, str], int] = {}
        for section in client.sections():
            if section.type not in ("movie", "show"):
                continue
            for item in client.items(section.key):
                if section.type == "movie" and item.guids.get("tmdb"):
                    self.movies.add(str(item.guids["tmdb"]))
                for source in ("tmdb", "tvdb"):
                    if section.type == "show" and item.guids.get(source):
                        self.shows[(source, str(item.guids[source]))] = item.rating_key
        self._seasons: dict[int, set[int]] = {}

    def has(self, record: dict[str, Any]) -> bool:
        """Whether Plex shows the request's movie, or every requested season of its series."""
        if record["kind"] == "movie":
            return str(record["tmdb_id"]) in self.movies
        key = self.shows.get(("tmdb", str(record["tmdb_id"]))) or \
            (self.shows.get(("tvdb", str(record["tvdb_id"]))) if record.get("tvdb_id") else None)
        if key is None:
            return False
        if key not in self._seasons:
            self._seasons[key] = {s.index for s in self.client.seasons(key) if s.leaf_count > 0}
        return set(record["seasons"]) <= self._seasons[key]


def _pipeline_state(record: dict[str, Any], entries: dict[str, dict[str, Any]]) -> tuple[str, Any]:
    """``("failed", reason)``, ``("imported", None)`` or ``("moving", None)`` from the request's entries."""
    states = []
    for grab in record.get("grabs") or []:
        entry = entries.get(grab["info_hash"])
        if entry is None:
            return "failed", {"msgid": N_("%(release)s left the pipeline"), "params": {"release": grab["release"]}}
        states.append(entry)
    for entry in states:
        if entry["state"] in FAILED_ENTRY_STATES:
            last = (entry.get("history") or [{}])[-1]
            detail = {"msgid": last["msgid"], "params": last.get("params") or {}} if last.get("msgid") else \
                {"msgid": N_("%(reason)s"), "params": {"reason": last.get("detail", "")}}
            return "failed", {"msgid": N_("%(release)s: %(state)s, %(reason)s"),
                              "params": {"release": entry["release_name"], "state": entry["state"], "reason": detail}}
    if states and all(e["state"] == "imported" for e in states):
        return "imported", None
    return "moving", None


def _set_state(request_id: str, state: str, reason: Any = None, detail: Any = None) -> None:
    def apply(record: dict[str, Any]) -> None:
        if record["state"] == state:
            return
        record["reason"] = reason
        move(record, state, "mms", detail or reason)
    requests_store.change(request_id, apply)


def check(now: datetime | None = None) -> dict[str, Any]:
    """Check every grabbed or failed request (and re-grab stale approved ones): ``{"checked", "available",
    "failed", "errors": [{"request", "error"}]}``; ``failed`` counts the requests that newly failed and the
    checks that could not be done."""
    now = now or datetime.now(UTC)
    settings = managers().settings.load()
    requests = requests_store.all_requests()
    entries = managers().mapping.all_shared()
    out: dict[str, Any] = {"checked": 0, "available": 0, "failed": 0, "errors": []}
    library: PlexLibrary | None = None
    plex_error: str | None = None
    for record in sorted(requests.values(), key=lambda r: r["created_at"]):
        if record["state"] == "approved":
            if now - datetime.fromisoformat(record["updated_at"] or record["created_at"]) > STALE_APPROVED:
                fulfil.grab(record["id"])
            continue
        if record["state"] not in ("grabbed", "failed") or (record["state"] == "failed" and not record.get("via")):
            continue
        out["checked"] += 1
        try:
            if record.get("via") == "pipeline":
                state, reason = _pipeline_state(record, entries)
                if state == "failed":
                    if record["state"] != "failed":
                        out["failed"] += 1
                    _set_state(record["id"], "failed", reason)
                    continue
                if state == "moving":
                    _set_state(record["id"], "grabbed", None, {"msgid": N_("the pipeline retries it"), "params": {}})
                    continue
            if not (settings.plex_url and settings.plex_token):
                if record.get("via") == "pipeline":
                    _set_state(record["id"], "available", None, {"msgid": N_("imported (Plex is not configured)"),
                                                                  "params": {}})
                    out["available"] += 1
                continue
            if library is None and plex_error is None:
                try:
                    library = PlexLibrary(PlexClient.from_settings(settings))
                except UpstreamError as exc:
                    plex_error = say(exc)
            if library is None:
                raise UpstreamError("Plex", plex_error or "")
            if library.has(record):
                _set_state(record["id"], "available", None, {"msgid": N_("seen in Plex"), "params": {}})
                out["available"] += 1
        except UpstreamError as exc:
            out["failed"] += 1
            out["errors"].append({"request": record["title"], "error": plex_error or say(exc)})
    return out


def run_job() -> JobResult:
    """Body of the ``request_checks`` job."""
    out = check()
    return JobResult.message(N_("%(checked)d request(s) checked, %(available)d available, %(failed)d failed"),
                             out["failed"], **{k: v for k, v in out.items() if k != "errors"})


def on_pipeline_event(app: Flask, kind: str, data: dict[str, Any]) -> None:
    """A pipeline entry of a request failed or recovered: follow it at once (the Plex check waits for the
    job, so the pipeline never waits on Plex)."""
    if kind != "pipeline.state" or not data.get("info_hash"):
        return
    with app.app_context():
        for record in list(requests_store.all_requests().values()):
            if record.get("via") != "pipeline" or record["state"] not in ("grabbed", "failed"):
                continue
            if not any(g["info_hash"] == data["info_hash"] for g in record.get("grabs") or []):
                continue
            state, reason = _pipeline_state(record, managers().mapping.all_shared())
            if state == "failed":
                _set_state(record["id"], "failed", reason)
            elif state == "moving" and record["state"] == "failed":
                _set_state(record["id"], "grabbed", None, {"msgid": N_("the pipeline retries it"), "params": {}})


def problems(app: Flask) -> list[dict[str, Any]]:
    """Failed requests, for the health page and the dashboard."""
    with app.app_context():
        return [{"title": N_("A request failed"), "subject": r["title"],
                 "detail": localized_detail(r.get("reason"), "") or ""}
                for r in requests_store.all_requests().values() if r["state"] == "failed"]
