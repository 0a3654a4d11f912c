"""Notification targets, the send queue and its job, in ``instance/notifications.json``.

A target is an Apprise URL (``discord://…``, ``tgram://…``, ``ntfy://…``, ``gotify://…``, ``mailto://…``,
``json://…``; see Apprise's wiki, "Supported Notifications") with the events it wants. Publishing never waits
on a target: an event only adds queue items (one per subscribed target). The ``notifications_send`` job sends
what is due: the items of one target and one event that arrived within ``NOTIFICATION_GROUP_S`` go as one
message ("40 imports" instead of 40 messages). A target that fails is logged, and its items are retried later
(1, 5, 15, 60 minutes), then given up after :data:`MAX_ATTEMPTS`; the others are sent as usual.
"""

from __future__ import annotations

import secrets
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import force_locale
from pydantic import BaseModel, Field, field_validator

from app.extensions import managers
from app.i18n import gettext, localized_detail
from app.notifications.events import EVENTS, classify
from app.utils.messages import N_, Refusal
from app.utils.stores.json_store import JsonStore

FILE = "notifications.json"
RETRY_S = (60, 300, 900, 3600)
MAX_ATTEMPTS = 5
LOG_KEPT = 200
#: Subjects listed at most in a grouped message.
LISTED = 10


_LOADED: list[Any] = []


def apprise_module() -> Any:
    """The ``apprise`` module with its plugins loaded once. Apprise's e-mail plugin imports ``imghdr``,
    deprecated in Python 3.11+: that one warning is silenced while the plugins load (not ours to fix)."""
    if not _LOADED:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*imghdr.*")
            import apprise

            apprise.Apprise.instantiate("json://localhost", suppress_exceptions=True)
        _LOADED.append(apprise)
    return _LOADED[0]


class NotificationRefused(Refusal):
    """A target cannot be added, found or changed (the message says why)."""

    code = "notification_refused"
    status = 422


class TargetIn(BaseModel):
    """A target: ``name``, Apprise ``url``, ``events`` (ids of :data:`EVENTS`), ``enabled``."""

    name: str = Field(min_length=1, max_length=80)
    url: str = Field(min_length=6, max_length=2000)
    events: list[str] = Field(default_factory=list, max_length=len(EVENTS))
    enabled: bool = True

    @field_validator("events")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in EVENTS]
        if unknown:
            raise ValueError(f"unknown event {unknown[0]}")
        return sorted(set(value))

    @field_validator("url")
    @classmethod
    def _apprise(cls, value: str) -> str:
        if apprise_module().Apprise.instantiate(value.strip(), suppress_exceptions=True) is None:
            raise ValueError("Apprise does not know this URL")
        return value.strip()


class TargetChange(BaseModel):
    """What may change on a target (the URL is typed again to change it)."""

    name: str | None = Field(default=None, min_length=1, max_length=80)
    url: str | None = Field(default=None, min_length=6, max_length=2000)
    events: list[str] | None = None
    enabled: bool | None = None

    _known = field_validator("events")(TargetIn._known.__func__)
    _apprise = field_validator("url")(TargetIn._apprise.__func__)


def store() -> JsonStore:
    """``instance/notifications.json``."""
    return managers().extra_store(FILE)


def _data() -> dict[str, Any]:
    data = store().read() if store().exists() else None
    return data if isinstance(data, dict) else {}


