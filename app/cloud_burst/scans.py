"""Section scans that never run over a mount that does not read (issue 16: a degraded mount once made Plex
drop 221 of 224 movies)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.cloud_burst.mount import MountMonitor, ensure_mount_healthy
from app.utils.clients.plex import PlexClient


def scan_when_healthy(plex: PlexClient, section_key: int, roots: list[Path], **checks: Any) -> dict[str, Any]:
    """Check every root folder of the section (:func:`ensure_mount_healthy` with ``checks``), then ask Plex to
    scan it. Raises :class:`~app.cloud_burst.mount.MountUnhealthy` before any scan is asked."""
    reports = {str(root): ensure_mount_healthy(root, **checks) for root in roots}
    plex.scan_section(section_key)
    return reports


def watch_scan(plex: PlexClient, section_key: int, roots: list[Path], untrusted: set[int], *,
               interval_s: float = 30.0, remount=None, **checks: Any) -> MountMonitor:
    """A :class:`MountMonitor` for a running scan: when a root degrades, the section's scan is cancelled and
    the section is added to ``untrusted`` (its results must not be brought home)."""
    def check() -> None:
        for root in roots:
            ensure_mount_healthy(root, **checks)

    def degraded(_reason: str) -> None:
        untrusted.add(section_key)
        plex.cancel_scan(section_key)

    return MountMonitor(check, degraded, interval_s=interval_s, remount=remount)
