"""Base of the emulators: a threaded HTTP server on 127.0.0.1 with a random port.

Routes are registered as ``(method, regex) -> handler(request) -> Reply``. Tests
seed state through the emulator's Python API and inject faults for the next
calls with :meth:`Emulator.fail_next`: an HTTP status, ``"timeout"`` (the
connection is held open without an answer until the emulator stops) or
``"malformed"`` (a body that does not parse). Every request is recorded in
:attr:`Emulator.requests`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One received request: method, path, query (lists), headers, raw body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON (``None`` if empty)."""
        return json.loads(self.body) if self.body else None

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        return self.query.get(name, [default])[0]


@dataclass
class Reply:
    """What a handler answers: status, body (bytes, str or JSON-able), headers."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: an answer made by :meth:`Emulator.fail_next`, not the emulator's dialect (not recorded)
    injected: bool = False

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/plain; charset=utf-8")
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


Handler = Callable[[Request], Reply]


class Emulator:
    """Start with :meth:`start` (or as a context manager); ``url`` is its base URL."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[Request] = []
        #: (request, status, body bytes, content type) of every answer sent.
        self.exchanges: list[tuple[Request, int, bytes, str]] = []
        self._faults: list[str | int] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routing ---------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer ``method`` on paths fully matching ``pattern`` with ``handler``."""
        self.routes.append((method.upper(), re.compile(pattern), handler))

    def override(self, method: str, pattern: str, handler: Handler) -> None:
        """Like :meth:`route`, but ahead of the routes already registered."""
        self.routes.insert(0, (method.upper(), re.compile(pattern), handler))

    def authorize(self, request: Request) -> Reply | None:
        """Override: return a Reply (401...) to refuse the request, ``None`` to accept it."""
        return None

    def fail_next(self, fault: str | int, times: int = 1) -> None:
        """Make the next ``times`` calls fail: an HTTP status, ``"timeout"`` or ``"malformed"``."""
        with self._lock:
            self._faults.extend([fault] * times)

    def malformed_reply(self) -> Reply:
        """Override: a body of the right content type that does not parse."""
        return Reply(200, b'{"truncated": ', {"Content-Type": "application/json"})

    def _dispatch(self, request: Request) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            fault = self._faults.pop(0) if self._faults else None
        if fault == "timeout":
            self._release.wait(timeout=120)
            return None
        if fault == "malformed":
            reply = self.malformed_reply()
            reply.injected = True
            return reply
        if isinstance(fault, int):
            return Reply(fault, {"message": f"injected HTTP {fault}"}, injected=True)
        refused = self.authorize(request)
        if refused is not None:
            return refused
        for method, pattern, handler in self.routes:
            if method == request.method and pattern.fullmatch(request.path):
                return handler(request)
        return Reply(404, {"message": f"no route {request.method} {request.path}"})

    # -- server ----------------------------------------------------------------------
    def start(self) -> Emulator:
        """Listen on 127.0.0.1 with a random free port."""
        emulator = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                reply = emulator._dispatch(request)
                if reply is None:  # held open for a timeout test; the client has gone
                    self.close_connection = True
                    return
                raw, content_type = reply.encoded()
                if not reply.injected:
                    with emulator._lock:
                        emulator.exchanges.append((request, reply.status, raw, content_type))
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._port = self._server.server_address[1]
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123``."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Release held connections and stop listening."""
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
