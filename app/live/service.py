"""The one server-sent-events stream (``GET /api/events``, the WHATWG HTML "Server-sent events" format):
what MMS publishes on its event bus reaches the open pages at once, and notifications arrive as toasts.

Every bus event becomes a live event with an audience (:func:`audience`); notification events (those
:func:`app.notifications.events.classify` knows) add a ``toast`` event, its text made in each reader's
language. A stream sends ``retry`` (how long the browser waits before it reconnects), then the events after
the client's ``Last-Event-ID`` (``reset`` when they are lost: a restart, or too old), then new events as they
come, a comment every :data:`HEARTBEAT_S` seconds (so a closed tab is noticed and its thread freed), and ends
after ``live_stream_max_s`` seconds (the browser reconnects and resumes from its last id).

Threads: under waitress each open stream holds one worker thread. At most ``live_max_streams`` streams are
held at once (run.py gives waitress that many threads more than the pages need); beyond, a stream answers the
missed events at once and closes, asking the browser to come back after ``live_poll_s`` seconds (it polls
instead of holding a thread).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, request

from app.api import streamed
from app.auth.roles import signed_in
from app.extensions import managers
from app.i18n import localized_detail
from app.live.hub import EventHub, LiveEvent

#: Seconds between two comments on an idle stream.
HEARTBEAT_S = 15.0


def audience(kind: str, data: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """``(lowest role, owner, progress subject)`` of a bus event: pipeline and jobs for power users,
    requests for power users and their owner, health scans, cloud burst and the rest for admins."""
    owner = data.get("owner") if isinstance(data.get("owner"), str) else None
    if kind.startswith(("pipeline.", "job.", "follow.", "upgrade.", "trailer.")):
        return "power", None, data.get("info_hash") or data.get("job") or data.get("id")
    if kind.startswith("request"):
        return "power", owner, None
    return "admin", owner, data.get("id")


def toast_of(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The toast of a notification event: ``{"event", "label", "message": {"msgid", "params"}}``."""
    from app.notifications.events import EVENTS, classify

    found = classify(kind, data)
    if found is None:
        return None
    event, message = found
    return {"event": event, "label": EVENTS[event], "message": message}


class Live:
    """One app's hub, stream slots and settings (``app.extensions["mms_live"]``)."""

    def __init__(self, max_streams: int):
        self.hub = EventHub()
        self.max_streams = max_streams
        self.slots = threading.BoundedSemaphore(max_streams)
        self._open = 0
        self._lock = threading.Lock()

    def on_bus(self, kind: str, data: dict[str, Any]) -> None:
        """The event bus's subscriber."""
        role, owner, subject = audience(kind, data)
        self.hub.publish(kind, data, role, owner, subject)
        toast = toast_of(kind, data)
        if toast is not None:
            # a user is not told of the request they just made (their page says so); reviewers are
            reader = None if toast["event"] == "request_created" else owner
            self.hub.publish("toast", toast, "admin" if role == "admin" else "power", reader)

    @property
    def open_streams(self) -> int:
        """Streams holding a thread now."""
        return self._open

    def _held(self, delta: int) -> None:
        with self._lock:
            self._open += delta


def live(app: Flask | None = None) -> Live:
    """The app's :class:`Live`."""
    return (app or current_app).extensions["mms_live"]


def install(app: Flask) -> None:
    """Make the hub and subscribe it to the event bus (once per app)."""
    settings = app.extensions["mms"].settings.load()
    state = Live(settings.live_max_streams)
    app.extensions["mms_live"] = state
    app.extensions["mms"].events.subscribe(state.on_bus)


def shutdown(app: Flask) -> None:
    """End every open stream (app shutdown)."""
    state = app.extensions.get("mms_live")
    if state is not None:
        state.hub.close()


def _frame(hub: EventHub, event: LiveEvent) -> str:
    data = event.data
    if event.kind == "toast":
        body = json.loads(data)
        body["text"] = localized_detail(body["message"], "") or ""
        body["title"] = localized_detail({"msgid": body["label"], "params": {}}, body["label"])
        data = json.dumps(body, separators=(",", ":"))
    return f"id: {hub.event_id(event.seq)}\nevent: {event.kind}\ndata: {data}\n\n"


def _visible(events: list[LiveEvent], username: str, role: str) -> list[LiveEvent]:
    return [e for e in events if e.visible_to(username, role)]


def _still_allowed(username: str) -> bool:
    record = managers().users.get(username)
    return bool(record) and not record.get("disabled")


def stream() -> Response:
    """The ``/api/events`` response for the current user (see the module docstring)."""
    state = live()
    hub = state.hub
    settings = managers().settings.load()
    username, role = signed_in()
    seq, reset = hub.position(request.headers.get("Last-Event-ID") or request.args.get("last_event_id"))
    headers = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
    if not state.slots.acquire(blocking=False):
        missed = hub.after(seq)
        frames = [f"retry: {int(settings.live_poll_s * 1000)}\n\n"]
        if reset:
            frames.append("event: reset\ndata: {}\n\n")
        frames += [_frame(hub, e) for e in _visible(missed, username, role)]
        # an id line alone sets the browser's last event id (HTML, "dispatch the event", step 1): it comes back
        # from there, even when it saw nothing this time
        frames.append(f"id: {hub.event_id(missed[-1].seq if missed else seq)}\n\n")
        return Response("".join(frames), mimetype="text/event-stream", headers=headers)
    state._held(1)
    released = threading.Event()

    def release() -> None:
        """Free the slot once: when the stream ends, or when the server closes a response never read."""
        if not released.is_set():
            released.set()
            state._held(-1)
            state.slots.release()

    def generate() -> Iterator[str]:
        """The stream's steps (each run in the app's context by :func:`app.api.streamed`; a wait is one step)."""
        position = seq
        try:
            yield f"retry: 2000\nid: {hub.event_id(position)}\n\n"
            if reset:
                yield "event: reset\ndata: {}\n\n"
            yield ": connected\n\n"
            end = time.monotonic() + settings.live_stream_max_s
            while not hub.closed and time.monotonic() < end:
                events = hub.wait(position, min(HEARTBEAT_S, max(0.0, end - time.monotonic())))
                if not events:
                    if not _still_allowed(username):
                        return
                    yield ": ping\n\n"
                    continue
                position = events[-1].seq
                frames = [_frame(hub, e) for e in _visible(events, username, role)]
                if frames:
                    yield "".join(frames)
        finally:
            release()

    response = Response(streamed(generate), mimetype="text/event-stream", headers=headers)
    response.call_on_close(release)
    return response
