"""Prowlarr v1 client (``shared/specs/prowlarr/openapi-v1.json``): indexers, and their Torznab feeds.

Each indexer is searched through Prowlarr's per-indexer Torznab feed
(``/{id}/api``), so one failing indexer fails alone.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.utils.clients.arr import ArrClient, ArrModel
from app.utils.clients.torznab import TorznabClient


class Indexer(ArrModel):
    """``IndexerResource``: ``protocol`` is torrent or usenet; ``enable`` says whether Prowlarr uses it."""

    id: int
    name: str
    enable: bool = True
    protocol: str = "torrent"
    privacy: str | None = None
    priority: int = 25
    capabilities: dict[str, Any] = Field(default_factory=dict)


class ProwlarrClient(ArrClient):
    """Prowlarr at ``prowlarr_url`` with ``prowlarr_api_key``."""

    SERVICE = "Prowlarr"
    API = "/api/v1"
    URL_SETTING = "prowlarr_url"
    KEY_SETTING = "prowlarr_api_key"

    def __init__(self, base_url: str, api_key: str, **kwargs: Any):
        super().__init__(base_url, api_key, **kwargs)
        self.api_key = api_key

    def indexers(self, *, torrent_only: bool = True, enabled_only: bool = True) -> list[Indexer]:
        """``GET /indexer``: the indexers, by default only the enabled torrent ones."""
        found = self._get_list(Indexer, "indexer")
        return [i for i in found if (not torrent_only or i.protocol == "torrent") and (not enabled_only or i.enable)]

    def torznab(self, indexer: Indexer) -> TorznabClient:
        """The Torznab feed of one indexer, through Prowlarr (``{prowlarr}/{id}/api``)."""
        return TorznabClient(f"{self.base_url}/{indexer.id}", self.api_key, indexer=indexer.name,
                             auth_setting="PROWLARR_API_KEY", timeout=self.timeout)
