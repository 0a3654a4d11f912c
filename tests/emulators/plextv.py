"""plex.tv for "sign in with Plex": PINs, the account, its resources (servers owned or shared), and a stand-in
of Plex's sign-in page (``/auth``) with an "Authorize" button, as ``app.plex.tv/auth`` shows.

Shapes: the Plex API spec (``/pins``, ``/pins/{pinID}`` in the legacy spec; ``/resources`` and ``PlexDevice``
in ``plex-api-spec.yaml``).
"""

from __future__ import annotations

import itertools
import secrets
from html import escape
from typing import Any
from urllib.parse import parse_qs

from tests.emulators.base import Emulator, Reply, Request


class PlexTvEmulator(Emulator):
    """Seed accounts with :meth:`add_account`; :meth:`approve` is what the user's click does."""

    def __init__(self) -> None:
        super().__init__()
        self.pins: dict[int, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}  # token -> account and its servers
        self.signed_in: str | None = None  # the token of the account "logged in" on the sign-in page
        self._ids = itertools.count(1_000_001)
        self.route("POST", r"/api/v2/pins", self._create_pin)
        self.route("GET", r"/api/v2/pins/(\d+)", self._pin)
        self.route("GET", r"/api/v2/user", self._user)
        self.route("GET", r"/api/v2/resources", self._resources)
        self.route("GET", r"/auth", self._auth_page)
        self.route("POST", r"/auth/approve", self._approve_form)

    def add_account(self, plex_id: int, username: str, servers: list[str]) -> str:
        """An account that owns or is shared ``servers`` (machine identifiers); its token."""
        token = secrets.token_hex(10)
        self.accounts[token] = {"id": plex_id, "uuid": secrets.token_hex(8), "username": username,
                                "title": username, "email": f"{username}@example.org", "thumb": "", "servers": servers}
        return token

    def approve(self, code: str, token: str) -> None:
        """The user accepts the PIN ``code`` on Plex's page while signed in with ``token``."""
        for pin in self.pins.values():
            if pin["code"] == code:
                pin["authToken"] = token

    def _create_pin(self, request: Request) -> Reply:
        if not request.headers.get("x-plex-client-identifier") or not request.headers.get("x-plex-product"):
            return Reply(400, {"errors": [{"code": 1000, "message": "X-Plex-Client-Identifier is missing"}]})
        pin_id = next(self._ids)
        strong = request.arg("strong") == "true"
        pin = {"id": pin_id, "code": secrets.token_hex(13) if strong else secrets.token_hex(2).upper(),
               "product": request.headers["x-plex-product"], "trusted": False,
               "clientIdentifier": request.headers["x-plex-client-identifier"], "location": {"code": "FR"},
               "expiresIn": 1800, "createdAt": "2026-12-02T10:00:00Z", "expiresAt": "2026-12-02T10:30:00Z",
               "authToken": None, "newRegistration": None}
        self.pins[pin_id] = pin
        return Reply(201, pin)

    def _pin(self, request: Request) -> Reply:
        pin = self.pins.get(int(request.path.rsplit("/", 1)[1]))
        if pin is None:
            return Reply(404, {"errors": [{"code": 1020, "message": "Code not found or expired"}]})
        if pin["clientIdentifier"] != request.headers.get("x-plex-client-identifier"):
            return Reply(404, {"errors": [{"code": 1020, "message": "Code not found or expired"}]})
        return Reply(200, pin)

    def _account(self, request: Request) -> dict[str, Any] | None:
        return self.accounts.get(request.headers.get("x-plex-token", ""))

    def _user(self, request: Request) -> Reply:
        account = self._account(request)
        if account is None:
            return Reply(401, {"errors": [{"code": 1001, "message": "User could not be authenticated"}]})
        return Reply(200, {k: v for k, v in account.items() if k != "servers"})

    def _resources(self, request: Request) -> Reply:
        account = self._account(request)
        if account is None:
            return Reply(401, {"errors": [{"code": 1001, "message": "User could not be authenticated"}]})
        devices = [{"name": f"Serveur {n}", "product": "Plex Media Server", "provides": "server",
                    "clientIdentifier": machine, "owned": n == 0, "accessToken": secrets.token_hex(10),
                    "connections": []} for n, machine in enumerate(account["servers"])]
        devices.append({"name": "iPhone", "product": "Plex for iOS", "provides": "client,player",
                        "clientIdentifier": "phone-1", "owned": True, "connections": []})
        return Reply(200, devices)

    def _auth_page(self, request: Request) -> Reply:
        html = ("<!doctype html><title>Plex</title><h1>Plex</h1>"
                "<form method=post action=/auth/approve><input type=hidden name=code id=code>"
                "<button id=authorize>Authorize</button></form>"
                "<script>const p=new URLSearchParams(location.hash.slice(2));"
                "document.getElementById('code').value=p.get('code');</script>")
        return Reply(200, html, {"Content-Type": "text/html; charset=utf-8"})

    def _approve_form(self, request: Request) -> Reply:
        code = parse_qs(request.body.decode()).get("code", [""])[0]
        if self.signed_in:
            self.approve(code, self.signed_in)
        return Reply(200, f"<!doctype html><p id=done>{escape(code)} accepted</p>",
                     {"Content-Type": "text/html; charset=utf-8"})
