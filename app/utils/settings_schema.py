"""Every user setting of MMS, declared once: type, default, range, group, secrecy.

The model is the single declaration: the settings manager validates with it,
the Configuration page renders from it, ``.env.template`` documents it (a test
keeps them equal). The environment variable of a field is its name upper-cased
(``sonarr_api_key`` -> ``SONARR_API_KEY``).
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.utils.media.naming import VIDEO_EXTENSIONS
from app.utils.media.releases import DEFAULT_WEIGHTS
from app.utils.messages import N_
from app.utils.paths import UnsafePathError, check_path_text


@dataclass(frozen=True)
class SettingsGroup:
    """A section of the Configuration page; ``service`` names the connection test, if any."""

    key: str
    title: str
    service: str | None = None


GROUPS: tuple[SettingsGroup, ...] = (
    SettingsGroup("general", N_("General")),
    SettingsGroup("plex", "Plex", "plex"),
    SettingsGroup("sonarr", "Sonarr", "sonarr"),
    SettingsGroup("radarr", "Radarr", "radarr"),
    SettingsGroup("prowlarr", "Prowlarr", "prowlarr"),
    SettingsGroup("torrent", N_("Torrent client"), "torrent"),
    SettingsGroup("sftp", N_("Seedbox (SFTP)"), "sftp"),
    SettingsGroup("tmdb", "TMDB", "tmdb"),
    SettingsGroup("tvdb", "TheTVDB", "tvdb"),
    SettingsGroup("ollama", "Ollama", "ollama"),
    SettingsGroup("pipeline", N_("Transfer and import")),
    SettingsGroup("health", N_("Media health")),
    SettingsGroup("paths", N_("Folders")),
    SettingsGroup("schedules", N_("Schedules")),
    SettingsGroup("search", N_("Search filters")),
    SettingsGroup("trailers", N_("Trailers")),
    SettingsGroup("cloud_burst", N_("Cloud burst")),
    SettingsGroup("requests", N_("Requests")),
)

DEFAULT_FILTER_ALIASES: dict[str, dict[str, list[str]]] = {
    "quality": {
        "4K": ["2160p", "UHD", "4K"],
        "1080p": ["1080p", "FHD"],
        "720p": ["720p"],
        "SD": ["480p", "576p", "SD"],
    },
    "language": {
        "MULTI": ["MULTI", "MULTi", "VF2"],
        "VFF": ["VFF", "TRUEFRENCH", "FRENCH", "VF"],
        "VFQ": ["VFQ"],
        "VOSTFR": ["VOSTFR", "SUBFRENCH", "STFR"],
        "VO": ["VO", "VOST"],
    },
    "codec": {
        "HEVC": ["x265", "HEVC", "H.265", "H265"],
        "AVC": ["x264", "AVC", "H.264", "H264"],
        "AV1": ["AV1"],
    },
    "source": {
        "BluRay": ["BluRay", "BDRip", "BRRip", "REMUX"],
        "WEB-DL": ["WEB-DL", "WEBDL"],
        "WEBRip": ["WEBRip"],
        "HDTV": ["HDTV"],
    },
}


def _meta(group: str, *, secret: bool = False, kind: str = "text") -> dict[str, Any]:
    return {"group": group, "secret": secret, "kind": kind}


def _url(group: str, default: str, title: str) -> Any:
    return Field(default, title=title, json_schema_extra=_meta(group, kind="url"))


def _path(group: str, default: str, title: str) -> Any:
    return Field(default, title=title, json_schema_extra=_meta(group, kind="path"))


def _secret(group: str, title: str) -> Any:
    return Field("", title=title, json_schema_extra=_meta(group, secret=True, kind="secret"))


class TorznabIndexer(BaseModel):
    """A Torznab endpoint searched directly: ``url`` is the part before ``/api``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    url: str
    api_key: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(N_("must start with http:// or https://"))
        return value.removesuffix("/api")


