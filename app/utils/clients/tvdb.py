"""TheTVDB v4 client (``shared/specs/tvdb/swagger.yml``): ``POST /login`` gives a Bearer token."""

from __future__ import annotations

from app.utils.clients.base import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    ConnectionReport,
    HttpClient,
    not_configured,
    run_connection_test,
)
from app.utils.clients.errors import UpstreamBadResponse
from app.utils.settings_schema import Settings

SERVICE = "TheTVDB"


class TvdbClient(HttpClient):
    """TheTVDB at ``tvdb_url`` with ``tvdb_api_key`` (and the subscriber ``tvdb_pin``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        pin: str = "",
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
    ):
        super().__init__(SERVICE, base_url, auth_setting="TVDB_API_KEY", timeout=timeout)
        self.api_key = api_key
        self.pin = pin

    @classmethod
    def from_settings(cls, settings: Settings) -> TvdbClient:
        """A client for ``tvdb_url`` / ``tvdb_api_key`` / ``tvdb_pin``."""
        return cls(
            settings.tvdb_url,
            settings.tvdb_api_key,
            settings.tvdb_pin,
            timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s),
        )

    def login(self) -> str:
        """``POST /login`` -> the token (also set as the session's Bearer header)."""
        body = {"apikey": self.api_key}
        if self.pin:
            body["pin"] = self.pin
        answer = self.request("POST", "/login", json=body)
        try:
            token = answer.json()["data"]["token"]
        except (ValueError, KeyError, TypeError):
            raise UpstreamBadResponse(SERVICE, "login answer has no data.token") from None
        self.session.headers["Authorization"] = f"Bearer {token}"
        return token

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Log in with the key."""
        if not settings.tvdb_url or not settings.tvdb_api_key:
            return not_configured(SERVICE, "TVDB_API_KEY")
        client = cls.from_settings(settings)

        def probe() -> str:
            client.login()
            return "API key accepted"

        return run_connection_test(SERVICE, probe)
