"""A server-sent-events reader for tests and benchmarks: a ``requests`` session signed in to a live MMS, and a
stream whose frames (``{"id", "event", "data"}``) land in a queue as they arrive."""

from __future__ import annotations

import contextlib
import json
import queue
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def signed_in(base_url: str, username: str, password: str, setup: bool = False) -> requests.Session:
    """A session signed in through the login page (the setup page for the first admin)."""
    session = requests.Session()
    page = "/setup" if setup else "/login"
    token = CSRF_FIELD.search(session.get(base_url + page, timeout=10).text).group(1)
    data = {"csrf_token": token, "username": username, "password": password}
    if setup:
        data["password_confirm"] = password
    answer = session.post(base_url + page, data=data, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.status_code
    return session


class Stream:
    """``GET /api/events`` over a plain socket (HTTP/1.0: no chunked encoding, so frames are read as they
    arrive), read in a thread; :meth:`next` waits for the next frame of one kind, :meth:`close` hangs up at
    once (as a closed tab does)."""

    def __init__(self, session: requests.Session, base_url: str, last_event_id: str | None = None):
        parts = urlsplit(base_url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
        cookies = "; ".join(f"{k}={v}" for k, v in session.cookies.get_dict().items())
        lines = ["GET /api/events HTTP/1.0", f"Host: {parts.netloc}", "Accept: text/event-stream",
                 f"Cookie: {cookies}"] + ([f"Last-Event-ID: {last_event_id}"] if last_event_id else [])
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.file = self.sock.makefile("rb")
        status = self.file.readline().decode()
        self.status = int(status.split()[1]) if status else 0
        self.headers: dict[str, str] = {}
        while (line := self.file.readline().decode().strip()):
            name, _, value = line.partition(":")
            self.headers[name.lower()] = value.strip()
        self.frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self.comments: list[str] = []
        self.retry: int | None = None
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        frame: dict[str, Any] = {}
        try:
            for raw in self.file:
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if "event" in frame or "data" in frame:
                        frame.setdefault("event", "message")
                        frame["received"] = time.perf_counter()
                        self.frames.put(frame)
                    frame = {}
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "retry":
                        self.retry = int(value)
                    elif name == "data":
                        frame["data"] = json.loads(value)
                    else:
                        frame[name] = value
        except (OSError, ValueError):
            pass
        finally:
            self.ended.set()

    def next(self, event: str | None = None, timeout: float = 10) -> dict[str, Any]:
        """The next frame (of kind ``event`` when given; others are skipped). Raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {event or 'frame'} within {timeout} s")
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                continue
            if event is None or frame["event"] == event:
                return frame

    def drain(self) -> list[dict[str, Any]]:
        """The frames received so far and not yet read."""
        out = []
        while True:
            try:
                out.append(self.frames.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Hang up (the server notices at its next write)."""
        with contextlib.suppress(OSError):  # already closed by the server
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.ended.wait(5)
        self.file.close()
