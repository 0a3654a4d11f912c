"""Ollama client (``shared/specs/ollama/api.md``): ``GET /api/tags`` lists the local models."""

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

SERVICE = "Ollama"


class OllamaClient(HttpClient):
    """Ollama at ``ollama_url`` (no authentication on a LAN install)."""

    def __init__(
        self, base_url: str, model: str = "", timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
    ):
        super().__init__(SERVICE, base_url, auth_setting="OLLAMA_URL", timeout=timeout)
        self.model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> OllamaClient:
        """A client for ``ollama_url`` / ``ollama_model``."""
        return cls(settings.ollama_url, settings.ollama_model, timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s))

    def models(self) -> list[str]:
        """Names of the installed models."""
        tags = self.get_json("/api/tags")
        if not isinstance(tags, dict) or not isinstance(tags.get("models"), list):
            raise UpstreamBadResponse(SERVICE, "/api/tags has no models list")
        return [m.get("name", "") for m in tags["models"]]

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """List the models and say whether ``ollama_model`` is among them."""
        if not settings.ollama_url:
            return not_configured(SERVICE, "OLLAMA_URL")
        client = cls.from_settings(settings)

        def probe() -> str:
            names = client.models()
            found = any(n.split(":")[0] == client.model.split(":")[0] for n in names)
            suffix = "" if found or not client.model else f"; model {client.model} is not installed"
            return f"{len(names)} model(s){suffix}"

        return run_connection_test(SERVICE, probe)
