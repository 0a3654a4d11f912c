"""The navigation bar: one entry per feature, in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    NavEntry("media_requests.index", N_("Requests"), "inbox"),
    NavEntry("seedbox.index", N_("Seedbox"), "cloud-download"),
    NavEntry("plex_editor.index", N_("Plex editor"), "pencil-square", "library"),
    NavEntry("trailers.index", N_("Trailers"), "film", "library"),
    NavEntry("archive.index", N_("Watch archive"), "archive", "library"),
    NavEntry("symlink.index", N_("Media health"), "link-45deg", "library"),
    NavEntry("quality.index", N_("Quality of the files"), "badge-hd", "library"),
    NavEntry("follows.index", N_("Followed series"), "bookmark-star", "library"),
    NavEntry("follows.calendar_page", N_("Calendar"), "calendar-week", "library"),
    NavEntry("upgrades.index", N_("Upgrades"), "arrow-up-circle", "library"),
    NavEntry("cloud_burst.index", N_("Cloud burst"), "cloud-lightning", "library"),
    NavEntry("assistant.index", N_("Assistant"), "stars", "library"),
    NavEntry("core.jobs", N_("Jobs"), "clock-history", "system"),
    NavEntry("core.health", N_("Health"), "heart-pulse", "system"),
    NavEntry("notifications.index", N_("Notifications"), "bell", "system"),
    NavEntry("users.index", N_("Users"), "people", "system"),
    NavEntry("audit.index", N_("Audit log"), "journal-text", "system"),
    NavEntry("users.account", N_("My account"), "person-circle", "system"),
    NavEntry("configuration.page", N_("Configuration"), "gear", "system"),
)


def navigation() -> tuple[NavEntry, ...]:
    """The entries of the navigation bar."""
    return NAVIGATION


def navigation_links(url_for: Callable[[str], str], cache: dict[str, dict], role: str = "admin") -> dict[str, Any]:
    """The bar as the template draws it for ``role`` (only the pages that role may open): ``{"top": [(entry,
    href)], "groups": [(key, title, icon, [(entry, href)], {hrefs})]}``; built once per script root and role
    (``cache`` keyed by them, owned by the caller) since the hrefs never change while the app runs."""
    from app.auth.roles import allows

    key = (url_for("core.index"), role)
    if key not in cache:
        links = [(entry, url_for(entry.endpoint)) for entry in NAVIGATION if allows(role, entry.endpoint)]
        groups = []
        for group, title, icon in GROUPS:
            members = [(entry, href) for entry, href in links if entry.group == group]
            if members:
                groups.append((group, title, icon, members, frozenset(href for _entry, href in members)))
        cache[key] = {"top": [(entry, href) for entry, href in links if not entry.group], "groups": groups}
    return cache[key]
