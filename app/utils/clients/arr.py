"""Sonarr v3, Radarr v3 and Prowlarr v1 share the *arr API shape: ``/api/vN``, ``X-Api-Key``.

Source: ``shared/specs/sonarr/openapi-v3.json``, ``radarr/openapi-v3.json``,
``prowlarr/openapi-v1.json`` (``GET /api/vN/system/status``).
"""

from __future__ import annotations

from app.utils.clients.base import CONNECT_TIMEOUT_S, ConnectionReport, HttpClient, not_configured, run_connection_test
from app.utils.clients.errors import UpstreamBadResponse
from app.utils.settings_schema import Settings


class ArrClient(HttpClient):
    """Base of the *arr clients; subclasses set ``SERVICE``, ``API`` and their settings names."""

    SERVICE = "*arr"
    API = "/api/v3"
    URL_SETTING = ""
    KEY_SETTING = ""

    def __init__(self, base_url: str, api_key: str, **kwargs):
        super().__init__(
            self.SERVICE,
            base_url,
            auth_setting=self.KEY_SETTING.upper(),
            headers={"X-Api-Key": api_key, "Accept": "application/json"},
            **kwargs,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ArrClient:
        """A client for the URL and API key in ``settings``."""
        return cls(getattr(settings, cls.URL_SETTING), getattr(settings, cls.KEY_SETTING),
                   timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s))

    def system_status(self) -> dict:
        """``GET {API}/system/status``: ``{"appName", "version", ...}``."""
        status = self.get_json(f"{self.API}/system/status")
        if not isinstance(status, dict) or "version" not in status:
            raise UpstreamBadResponse(self.SERVICE, "system/status has no version")
        return status

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Reach the service and check the API key; see :class:`ConnectionReport`."""
        if not getattr(settings, cls.URL_SETTING) or not getattr(settings, cls.KEY_SETTING):
            return not_configured(cls.SERVICE, f"{cls.URL_SETTING.upper()} / {cls.KEY_SETTING.upper()}")
        client = cls.from_settings(settings)

        def probe() -> str:
            status = client.system_status()
            return f"{status.get('appName', cls.SERVICE)} {status['version']}"

        return run_connection_test(cls.SERVICE, probe)
