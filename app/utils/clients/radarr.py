"""Radarr v3 client (``shared/specs/radarr/openapi-v3.json``)."""

from app.utils.clients.arr import ArrClient


class RadarrClient(ArrClient):
    """Radarr at ``radarr_url`` with ``radarr_api_key``."""

    SERVICE = "Radarr"
    API = "/api/v3"
    URL_SETTING = "radarr_url"
    KEY_SETTING = "radarr_api_key"
