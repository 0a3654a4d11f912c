"""The live event hub behind ``/api/events``: the last events in a ring with increasing ids, and waiting
for new ones.

An event id is ``"<epoch>-<n>"``: ``n`` grows by one per event, ``epoch`` is random per process, so a
client that comes back with an id from before a restart (or one that has left the ring) is told to
``reset`` (reload its state) instead of missing events silently. Each event names its audience: the lowest
role that sees it (``user``, ``power``, ``admin``) and, for a user's own request, its ``owner`` (who sees it
whatever their role). Progress events (kinds ending in ``.progress``) of one subject are kept at most one
per :data:`PROGRESS_EVERY_S`, so a transfer's many progress calls cost the clients little.
Roles are compared with :func:`app.auth.roles.at_least`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from app.auth.roles import at_least

#: Events kept for clients that reconnect (Last-Event-ID).
RING_SIZE = 2000
#: Shortest interval between two progress events of one subject (seconds).
PROGRESS_EVERY_S = 0.5


@dataclass(frozen=True)
class LiveEvent:
    """One event: ``seq`` (its number in this process), ``kind`` (``pipeline.state``...), ``data`` (JSON),
    ``role`` (lowest role that sees it), ``owner`` (a user who sees it too), ``at`` (``time.monotonic()``)."""

    seq: int
    kind: str
    data: str
    role: str
    owner: str | None
    at: float

    def visible_to(self, username: str, role: str) -> bool:
        """Whether a user with ``role`` sees this event."""
        return at_least(role, self.role) or (self.owner is not None and self.owner == username)


class EventHub:
    """Publish from any thread; :meth:`wait` blocks a stream until there is something after its id."""

    def __init__(self, ring_size: int = RING_SIZE):
        self.epoch = secrets.token_hex(3)
        self._ring: deque[LiveEvent] = deque(maxlen=ring_size)
        self._seq = 0
        self._cond = threading.Condition()
        self._last_progress: dict[tuple[str, str], float] = {}
        self.closed = False

    def publish(self, kind: str, data: dict[str, Any], role: str = "power", owner: str | None = None,
                subject: str | None = None) -> int | None:
        """Add an event; its ``seq``, or ``None`` when a progress event was dropped (one of ``subject`` was
        sent less than :data:`PROGRESS_EVERY_S` ago)."""
        now = time.monotonic()
        payload = json.dumps(data, default=str, separators=(",", ":"))
        with self._cond:
            if kind.endswith(".progress") and subject is not None:
                last = self._last_progress.get((kind, subject))
                if last is not None and now - last < PROGRESS_EVERY_S:
                    return None
                self._last_progress[(kind, subject)] = now
                if len(self._last_progress) > 4 * RING_SIZE:
                    self._last_progress.clear()
            self._seq += 1
            self._ring.append(LiveEvent(self._seq, kind, payload, role, owner, now))
            self._cond.notify_all()
            return self._seq

    def event_id(self, seq: int) -> str:
        """The id the client sees for ``seq``."""
        return f"{self.epoch}-{seq}"

    def position(self, last_event_id: str | None) -> tuple[int, bool]:
        """``(seq to read after, reset)`` for a client's ``Last-Event-ID``: a missing id starts from now;
        an id of another process, or older than the ring, starts from now with ``reset``."""
        with self._cond:
            current = self._seq
            oldest = self._ring[0].seq if self._ring else current + 1
        if not last_event_id:
            return current, False
        epoch, _, number = last_event_id.partition("-")
        if epoch != self.epoch or not number.isdigit() or int(number) > current:
            return current, True
        seq = int(number)
        if seq < oldest - 1:
            return current, True
        return seq, False

    def after(self, seq: int) -> list[LiveEvent]:
        """The events after ``seq`` still in the ring, oldest first."""
        with self._cond:
            return [e for e in self._ring if e.seq > seq]

    def wait(self, seq: int, timeout: float) -> list[LiveEvent]:
        """The events after ``seq``, waiting up to ``timeout`` seconds for one (empty on timeout or close)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.closed and self._seq <= seq:
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self._cond.wait(left)
            return [e for e in self._ring if e.seq > seq]

    def close(self) -> None:
        """Wake every stream so it ends (app shutdown)."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
