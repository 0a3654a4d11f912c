"""Prowlarr v1 client (``shared/specs/prowlarr/openapi-v1.json``)."""

from app.utils.clients.arr import ArrClient


class ProwlarrClient(ArrClient):
    """Prowlarr at ``prowlarr_url`` with ``prowlarr_api_key``."""

    SERVICE = "Prowlarr"
    API = "/api/v1"
    URL_SETTING = "prowlarr_url"
    KEY_SETTING = "prowlarr_api_key"