def _ensure(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or "targets" not in data:
        data.clear()
        data.update({"schema_version": 1, "targets": {}, "queue": [], "log": []})
    return data


def masked(url: str) -> str:
    """The URL without its secrets: scheme and host only (``discord://…``, ``ntfy://ntfy.lan/…``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    shown = host if (host and "." in host) or host in ("localhost",) else ""
    return f"{parts.scheme}://{shown}{'/…' if shown else '…'}"


def _public(target: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in target.items() if k != "url"}, "url": masked(target["url"])}


#: Events a user's own target may want (about their own requests).
OWN_EVENTS = ("request_approved", "request_available", "request_declined", "request_failed")


def targets(owner: str | None = None) -> list[dict[str, Any]]:
    """Every target (URL masked), by name; only ``owner``'s own targets when given."""
    found = [t for t in _data().get("targets", {}).values() if owner is None or t.get("owner") == owner]
    return sorted((_public(t) for t in found), key=lambda t: t["name"].lower())


def add(new: TargetIn, owner: str | None = None) -> dict[str, Any]:
    """Add a target; a user's own (``owner``) receives only the events of their own requests
    (:data:`OWN_EVENTS`)."""
    if owner is not None and set(new.events) - set(OWN_EVENTS):
        raise NotificationRefused(N_("your own notifications can only be about your requests"))
    target = {**new.model_dump(), "id": secrets.token_hex(4), "created_at": _iso(_now()), "last": None,
              "owner": owner}
    store().update(lambda data: _ensure(data)["targets"].__setitem__(target["id"], target))
    return _public(target)


def _get(data: dict[str, Any], target_id: str, owner: str | None = None) -> dict[str, Any]:
    target = data.get("targets", {}).get(target_id)
    if target is None or (owner is not None and target.get("owner") != owner):
        raise NotificationRefused(N_("no notification target %(id)s"), id=target_id, status=404)
    return target


def change(target_id: str, values: TargetChange) -> dict[str, Any]:
    """Change a target."""
    def apply(data: Any) -> dict[str, Any]:
        target = _get(_ensure(data), target_id)
        target.update({k: v for k, v in values.model_dump().items() if v is not None})
        return dict(target)
    return _public(store().update(apply))


def remove(target_id: str, owner: str | None = None) -> None:
    """Remove a target (only one of ``owner``'s when given) and its queued items."""
    def apply(data: Any) -> None:
        _get(_ensure(data), target_id, owner)
        del data["targets"][target_id]
        data["queue"] = [item for item in data["queue"] if item["target"] != target_id]
    store().update(apply)


def recent() -> list[dict[str, Any]]:
    """The last deliveries, newest first: ``[{"at", "target", "event", "count", "ok", "error"}]``."""
    return list(reversed(_data().get("log", [])))


def queued() -> int:
    """Items waiting to be sent."""
    return len(_data().get("queue", []))


# -- publishing ----------------------------------------------------------------------------------------------
def on_event(app: Flask, kind: str, data: dict[str, Any]) -> None:
    """The event bus's subscriber: queue one item per enabled target that wants this event."""
    found = classify(kind, data)
    if found is None:
        return
    event, message = found
    with app.app_context():
        notify(event, message["msgid"], owner=data.get("owner"), **message["params"])


def notify(event: str, msgid: str, owner: str | None = None, **params: Any) -> int:
    """Queue ``msgid % params`` (translated when sent) for the targets that want ``event``: the shared ones,
    and ``owner``'s own (an event about a user's request); how many."""
    if not store().exists():
        return 0
    now = _iso(_now())

    def apply(data: Any) -> int:
        wanting = [t for t in _ensure(data)["targets"].values() if t["enabled"] and event in t["events"]
                   and (not t.get("owner") or t["owner"] == owner)]
        for target in wanting:
            data["queue"].append({"id": secrets.token_hex(6), "target": target["id"], "event": event,
                                  "msgid": msgid, "params": params, "queued_at": now, "attempts": 0,
                                  "next_at": None})
        return len(wanting)
    return store().update(apply)


# -- sending -------------------------------------------------------------------------------------------------
def _render(item: dict[str, Any]) -> str:
    params = {k: localized_detail(v) if isinstance(v, dict) else v for k, v in (item.get("params") or {}).items()}
    return localized_detail({"msgid": item["msgid"], "params": params}) or ""


def compose(event: str, items: list[dict[str, Any]]) -> tuple[str, str]:
    """``(title, body)`` of one message for ``items`` of ``event``, in the app's language."""
    label = gettext(EVENTS[event])
    subjects = [_render(i) for i in items]
    if len(items) == 1:
        return f"MMS · {label}", subjects[0]
    body = "\n".join(f"• {s}" for s in subjects[:LISTED])
    if len(items) > LISTED:
        body += "\n" + gettext("… and %(n)s more", n=len(items) - LISTED)
    return f"MMS · {label} ({len(items)})", body


def send(url: str, title: str, body: str) -> str | None:
    """Send one message through Apprise; ``None`` when it went, else why it did not (Apprise's log)."""
    apprise = apprise_module()
    sender = apprise.Apprise()
    if not sender.add(url):
        return "Apprise does not know this URL"
    with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
        ok = sender.notify(title=title, body=body)
    if ok:
        return None
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    return (lines[-1] if lines else "the target refused the message")[:300]


def flush(now: datetime | None = None, group_s: float | None = None) -> dict[str, int]:
    """Send what is due: per target and event, the items queued ``group_s`` seconds ago or more go as one
    message. ``{"sent", "failed", "waiting"}`` (messages)."""
    now = now or _now()
    settings = managers().settings.load()
    group_s = settings.notification_group_s if group_s is None else group_s
    data = _data()
    groups: dict[tuple[str, str], list[int]] = {}
    for index, item in enumerate(data.get("queue", [])):
        due = datetime.fromisoformat(item["next_at"]) if item["next_at"] else \
            datetime.fromisoformat(item["queued_at"]) + timedelta(seconds=group_s)
        if due <= now:
            groups.setdefault((item["target"], item["event"]), []).append(index)
    counts = {"sent": 0, "failed": 0, "waiting": 0}
    outcomes: list[tuple[str, str, list[dict[str, Any]], str | None]] = []
    with force_locale(settings.ui_language):
        for (target_id, event), indexes in groups.items():
            target = data["targets"].get(target_id)
            items = [data["queue"][i] for i in indexes]
            if target is None:
                continue
            title, body = compose(event, items)
            error = send(target["url"], title, body)
            outcomes.append((target_id, event, items, error))
            counts["failed" if error else "sent"] += 1

    def apply(stored: Any) -> None:
        stored = _ensure(stored)
        for target_id, event, items, error in outcomes:
            keys = {i["id"] for i in items}
            keep = []
            for item in stored["queue"]:
                mine = item["id"] in keys
                if mine and error:
                    item["attempts"] += 1
                    if item["attempts"] >= MAX_ATTEMPTS:
                        continue
                    item["next_at"] = _iso(now + timedelta(seconds=RETRY_S[min(item["attempts"], len(RETRY_S)) - 1]))
                    item["error"] = error
                if not mine or error:
                    keep.append(item)
            stored["queue"] = keep
            target = stored["targets"].get(target_id)
            entry = {"at": _iso(now), "target": target_id, "name": target["name"] if target else target_id,
                     "event": event, "count": len(items), "ok": error is None, "error": error}
            stored["log"].append(entry)
            del stored["log"][:-LOG_KEPT]
            if target:
                target["last"] = entry
        counts["waiting"] = len(stored["queue"])
    if store().exists():
        store().update(apply)
    return counts


def test_target(target_id: str, owner: str | None = None) -> dict[str, Any]:
    """Send a test message to one target now (only one of ``owner``'s when given): ``{"ok", "error"}``
    (recorded as its last delivery)."""
    target = _get(_data(), target_id, owner)
    settings = managers().settings.load()
    with force_locale(settings.ui_language):
        error = send(target["url"], "MMS", gettext("Test notification from MediaManagerSuite"))
    entry = {"at": _iso(_now()), "target": target_id, "name": target["name"], "event": "test", "count": 1,
             "ok": error is None, "error": error}

    def apply(data: Any) -> None:
        _ensure(data)["log"].append(entry)
        if target_id in data["targets"]:
            data["targets"][target_id]["last"] = entry
    store().update(apply)
    return {"ok": error is None, "error": error}


def problems(app: Flask) -> list[dict[str, Any]]:
    """Targets whose last delivery failed, for the health page and the dashboard."""
    with app.app_context():
        return [{"title": N_("A notification target fails"), "subject": t["name"], "detail": t["last"]["error"] or ""}
                for t in _data().get("targets", {}).values() if t.get("last") and not t["last"]["ok"]]


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
