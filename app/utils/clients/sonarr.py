"""Sonarr v3 client (``shared/specs/sonarr/openapi-v3.json``)."""

from app.utils.clients.arr import ArrClient


class SonarrClient(ArrClient):
    """Sonarr at ``sonarr_url`` with ``sonarr_api_key``."""

    SERVICE = "Sonarr"
    API = "/api/v3"
    URL_SETTING = "sonarr_url"
    KEY_SETTING = "sonarr_api_key"
