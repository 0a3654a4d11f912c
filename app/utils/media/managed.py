"""Which Sonarr/Radarr item stands behind a Plex item: the one key that several features share (moves,
archive-then-delete, seasons side by side)."""

from __future__ import annotations

from typing import Any

from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.settings_schema import Settings


def arr_item(settings: Settings, kind: str, guids: dict[str, str]) -> tuple[str, Any] | None:
    """``("radarr", Movie)`` for a movie (``kind`` movie) Radarr has by its TMDB id, ``("sonarr", Series)`` for
    a show Sonarr has by its TVDB id (``guids`` as Plex reads them: ``{"tmdb": "949"}``); ``None`` when the
    service is not configured, the id is missing or the service does not have it. Raises the clients'
    ``UpstreamError`` when the service does not answer."""
    if kind == "movie" and guids.get("tmdb") and settings.radarr_url and settings.radarr_api_key:
        found = next((m for m in RadarrClient.from_settings(settings).movies() if str(m.tmdb_id) == guids["tmdb"]),
                     None)
        return ("radarr", found) if found else None
    if kind == "show" and guids.get("tvdb") and settings.sonarr_url and settings.sonarr_api_key:
        found = next((s for s in SonarrClient.from_settings(settings).series_list()
                      if str(s.tvdb_id) == guids["tvdb"]), None)
        return ("sonarr", found) if found else None
    return None
