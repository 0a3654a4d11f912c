"""The navigation bar: one entry per feature, in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.utils.settings_schema import N_


@dataclass(frozen=True)
class NavEntry:
    """A link: Flask ``endpoint``, ``title`` (translated in the template), Bootstrap ``icon`` name, and
    the ``group`` (a menu of the bar) it sits in, or ``None`` for the bar itself."""

    endpoint: str
    title: str
    icon: str
    group: str | None = None


#: The menus of the bar, in order: (key, title, icon).
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("library", N_("Library"), "collection-play"),
    ("system", N_("System"), "sliders"),
)


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("core.index", N_("Dashboard"), "house"),
    NavEntry("search.index", N_("Search"), "search"),
    NavEntry("seedbox.index", N_("Seedbox"), "cloud-download"),
    NavEntry("plex_editor.index", N_("Plex editor"), "pencil-square", "library"),
    NavEntry("trailers.index", N_("Trailers"), "film", "library"),
    NavEntry("archive.index", N_("Watch archive"), "archive", "library"),
    NavEntry("symlink.index", N_("Media health"), "link-45deg", "library"),
    NavEntry("cloud_burst.index", N_("Cloud burst"), "cloud-lightning", "library"),
    NavEntry("core.jobs", N_("Jobs"), "clock-history", "system"),
    NavEntry("core.health", N_("Health"), "heart-pulse", "system"),
    NavEntry("configuration.page", N_("Configuration"), "gear", "system"),
)


def navigation() -> tuple[NavEntry, ...]:
    """The entries of the navigation bar."""
    return NAVIGATION


def navigation_links(url_for: Callable[[str], str], cache: dict[str, tuple]) -> tuple[tuple[NavEntry, str], ...]:
    """``(entry, href)`` pairs; the hrefs are built once per script root (``cache`` keyed by it, owned by
    the caller) since they never change while the app runs."""
    key = url_for("core.index")
    if key not in cache:
        cache[key] = tuple((entry, url_for(entry.endpoint)) for entry in NAVIGATION)
    return cache[key]
