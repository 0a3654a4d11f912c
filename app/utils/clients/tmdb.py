"""TMDB v3 client (``shared/specs/tmdb/``): ``api_key`` query parameter, JSON errors with ``status_code``."""

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

SERVICE = "TMDB"


class TmdbClient(HttpClient):
    """TMDB at ``tmdb_url`` with ``tmdb_api_key``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        language: str = "fr-FR",
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
    ):
        super().__init__(SERVICE, base_url, auth_setting="TMDB_API_KEY", params={"api_key": api_key}, timeout=timeout)
        self.language = language

    @classmethod
    def from_settings(cls, settings: Settings) -> TmdbClient:
        """A client for ``tmdb_url`` / ``tmdb_api_key`` / ``tmdb_language``."""
        return cls(
            settings.tmdb_url,
            settings.tmdb_api_key,
            settings.tmdb_language,
            timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s),
        )

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """``GET /configuration`` checks the key."""
        if not settings.tmdb_url or not settings.tmdb_api_key:
            return not_configured(SERVICE, "TMDB_API_KEY")
        client = cls.from_settings(settings)

        def probe() -> str:
            config = client.get_json("/configuration")
            if not isinstance(config, dict) or "images" not in config:
                raise UpstreamBadResponse(SERVICE, "configuration has no images section")
            return "API key accepted"

        return run_connection_test(SERVICE, probe)
