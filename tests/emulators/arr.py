"""Sonarr v3 / Radarr v3 / Prowlarr v1 emulators (``shared/specs/*/openapi-*.json``).

Authentication as the real servers: ``X-Api-Key`` header or ``apikey`` query
parameter, else 401 with an empty body.
"""

from __future__ import annotations

from tests.emulators.base import Emulator, Reply, Request


class ArrEmulator(Emulator):
    """An *arr server with one API key; ``app_name``, ``version`` and ``api`` (``/api/v3``)."""

    app_name = "Sonarr"
    version = "4.0.9.2244"
    api = "/api/v3"

    def __init__(self, api_key: str = "0123456789abcdef0123456789abcdef"):
        super().__init__()
        self.api_key = api_key
        self.route("GET", rf"{self.api}/system/status", self._status)

    def authorize(self, request: Request) -> Reply | None:
        given = request.headers.get("x-api-key") or request.arg("apikey")
        if given != self.api_key:
            return Reply(401, b"", {"Content-Type": "text/plain"})
        return None

    def _status(self, request: Request) -> Reply:
        return Reply(200, {"appName": self.app_name, "instanceName": self.app_name, "version": self.version,
                           "isDebug": False, "isProduction": True, "authentication": "forms",
                           "urlBase": "", "runtimeVersion": "6.0.33"})


class SonarrEmulator(ArrEmulator):
    """Sonarr v3 API."""


class RadarrEmulator(ArrEmulator):
    """Radarr v3 API."""

    app_name = "Radarr"
    version = "5.8.3.8933"


class ProwlarrEmulator(ArrEmulator):
    """Prowlarr v1 API."""

    app_name = "Prowlarr"
    version = "1.21.2.4649"
    api = "/api/v1"