class PathMapping(BaseModel):
    """The same folder seen by MMS (``local``) and by Sonarr/Radarr (``arr``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    local: str = Field(min_length=1)
    arr: str = Field(min_length=1)

    def to_arr(self, path: str) -> str | None:
        """``path`` in the *arr's view, or ``None`` when it is not under ``local``."""
        base = self.local.rstrip("/")
        if path == base or path.startswith(base + "/"):
            return self.arr.rstrip("/") + path[len(base):]
        return None

    def to_local(self, path: str) -> str | None:
        """An *arr path in MMS's view, or ``None`` when it is not under ``arr``."""
        base = self.arr.rstrip("/")
        if path == base or path.startswith(base + "/"):
            return self.local.rstrip("/") + path[len(base):]
        return None


class BurstPathMapping(BaseModel):
    """A library folder as the home Plex sees it (``home``) and as the burst machine's Plex sees it (``cloud``,
    under the S3 mount)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: str = Field(min_length=2, pattern=r"^/")
    cloud: str = Field(min_length=2, pattern=r"^/")


class Settings(BaseModel):
    """The validated settings; unknown keys are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # General
    ui_language: Literal["fr", "en"] = Field(
        "fr", title=N_("Default language"), json_schema_extra=_meta("general", kind="choice")
    )
    service_timeout_s: float = Field(
        15.0,
        ge=1,
        le=300,
        title=N_("Timeout of service calls (seconds)"),
        json_schema_extra=_meta("general", kind="int"),
    )
    trusted_proxies: int = Field(
        0, ge=0, le=5, title=N_("Reverse proxies in front of MMS (their X-Forwarded-For is trusted; restart)"),
        json_schema_extra=_meta("general", kind="int"))
    # Plex
    plex_url: str = _url("plex", "http://localhost:32400", N_("Server URL"))
    plex_token: str = _secret("plex", N_("Token (X-Plex-Token)"))
    plex_tv_url: str = _url("plex", "https://plex.tv", N_("plex.tv URL (sign in with Plex)"))
    plex_auth_url: str = _url("plex", "https://app.plex.tv/auth", N_("Plex sign-in page"))
    plex_signin_role: Literal["refuse", "user", "power"] = Field(
        "user", title=N_("Role of a new Plex user who shares the server"),
        json_schema_extra=_meta("plex", kind="choice"))
    # Sonarr / Radarr / Prowlarr
    sonarr_url: str = _url("sonarr", "http://localhost:8989", N_("Server URL"))
    sonarr_api_key: str = _secret("sonarr", N_("API key"))
    radarr_url: str = _url("radarr", "http://localhost:7878", N_("Server URL"))
    radarr_api_key: str = _secret("radarr", N_("API key"))
    prowlarr_url: str = _url("prowlarr", "http://localhost:9696", N_("Server URL"))
    prowlarr_api_key: str = _secret("prowlarr", N_("API key"))
    # Torrent client on the seedbox
    torrent_client: Literal["qbittorrent", "rtorrent"] = Field(
        "qbittorrent", title=N_("Client"), json_schema_extra=_meta("torrent", kind="choice")
    )
    qbittorrent_url: str = _url("torrent", "http://localhost:8080", N_("qBittorrent Web UI URL"))
    qbittorrent_username: str = Field("admin", title=N_("qBittorrent user"), json_schema_extra=_meta("torrent"))
    qbittorrent_password: str = _secret("torrent", N_("qBittorrent password"))
    rtorrent_url: str = _url("torrent", "scgi://127.0.0.1:5000", N_("rTorrent URL (scgi:// or http(s)://…/RPC2)"))
    torrent_label: str = Field("mms", title=N_("Label / category"), min_length=1, json_schema_extra=_meta("torrent"))
    # Seedbox SFTP
    sftp_host: str = Field("", title=N_("Host"), json_schema_extra=_meta("sftp"))
    sftp_port: int = Field(22, ge=1, le=65535, title=N_("Port"), json_schema_extra=_meta("sftp", kind="int"))
    sftp_username: str = Field("", title=N_("User"), json_schema_extra=_meta("sftp"))
    sftp_password: str = _secret("sftp", N_("Password"))
    sftp_key_path: str = _path("sftp", "", N_("Private key file"))
    sftp_remote_path: str = _path("sftp", "/downloads", N_("Download folder on the seedbox"))
    # Metadata providers
    tmdb_url: str = _url("tmdb", "https://api.themoviedb.org/3", N_("API URL"))
    tmdb_api_key: str = _secret("tmdb", N_("API key (v3)"))
    tmdb_image_url: str = _url("tmdb", "https://image.tmdb.org/t/p", N_("Image server URL"))
    tmdb_language: str = Field(
        "fr-FR", pattern=r"^[a-z]{2}-[A-Z]{2}$", title=N_("Language"), json_schema_extra=_meta("tmdb")
    )
    tvdb_url: str = _url("tvdb", "https://api4.thetvdb.com/v4", N_("API URL"))
    tvdb_api_key: str = _secret("tvdb", N_("API key"))
    tvdb_pin: str = _secret("tvdb", N_("Subscriber PIN"))
    ollama_url: str = _url("ollama", "http://localhost:11434", N_("Server URL"))
    ollama_model: str = Field("llama3.1", title=N_("Model"), json_schema_extra=_meta("ollama"))
    # Folders
    staging_path: str = _path("paths", "/data/staging", N_("Staging folder"))
    movies_path: str = _path("paths", "/data/media/Movies", N_("Movies library"))
    tv_path: str = _path("paths", "/data/media/TV Shows", N_("TV shows library"))
    media_root: str = _path("paths", "/data/media", N_("Media root (health checks)"))
    kometa_assets_path: str = _path("paths", "", N_("Artwork asset folder (Kometa style: <folder>/poster.jpg)"))
    library_root_folders: list[str] = Field(
        default_factory=list, title=N_("Other library root folders (the Plex editor moves media between these)"),
        json_schema_extra=_meta("paths", kind="json"))
    # Transfer and import
    transfer_backend: Literal["sftp", "local"] = Field(
        "sftp", title=N_("Transfer from the seedbox by"), json_schema_extra=_meta("pipeline", kind="choice")
    )
    # one connection already outruns OpenSSH's sftp here (bench/sftp_bench.py); more help where the
    # seedbox shapes each connection, as lftp's pget -n users know
    transfer_connections: int = Field(
        1, ge=1, le=8, title=N_("Parallel connections for large files"), json_schema_extra=_meta("pipeline", kind="int")
    )
    transfer_rate_limit_kib: int = Field(
        0,
        ge=0,
        le=10_000_000,
        title=N_("Bandwidth limit (KiB/s, 0 = none)"),
        json_schema_extra=_meta("pipeline", kind="int"),
    )
    transfer_max_attempts: int = Field(
        5,
        ge=1,
        le=50,
        title=N_("Attempts before giving up a transfer"),
        json_schema_extra=_meta("pipeline", kind="int"),
    )
    import_mode: Literal["builtin", "arr"] = Field(
        "builtin",
        title=N_("Import with (builtin: MMS renames for Plex; arr: Sonarr/Radarr import)"),
        json_schema_extra=_meta("pipeline", kind="choice"),
    )
    arr_staging_path: str = _path("pipeline", "", N_("Staging folder as Sonarr/Radarr see it (empty: the same)"))
    seedbox_cleanup: Literal["keep", "after_import", "ratio", "days"] = Field(
        "keep", title=N_("After import, on the seedbox"), json_schema_extra=_meta("pipeline", kind="choice")
    )
    cleanup_ratio: float = Field(
        2.0, ge=0, le=100, title=N_("Remove at this ratio"), json_schema_extra=_meta("pipeline", kind="int")
    )
    cleanup_days: int = Field(
        14, ge=0, le=3650, title=N_("Remove after these many days"), json_schema_extra=_meta("pipeline", kind="int")
    )
    # Media health
    health_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 2, ge=1, le=64, title=N_("Parallel checks"),
        json_schema_extra=_meta("health", kind="int"))
    health_min_size_kib: int = Field(
        100, ge=0, le=10_000_000, title=N_("Smaller media files are flagged (KiB)"),
        json_schema_extra=_meta("health", kind="int"))
    health_media_extensions: list[str] = Field(
        default_factory=lambda: sorted(VIDEO_EXTENSIONS), min_length=1, max_length=100,
        title=N_("Media file extensions (only these are checked and can be deleted)"),
        json_schema_extra=_meta("health", kind="json"))
    health_path_mappings: list[PathMapping] = Field(
        default_factory=list, title=N_("Path mappings MMS -> Sonarr/Radarr"),
        json_schema_extra=_meta("health", kind="json"))
    # Schedules
    sftp_scan_interval_s: int = Field(
        60,
        ge=5,
        le=86400,
        title=N_("Check finished torrents every (seconds)"),
        json_schema_extra=_meta("schedules", kind="int"),
    )
    service_check_interval_s: int = Field(
        300, ge=30, le=86400, title=N_("Check that the services answer every (seconds)"),
        json_schema_extra=_meta("schedules", kind="int"))
    staging_interval_s: int = Field(
        60,
        ge=5,
        le=86400,
        title=N_("Import from staging every (seconds)"),
        json_schema_extra=_meta("schedules", kind="int"),
    )
    backup_schedule: Literal["disabled", "hourly", "daily", "weekly"] = Field(
        "daily", title=N_("Backup schedule"), json_schema_extra=_meta("schedules", kind="choice")
    )
    backup_hour: int = Field(
        3, ge=0, le=23, title=N_("Backup hour (daily and weekly)"), json_schema_extra=_meta("schedules", kind="int")
    )
    backup_keep: int = Field(
        14, ge=1, le=1000, title=N_("Backups kept"), json_schema_extra=_meta("schedules", kind="int")
    )
    torrent_save_path: str = _path("torrent", "", N_("Save folder on the seedbox (empty: the client's default)"))
    batch_pause_s: float = Field(
        1.0,
        ge=0,
        le=30,
        title=N_("Pause between two torrents of a batch (seconds)"),
        json_schema_extra=_meta("torrent", kind="int"),
    )
    # Watch archive
    archive_sync_minutes: int = Field(
        60, ge=0, le=10_080, title=N_("Record new plays in the watch archive every (minutes, 0 = never)"),
        json_schema_extra=_meta("schedules", kind="int"))
    archive_drop_warning_percent: int = Field(
        5, ge=1, le=100, title=N_("Warn when a section loses more than this share of its media at once (percent)"),
        json_schema_extra=_meta("health", kind="int"))
    # Quality of the files on disk
    quality_probe_hours: int = Field(
        24, ge=0, le=720, title=N_("Measure the quality of new library files every (hours, 0 = never)"),
        json_schema_extra=_meta("schedules", kind="int"))
    quality_probe_workers: int = Field(
        0, ge=0, le=64, title=N_("ffprobe runs at once when measuring the library (0 = one per CPU core)"),
        json_schema_extra=_meta("health", kind="int"))
    # Audit log
    audit_keep_days: int = Field(
        365, ge=1, le=3650, title=N_("Keep the audit log for (days)"), json_schema_extra=_meta("general", kind="int"))
    audit_keep_rows: int = Field(
        100_000, ge=100, le=10_000_000, title=N_("Audit events kept at most"),
        json_schema_extra=_meta("general", kind="int"))
    # Cloud burst
    cloud_burst_max_loss_percent: float = Field(
        2.0, ge=0, le=100, title=N_("Refuse a Plex database whose section lost more than this share of its items"),
        json_schema_extra=_meta("health", kind="int"))
    plex_sqlite_path: str = _path("health", "", N_("Plex SQLite (the binary shipped with Plex Media Server; empty "
                                                   "= its usual place)"))
    plex_data_path: str = _path("cloud_burst", "", N_("Home Plex data folder (the one holding Plug-in Support, "
                                                       "Metadata and Media; empty = not installed by MMS)"))
    plex_docker_container: str = Field("", max_length=128, pattern=r"^[A-Za-z0-9_.-]*$",
                                       title=N_("Docker container of the home Plex (empty = you stop and start it)"),
                                       json_schema_extra=_meta("cloud_burst"))
    cloud_burst_provider: Literal["own_host", "scaleway"] = Field(
        "own_host", title=N_("Machine that runs the scans"), json_schema_extra=_meta("cloud_burst", kind="choice"))
    cloud_burst_host: str = Field("", max_length=253, title=N_("Your own host (name or address)"),
                                  json_schema_extra=_meta("cloud_burst"))
    cloud_burst_ssh_port: int = Field(22, ge=1, le=65535, title=N_("SSH port of the machine"),
                                      json_schema_extra=_meta("cloud_burst", kind="int"))
    cloud_burst_ssh_user: str = Field("root", min_length=1, max_length=64, title=N_("SSH user on your own host"),
                                      json_schema_extra=_meta("cloud_burst"))
    cloud_burst_ssh_key_path: str = _path("cloud_burst", "", N_("SSH private key for your own host (empty = the "
                                                                "key MMS makes in instance/cloud_burst)"))
    cloud_burst_remote_root: str = Field("/opt/mms-burst", pattern=r"^/[^\x00]+$", max_length=200,
                                         title=N_("Working folder on the machine (one sub-folder per run)"),
                                         json_schema_extra=_meta("cloud_burst", kind="path"))
    cloud_burst_mount_path: str = Field("/mnt/mms-burst", pattern=r"^/[^\x00]+$", max_length=200,
                                        title=N_("Where the machine mounts the S3 bucket"),
                                        json_schema_extra=_meta("cloud_burst", kind="path"))
    cloud_burst_path_mappings: list[BurstPathMapping] = Field(
        default_factory=list, title=N_("Library folders: home path and path under the S3 mount"),
        json_schema_extra=_meta("cloud_burst", kind="json"))
    cloud_burst_docker: str = Field("docker", pattern=r"^[A-Za-z0-9_./-]+$", max_length=200,
                                    title=N_("Container command on the machine (docker or podman)"),
                                    json_schema_extra=_meta("cloud_burst"))
    cloud_burst_plex_image: str = Field("plexinc/pms-docker:latest", max_length=200, pattern=r"^[\w./:@-]+$",
                                        title=N_("Plex Media Server image"), json_schema_extra=_meta("cloud_burst"))
    cloud_burst_plex_port: int = Field(32400, ge=1, le=65535, title=N_("Port of Plex on the machine"),
                                       json_schema_extra=_meta("cloud_burst", kind="int"))
    cloud_burst_s3_endpoint: str = _url("cloud_burst", "https://s3.fr-par.scw.cloud", N_("S3 endpoint"))
    cloud_burst_s3_region: str = Field("fr-par", max_length=64, title=N_("S3 region"),
                                       json_schema_extra=_meta("cloud_burst"))
    cloud_burst_s3_bucket: str = Field("", max_length=255, pattern=r"^[A-Za-z0-9._/-]*$", title=N_("S3 bucket"),
                                       json_schema_extra=_meta("cloud_burst"))
    cloud_burst_s3_access_key: str = Field("", max_length=200, title=N_("S3 access key"),
                                           json_schema_extra=_meta("cloud_burst"))
    cloud_burst_s3_secret_key: str = _secret("cloud_burst", N_("S3 secret key"))
    cloud_burst_section_timeout_h: float = Field(
        4.0, gt=0, le=168, title=N_("Longest scan of one section (hours)"),
        json_schema_extra=_meta("cloud_burst", kind="int"))
    cloud_burst_run_timeout_h: float = Field(
        72.0, gt=0, le=720, title=N_("Longest run; older burst machines are destroyed (hours)"),
        json_schema_extra=_meta("cloud_burst", kind="int"))
    cloud_burst_check_s: int = Field(
        30, ge=1, le=3600, title=N_("Check that the mount reads during a scan every (seconds)"),
        json_schema_extra=_meta("cloud_burst", kind="int"))
    cloud_burst_planned_hours: float = Field(
        6.0, gt=0, le=720, title=N_("Hours planned for a run (for the cost estimate)"),
        json_schema_extra=_meta("cloud_burst", kind="int"))
    scaleway_api_url: str = _url("cloud_burst", "https://api.scaleway.com", N_("Scaleway API URL"))
    scaleway_access_key: str = Field("", max_length=64, title=N_("Scaleway access key"),
                                     json_schema_extra=_meta("cloud_burst"))
    scaleway_secret_key: str = _secret("cloud_burst", N_("Scaleway secret key"))
    scaleway_project_id: str = Field("", max_length=64, title=N_("Scaleway project id"),
                                     json_schema_extra=_meta("cloud_burst"))
    scaleway_zone: str = Field("fr-par-1", pattern=r"^[a-z]{2}-[a-z]{3}-\d$", title=N_("Scaleway zone"),
                               json_schema_extra=_meta("cloud_burst"))
    scaleway_commercial_type: str = Field("POP2-HC-8C-16G", max_length=64, title=N_("Scaleway instance type"),
                                          json_schema_extra=_meta("cloud_burst"))
    scaleway_image: str = Field("ubuntu_noble", max_length=100, title=N_("Scaleway image"),
                                json_schema_extra=_meta("cloud_burst"))
    # Notifications
    notification_group_s: int = Field(
        60, ge=0, le=3600, title=N_("Group the notifications of one event that arrive within (seconds)"),
        json_schema_extra=_meta("general", kind="int"))
    # Assistant
    assistant_report_days: int = Field(
        7, ge=0, le=90, title=N_("Make the assistant's library report every (days, 0 = never)"),
        json_schema_extra=_meta("schedules", kind="int"))
    assistant_tiebreak: Literal["off", "on"] = Field(
        "off", title=N_("Let the model rank releases whose scores are close"),
        json_schema_extra=_meta("ollama", kind="choice"))
    assistant_tiebreak_points: int = Field(
        3, ge=1, le=20, title=N_("Scores within (points) count as close"),
        json_schema_extra=_meta("ollama", kind="int"))
    # Live updates
    live_max_streams: int = Field(
        16, ge=1, le=1000, title=N_("Live update streams open at once (each holds a server thread; restart to apply)"),
        json_schema_extra=_meta("general", kind="int"))
    live_stream_max_s: int = Field(
        300, ge=10, le=3600, title=N_("Longest live update stream before the browser reconnects (seconds)"),
        json_schema_extra=_meta("general", kind="int"))
    live_poll_s: int = Field(
        10, ge=1, le=300, title=N_("Past the open streams, browsers ask for news every (seconds)"),
        json_schema_extra=_meta("general", kind="int"))
    # Requests
    request_movie_quota: int = Field(
        5, ge=0, le=1000, title=N_("Movies a user may request per period (0 = no limit)"),
        json_schema_extra=_meta("requests", kind="int"))
    request_season_quota: int = Field(
        10, ge=0, le=1000, title=N_("Seasons a user may request per period (0 = no limit)"),
        json_schema_extra=_meta("requests", kind="int"))
    request_quota_days: int = Field(
        7, ge=1, le=365, title=N_("Quota period (days)"), json_schema_extra=_meta("requests", kind="int"))
    request_auto_approve: Literal["admin", "power", "user"] = Field(
        "admin", title=N_("Requests approved without review from the role"),
        json_schema_extra=_meta("requests", kind="choice"))
    request_fulfilment: Literal["pipeline", "arr"] = Field(
        "pipeline", title=N_("An approved request is"), json_schema_extra=_meta("requests", kind="choice"))
    request_min_score: int = Field(
        40, ge=0, le=100, title=N_("Lowest score of a release grabbed for a request"),
        json_schema_extra=_meta("requests", kind="int"))
    request_check_minutes: int = Field(
        5, ge=0, le=1440, title=N_("Check the progress of approved requests every (minutes, 0 = never)"),
        json_schema_extra=_meta("schedules", kind="int"))
    # Follows
    follow_check_minutes: int = Field(
        30, ge=0, le=1440, title=N_("Search the aired episodes of followed series every (minutes, 0 = never)"),
        json_schema_extra=_meta("schedules", kind="int"))
    # Upgrades
    upgrade_check_hours: int = Field(
        24, ge=0, le=720, title=N_("Look for upgrades of the library every (hours, 0 = never)"),
        json_schema_extra=_meta("schedules", kind="int"))
    upgrade_items_per_run: int = Field(
        50, ge=1, le=5000, title=N_("Library items searched per upgrade check"),
        json_schema_extra=_meta("search", kind="int"))
    upgrade_pause_s: float = Field(
        2.0, ge=0, le=120, title=N_("Pause between two upgrade searches (seconds)"),
        json_schema_extra=_meta("search", kind="int"))
    # Trailers
    trailer_youtube_search: Literal["on", "off"] = Field(
        "on", title=N_("Search YouTube too (after TMDB's videos)"), json_schema_extra=_meta("trailers", kind="choice"))
    trailer_queries: list[str] = Field(
        default_factory=lambda: ["{title} {year} bande annonce VF", "{title} {year} bande annonce VOSTFR",
                                 "{title} {year} trailer"],
        title=N_("YouTube searches, in order ({title}, {original_title}, {year})"),
        json_schema_extra=_meta("trailers", kind="json"))
    trailer_bad_words: list[str] = Field(
        default_factory=lambda: ["review", "reaction", "fan made", "fanmade", "explained", "critique", "analyse",
                                 "parody", "parodie", "concept", "breakdown", "easter egg"],
        title=N_("Words that mark a video as not a trailer"), json_schema_extra=_meta("trailers", kind="json"))
    trailer_max_duration_s: int = Field(
        600, ge=30, le=3600, title=N_("Longest trailer accepted (seconds)"),
        json_schema_extra=_meta("trailers", kind="int"))
    trailer_max_size_mb: int = Field(
        500, ge=10, le=10_000, title=N_("Largest trailer download (MB)"),
        json_schema_extra=_meta("trailers", kind="int"))
    trailer_layout: Literal["next_to", "folder"] = Field(
        "next_to", title=N_("Where movie trailers go"), json_schema_extra=_meta("trailers", kind="choice"))
    trailer_cookies_file: str = _path("trailers", "", N_("YouTube cookies file (when YouTube asks to sign in)"))
    trailer_job_hours: int = Field(
        0, ge=0, le=168, title=N_("Look for missing trailers every (hours, 0 = never)"),
        json_schema_extra=_meta("trailers", kind="int"))
    trailer_auto_lock_score: int = Field(
        0, ge=0, le=200, title=N_("Choose the best candidate by itself from this score (0 = never)"),
        json_schema_extra=_meta("trailers", kind="int"))
    trailer_pause_s: float = Field(
        2.0, ge=0, le=120, title=N_("Pause between two YouTube calls (seconds)"),
        json_schema_extra=_meta("trailers", kind="int"))
    # Search
    torznab_indexers: list[TorznabIndexer] = Field(
        default_factory=list,
        title=N_("Torznab indexers besides Prowlarr"),
        json_schema_extra={**_meta("search", kind="json"), "masked_keys": ["api_key"]},
    )
    ranking: Literal["score", "language"] = Field(
        "score", title=N_("Ranking (score, or language first)"), json_schema_extra=_meta("search", kind="choice")
    )
    score_weights: dict[str, Any] = Field(
        default_factory=lambda: copy.deepcopy(DEFAULT_WEIGHTS),
        title=N_("Score weights"),
        json_schema_extra=_meta("search", kind="json"),
    )
    search_filter_aliases: dict[str, dict[str, list[str]]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_FILTER_ALIASES.items()},
        title=N_("Filter aliases"),
        json_schema_extra=_meta("search", kind="json"),
    )

    @field_validator(
        "plex_url", "sonarr_url", "radarr_url", "prowlarr_url", "qbittorrent_url", "tmdb_url", "tvdb_url", "ollama_url",
        "tmdb_image_url",
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(N_("must start with http:// or https://"))
        return value

    @field_validator("rtorrent_url")
    @classmethod
    def _rtorrent_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("scgi://", "http://", "https://")):
            raise ValueError(N_("must start with scgi://, http:// or https://"))
        return value

    @field_validator("staging_path", "movies_path", "tv_path", "media_root", "sftp_key_path", "sftp_remote_path",
                     "kometa_assets_path", "trailer_cookies_file",
                     "arr_staging_path", "torrent_save_path")
    @classmethod
    def _path_text(cls, value: str) -> str:
        if value:
            try:
                check_path_text(value)
            except UnsafePathError as exc:
                raise exc from None  # a ValueError carrying its message id (said in the reader's language)
        return value

    @field_validator("library_root_folders")
    @classmethod
    def _root_folders(cls, value: list[str]) -> list[str]:
        out = []
        for folder in value:
            folder = folder.strip().rstrip("/") or "/"
            if not folder.startswith("/"):
                raise ValueError(N_("each root folder must be an absolute path"))
            try:
                check_path_text(folder)
            except UnsafePathError as exc:
                raise exc from None  # a ValueError carrying its message id (said in the reader's language)
            if folder not in out:
                out.append(folder)
        return out

    @field_validator("health_media_extensions")
    @classmethod
    def _extensions(cls, value: list[str]) -> list[str]:
        out = []
        for ext in value:
            ext = ext.strip().lower()
            ext = ext if ext.startswith(".") else "." + ext
            if not re.fullmatch(r"\.[a-z0-9]{1,10}", ext):
                raise ValueError(f"{ext!r} is not a file extension (letters and digits after the dot)")
            if ext not in out:
                out.append(ext)
        return out

    @field_validator("score_weights")
    @classmethod
    def _weights(cls, value: dict[str, Any]) -> dict[str, Any]:
        for part in ("audio", "video", "source"):
            table = value.get(part)
            if not isinstance(table, dict) or not all(isinstance(v, int) for v in table.values()):
                raise ValueError(f"{part} must map names to whole points")
        steps = value.get("reliability")
        if not isinstance(steps, list) or not all(isinstance(s, list) and len(s) == 2 for s in steps):
            raise ValueError("reliability must be a list of [seeders above, points]")
        return value

    @field_validator("search_filter_aliases")
    @classmethod
    def _aliases(cls, value: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        for category, aliases in value.items():
            for alias, tokens in aliases.items():
                if not tokens or any(not t.strip() for t in tokens):
                    raise ValueError(f"alias {category}/{alias} needs at least one non-empty token")
        return value


#: Each secret and the setting naming the host it belongs to: a stored secret is only used with that host.
SECRET_HOSTS: dict[str, str] = {
    "plex_token": "plex_url", "sonarr_api_key": "sonarr_url", "radarr_api_key": "radarr_url",
    "prowlarr_api_key": "prowlarr_url", "qbittorrent_password": "qbittorrent_url", "sftp_password": "sftp_host",
    "tmdb_api_key": "tmdb_url", "tvdb_api_key": "tvdb_url", "tvdb_pin": "tvdb_url",
    "scaleway_secret_key": "scaleway_api_url", "cloud_burst_s3_secret_key": "cloud_burst_s3_endpoint",
}


#: What each choice means, shown instead of the raw value (the value stays what is stored).
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "ui_language": {"fr": "Français", "en": "English"},
    "trailer_youtube_search": {"on": N_("yes"), "off": N_("no, TMDB's videos only")},
    "trailer_layout": {"next_to": N_("next to the movie (Title (Year)-trailer.mkv)"),
                       "folder": N_("in a Trailers folder")},
    "torrent_client": {"qbittorrent": "qBittorrent", "rtorrent": "rTorrent"},
    "transfer_backend": {"sftp": N_("SFTP from the seedbox"), "local": N_("local folder (same machine)")},
    "import_mode": {"builtin": N_("built-in (MMS renames for Plex)"), "arr": N_("Sonarr / Radarr import")},
    "seedbox_cleanup": {"keep": N_("keep"), "after_import": N_("remove after import"),
                        "ratio": N_("remove at the ratio below"), "days": N_("remove after the days below")},
    "backup_schedule": {"disabled": N_("disabled"), "hourly": N_("every hour"), "daily": N_("every day"),
                        "weekly": N_("every week")},
    "ranking": {"score": N_("by score"), "language": N_("French audio first, then score")},
    "plex_signin_role": {"refuse": N_("refused (only accounts made here)"), "user": N_("user"),
                         "power": N_("power user")},
    "assistant_tiebreak": {"off": N_("off"), "on": N_("on")},
    "request_auto_approve": {"admin": N_("admin only"), "power": N_("power users and admins"),
                             "user": N_("everyone")},
    "request_fulfilment": {"pipeline": N_("searched on the indexers and grabbed by MMS"),
                           "arr": N_("handed to Radarr / Sonarr")},
    "cloud_burst_provider": {"own_host": N_("your own host (over SSH)"), "scaleway": "Scaleway"},
}


#: Words of the store statuses shown translated (json_store.StoreStatus.detail of a missing file).
STORE_WORDS = (N_("not written yet"),)


def env_name(field: str) -> str:
    """Environment variable of a settings field: ``sonarr_api_key`` -> ``SONARR_API_KEY``."""
    return field.upper()


def field_meta(field: str) -> dict[str, Any]:
    """The ``group``/``secret``/``kind`` metadata of a field."""
    extra = Settings.model_fields[field].json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def secret_fields() -> frozenset[str]:
    """Names of the fields whose values never leave the server in full."""
    return frozenset(name for name in Settings.model_fields if field_meta(name).get("secret"))
