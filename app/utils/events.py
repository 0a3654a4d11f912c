"""An in-process publish/subscribe bus for what happens in MMS (a pipeline entry changes state, a run ends, a
library drop is seen). Publishers never wait on, nor fail because of, a subscriber: each subscriber's error is
logged and the next one runs. Subscribers: notifications (Apprise). No Flask here."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[[str, dict[str, Any]], None]


class EventBus:
    """``publish(kind, **data)`` calls every ``subscribe``d function with ``(kind, data)``, in order."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> None:
        """Call ``fn(kind, data)`` on each event from now on."""
        with self._lock:
            self._subscribers.append(fn)

    def publish(self, kind: str, **data: Any) -> None:
        """Hand the event to the subscribers; a failing one is logged, never raised."""
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            try:
                fn(kind, data)
            except Exception:
                log.exception("an event subscriber failed on %s", kind)
