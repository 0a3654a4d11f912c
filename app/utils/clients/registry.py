"""Which client tests which service on the Configuration page."""

from __future__ import annotations

from collections.abc import Callable

from app.utils.clients.base import ConnectionReport
from app.utils.clients.ollama import OllamaClient
from app.utils.clients.plex import PlexClient
from app.utils.clients.prowlarr import ProwlarrClient
from app.utils.clients.qbittorrent import QBittorrentClient
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.rtorrent import RTorrentClient
from app.utils.clients.sftp import SftpClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.tvdb import TvdbClient
from app.utils.settings_schema import Settings


def _torrent(settings: Settings) -> ConnectionReport:
    client = RTorrentClient if settings.torrent_client == "rtorrent" else QBittorrentClient
    return client.test_settings(settings)


TESTERS: dict[str, Callable[[Settings], ConnectionReport]] = {
    "plex": PlexClient.test_connection,
    "sonarr": SonarrClient.test_connection,
    "radarr": RadarrClient.test_connection,
    "prowlarr": ProwlarrClient.test_connection,
    "torrent": _torrent,
    "sftp": SftpClient.test_connection,
    "tmdb": TmdbClient.test_connection,
    "tvdb": TvdbClient.test_connection,
    "ollama": OllamaClient.test_connection,
}


def run_service_test(service: str, settings: Settings) -> ConnectionReport:
    """Run the connection test of ``service`` (a key of :data:`TESTERS`); raises ``KeyError`` if unknown."""
    return TESTERS[service](settings)
