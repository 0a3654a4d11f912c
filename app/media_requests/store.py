"""``instance/media_requests.json``: the requests and their state machine.

A request: ``{"id", "kind" ("movie" | "tv"), "tmdb_id", "tvdb_id", "imdb_id", "title", "original_title",
"year", "poster_path", "seasons": [season numbers] (tv), "username", "state", "created_at" (ISO 8601 UTC),
"updated_at", "decided_by", "reason": {"msgid", "params"} | None (why declined or failed), "via"
("pipeline" | "radarr" | "sonarr" | None), "grabs": [{"info_hash", "release", "season"}], "arr_id",
"history": [{"state", "time", "by", "detail"}]}``.

States (Overseerr's, plus grabbed): ``pending -> approved -> grabbed -> available``, ``declined`` (from
pending or approved) and ``failed`` (from approved or grabbed; a retry approves it again, a pipeline entry
that recovers brings it back to grabbed). Every change is published on the event bus as
``request.changed`` (the live pages) and, for the ones people are told about, as a notification event.
"""

from __future__ import annotations

import copy
import secrets
from datetime import UTC, datetime
from typing import Any

from app.extensions import managers
from app.utils.messages import N_, Refusal
from app.utils.stores.json_store import JsonStore

FILE = "media_requests.json"
STATES = ("pending", "approved", "grabbed", "available", "declined", "failed")
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "declined"}),
    "approved": frozenset({"grabbed", "failed", "declined", "available"}),
    "grabbed": frozenset({"available", "failed"}),
    "failed": frozenset({"approved", "grabbed", "available", "declined"}),
    "available": frozenset(),
    "declined": frozenset(),
}
#: State -> the notification event people subscribe to (app/notifications/events.py).
NOTIFIED = {"pending": "request_created", "approved": "request_approved", "available": "request_available",
            "declined": "request_declined", "failed": "request_failed"}
#: History lines kept per request.
HISTORY_KEPT = 50


class RequestRefused(Refusal):
    """A request action that cannot be done (unknown request, not allowed in its state, over quota...)."""

    code = "request_refused"
    status = 409


def now_iso() -> str:
    """Now, ISO 8601 UTC to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def store() -> JsonStore:
    """``instance/media_requests.json``."""
    return managers().extra_store(FILE)


def ensure(data: Any) -> dict[str, Any]:
    """The store's data with its ``requests`` map (made on first write)."""
    if not isinstance(data, dict) or "requests" not in data:
        data.clear()
        data.update({"schema_version": 1, "requests": {}})
    return data


def all_requests() -> dict[str, dict[str, Any]]:
    """Every request by id (a shared read: do not change it)."""
    data = store().read_shared() if store().exists() else None
    return data.get("requests", {}) if isinstance(data, dict) else {}


def get(request_id: str) -> dict[str, Any]:
    """A copy of one request; :class:`RequestRefused` (404) when unknown."""
    found = all_requests().get(request_id)
    if found is None:
        raise RequestRefused(N_("no request %(id)s"), id=request_id, status=404)
    return copy.deepcopy(found)


def new_id() -> str:
    """A new request id (8 hex digits)."""
    return secrets.token_hex(4)


def move(record: dict[str, Any], state: str, by: str, detail: dict[str, Any] | None = None) -> None:
    """Change ``record``'s state in place (inside a store update), with a history line. Raises
    :class:`RequestRefused` when the state machine does not allow it."""
    if state != record["state"] and state not in TRANSITIONS[record["state"]]:
        raise RequestRefused(N_("a request that is %(state)s cannot become %(new)s"),
                             state=record["state"], new=state)
    at = now_iso()
    record["state"], record["updated_at"] = state, at
    record.setdefault("history", []).append({"state": state, "time": at, "by": by, "detail": detail})
    del record["history"][:-HISTORY_KEPT]


def publish(record: dict[str, Any], previous: str | None) -> None:
    """Tell the event bus: ``request.changed`` always, the notification event when the state is a new one."""
    events = managers().events
    data = {"id": record["id"], "owner": record["username"], "title": record["title"], "state": record["state"],
            "previous": previous, "media_type": record["kind"]}
    events.publish("request.changed", **data)
    if record["state"] != previous and record["state"] in NOTIFIED:
        reason = record.get("reason") or None
        if reason:
            events.publish(NOTIFIED[record["state"]], owner=record["username"],
                           msgid=N_("%(subject)s: %(reason)s"),
                           params={"subject": _subject(record), "reason": reason})
        else:
            events.publish(NOTIFIED[record["state"]], owner=record["username"], msgid=N_("%(subject)s"),
                           params={"subject": _subject(record)})


def _subject(record: dict[str, Any]) -> str:
    title = f"{record['title']} ({record['year']})" if record.get("year") else record["title"]
    if record["kind"] == "tv" and record.get("seasons"):
        title += " · S" + ", S".join(f"{s:02d}" for s in record["seasons"])
    return f"{title} — {record['username']}"


def change(request_id: str, fn: Any) -> dict[str, Any]:
    """Run ``fn(record)`` on one request under the store's lock, then publish its change; a copy after."""
    box: dict[str, Any] = {}

    def apply(data: Any) -> dict[str, Any]:
        record = ensure(data)["requests"].get(request_id)
        if record is None:
            raise RequestRefused(N_("no request %(id)s"), id=request_id, status=404)
        box["previous"] = record["state"]
        fn(record)
        return copy.deepcopy(record)

    record = store().update(apply)
    publish(record, box["previous"])
    return record
