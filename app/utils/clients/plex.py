"""Plex Media Server client, through python-plexapi (XML API, ``X-Plex-Token``).

Source: ``shared/specs/plex/`` (legacy spec paths python-plexapi uses:
``/library/sections``, ``/library/sections/{id}/all``, ``/library/metadata/{id}``
``/children``, ``/posters``, ``/arts``, ``/status/sessions/history/all``,
``/accounts``). plexapi is given a :class:`MappedSession`, so every call has a
timeout and fails with the typed errors. Item images reach the browser only
through :meth:`PlexClient.fetch_image` (server side): the token never leaves MMS.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote
from xml.etree.ElementTree import ParseError

from plexapi.exceptions import BadRequest, NotFound, PlexApiException, Unauthorized
from plexapi.server import PlexServer

from app.utils.clients.arr import retry_read
from app.utils.clients.base import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    ConnectionReport,
    MappedSession,
    not_configured,
    run_connection_test,
)
from app.utils.clients.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamUnavailable,
)
from app.utils.settings_schema import Settings

SERVICE = "Plex"
#: Fields the metadata editor may change (Plex field names).
EDITABLE_FIELDS = frozenset({"title", "titleSort", "originalTitle", "summary", "tagline", "year",
                             "originallyAvailableAt", "contentRating", "studio", "thumb", "art"})
#: Text fields of movies and shows in the details dialog, in the order shown (Plex field names).
TEXT_FIELDS = ("title", "titleSort", "originalTitle", "year", "originallyAvailableAt", "summary", "tagline",
               "studio", "contentRating")
#: Tag kinds the editor changes: Plex's singular name (``genre``) -> the item's list attribute.
TAG_KINDS = {"genre": "genres", "label": "labels", "collection": "collections"}
#: Items asked for per request when reading a whole section or a whole history (X-Plex-Container-Size).
PAGE_SIZE = 5000
#: Plex's ``type`` numbers (``/library/sections/{id}/all?type=``).
TYPE_NUMBERS = {"movie": 1, "show": 2, "season": 3, "episode": 4}
#: Largest image fetched for the browser, in bytes.
MAX_IMAGE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class PlexSection:
    """A library section: ``key`` (id), ``type`` movie/show/artist/photo, ``locations`` folders on the server."""

    key: int
    title: str
    type: str
    locations: tuple[str, ...]


@dataclass(frozen=True)
class PlexItem:
    """A movie or show. ``guids`` maps ``tmdb``/``tvdb``/``imdb`` to their ids; times are datetimes."""

    rating_key: int
    type: str
    title: str
    year: int | None
    section_key: int | None
    guids: dict[str, str] = field(default_factory=dict)
    thumb: str | None = None
    art: str | None = None
    summary: str = ""
    view_count: int = 0
    last_viewed_at: datetime | None = None
    added_at: datetime | None = None
    locked_fields: tuple[str, ...] = ()
    leaf_count: int | None = None
    viewed_leaf_count: int | None = None


@dataclass(frozen=True)
class PlexEpisode:
    """An episode with its season number, index and view count."""

    rating_key: int
    season: int
    index: int
    title: str
    view_count: int = 0
    last_viewed_at: datetime | None = None


@dataclass(frozen=True)
class PlexSeason:
    """A season: ``index`` (0 = specials), episode counts (all and watched)."""

    rating_key: int
    index: int
    title: str
    leaf_count: int = 0
    viewed_leaf_count: int = 0


@dataclass(frozen=True)
class PlexAccount:
    """A server account (the owner, home users and shared users): ``id`` as in history's ``accountID``."""

    id: int
    name: str


@dataclass(frozen=True)
class PlexHistoryEntry:
    """One play: what (``rating_key``, titles, season/episode numbers), who and when."""

    history_key: str
    rating_key: int | None
    type: str
    title: str
    grandparent_title: str | None
    parent_index: int | None
    index: int | None
    account_id: int | None
    viewed_at: datetime | None
    section_id: int | None


@dataclass(frozen=True)
class PlexArtwork:
    """A poster or background Plex offers; ``rating_key`` is what selecting it sends (a URL or upload id)."""

    rating_key: str
    provider: str | None
    selected: bool
    thumb: str | None


def _int(value: Any) -> int | None:
    """An XML attribute as an int (``None`` when absent or not a number)."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


#: Legacy agents and the id their GUID carries (``com.plexapp.agents.thetvdb://280619/1/3?lang=en``).
LEGACY_AGENTS = {"com.plexapp.agents.themoviedb": "tmdb", "com.plexapp.agents.thetvdb": "tvdb",
                 "com.plexapp.agents.imdb": "imdb", "com.plexapp.agents.tvdb": "tvdb"}


def legacy_guids(guid: str) -> dict[str, str]:
    """``{"tmdb": "194"}`` from a legacy agent GUID; ``{}`` for anything else (``plex://``, ``local://``)."""
    agent, _, rest = (guid or "").partition("://")
    scheme = LEGACY_AGENTS.get(agent)
    value = rest.split("/", 1)[0].split("?", 1)[0]
    return {scheme: value} if scheme and value else {}


def _guid_map(ids: list[str], item_guid: str = "") -> dict[str, str]:
    """``{"tmdb": "949", "imdb": "tt…"}`` from an item's ``<Guid id="tmdb://949"/>`` ids, else from its own
    GUID when a legacy agent matched it (``com.plexapp.agents.themoviedb://194?lang=fr``)."""
    found = {}
    for guid in ids:
        scheme, _, value = (guid or "").partition("://")
        if scheme and value:
            found[scheme] = value
    return found or legacy_guids(item_guid or "")


def _guids(item: Any) -> dict[str, str]:
    return _guid_map([g.id for g in getattr(item, "guids", None) or []], getattr(item, "guid", "") or "")


#: Image types passed on to the browser (SVG is not: it can carry script).
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


def image_path(path: str) -> str:
    """``path`` normalised when it is an image path of the Plex server (``/library/...``, ``/photo/...``,
    ``/:/resources/...``), else ``ValueError``. Percent-encoding is undone until stable before checking,
    so ``%2e%2e`` is a ``..`` too; a scheme, ``//``, a ``..`` segment, a backslash or a NUL are refused."""
    path, _sep, query = path.partition("?")
    decoded = path
    for _ in range(5):
        again = unquote(decoded)
        if again == decoded:
            break
        decoded = again
    else:
        raise ValueError("too many levels of percent-encoding")
    if (not decoded.startswith("/") or decoded.startswith("//") or "://" in decoded or "\\" in decoded
            or "\x00" in decoded or ".." in decoded.split("/")):
        raise ValueError("an image path of the Plex server is expected (starting with /)")
    if posixpath.normpath(decoded) != decoded.rstrip("/") and posixpath.normpath(decoded) + "/" != decoded:
        raise ValueError("the image path is not in its plain form")
    if not decoded.startswith(("/library/", "/photo/", "/:/resources/")):
        raise ValueError("not a Plex image path")
    return path + (f"?{query}" if query else "")


class PlexClient:
    """A connection to one Plex Media Server (``plex_url``, ``plex_token``); timeout in seconds."""

    def __init__(self, base_url: str, token: str, timeout: float = READ_TIMEOUT_S):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.session = MappedSession(SERVICE, auth_setting="PLEX_TOKEN", timeout=(CONNECT_TIMEOUT_S, timeout))
        self._server: PlexServer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PlexClient:
        """A client for ``plex_url`` / ``plex_token``."""
        return cls(settings.plex_url, settings.plex_token, settings.service_timeout_s)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn plexapi's own failures into the typed errors."""
        try:
            yield
        except UpstreamError:
            raise
        except Unauthorized:
            raise UpstreamAuthError(SERVICE, "token refused", setting="PLEX_TOKEN") from None
        except NotFound as exc:
            raise UpstreamNotFound(SERVICE, str(exc)[:200] or "not found") from None
        except BadRequest as exc:
            raise UpstreamUnavailable(SERVICE, str(exc)[:200]) from None
        except (ParseError, PlexApiException, AttributeError, ValueError, TypeError) as exc:
            raise UpstreamBadResponse(SERVICE, f"unreadable answer ({type(exc).__name__})") from None

    def server(self) -> PlexServer:
        """The connected :class:`plexapi.server.PlexServer`; raises an :class:`UpstreamError`."""
        if self._server is None:
            with self._guard():
                self._server = PlexServer(self.base_url, self.token, session=self.session, timeout=self.timeout)
        return self._server

    # -- library -----------------------------------------------------------------------------------
    @retry_read
    def sections(self) -> list[PlexSection]:
        """``GET /library/sections`` (fresh: plexapi's cached list is reloaded)."""
        with self._guard():
            return [PlexSection(int(s.key), s.title, s.type, tuple(s.locations)) for s in self._fresh_sections()]

    def _fresh_sections(self) -> list[Any]:
        """plexapi's sections read again from the server: ``Library`` caches its list (and each section's
        ``refreshing``) from the first read, so without the reload a running scan is never seen."""
        library = self.server().library
        library.reload()
        return library.sections()

    def _to_item(self, item: Any) -> PlexItem:
        fields = tuple(sorted(f.name for f in getattr(item, "fields", []) or [] if f.locked))
        return PlexItem(
            rating_key=int(item.ratingKey), type=item.type, title=item.title, year=getattr(item, "year", None),
            section_key=getattr(item, "librarySectionID", None), guids=_guids(item), thumb=item.thumb,
            art=getattr(item, "art", None), summary=getattr(item, "summary", "") or "",
            view_count=int(getattr(item, "viewCount", 0) or 0), last_viewed_at=getattr(item, "lastViewedAt", None),
            added_at=getattr(item, "addedAt", None), locked_fields=fields,
            leaf_count=getattr(item, "leafCount", None), viewed_leaf_count=getattr(item, "viewedLeafCount", None))

    @retry_read
    def items(self, section_key: int) -> list[PlexItem]:
        """Every movie or show of a section, with GUIDs (``/library/sections/{id}/all?includeGuids=1``)."""
        with self._guard():
            section = self.server().library.sectionByID(int(section_key))
            return [self._to_item(i) for i in section.all(includeGuids=1)]

    def movies(self) -> list[PlexItem]:
        """Every movie of the movie sections, in section then Plex order (:meth:`sections`, :meth:`items`)."""
        return [i for s in self.sections() if s.type == "movie" for i in self.items(s.key)]

    @retry_read
    def item(self, rating_key: int) -> PlexItem:
        """One item, fully loaded (locked fields included); raises ``UpstreamNotFound``."""
        with self._guard():
            return self._to_item(self.server().fetchItem(int(rating_key)))

    @retry_read
    def recently_added(self, limit: int = 12) -> list[PlexItem]:
        """The newest movies and shows across sections."""
        with self._guard():
            found = self.server().library.recentlyAdded()
            return [self._to_item(i) for i in found if i.type in ("movie", "show")][:limit]

    @retry_read
    def seasons(self, show_key: int) -> list[PlexSeason]:
        """``/library/metadata/{show}/children``."""
        with self._guard():
            show = self.server().fetchItem(int(show_key))
            return [PlexSeason(int(s.ratingKey), int(s.index), s.title, int(s.leafCount or 0),
                               int(s.viewedLeafCount or 0)) for s in show.seasons()]

    @retry_read
    def episodes(self, show_key: int, season: int | None = None) -> list[PlexEpisode]:
        """``/library/metadata/{show}/allLeaves``: episodes with view counts (optionally one season)."""
        with self._guard():
            show = self.server().fetchItem(int(show_key))
            return [PlexEpisode(int(e.ratingKey), int(e.parentIndex), int(e.index), e.title,
                                int(e.viewCount or 0), e.lastViewedAt)
                    for e in show.episodes() if season is None or int(e.parentIndex) == season]

    # -- users and history ----------------------------------------------------------------------------
    @retry_read
    def accounts(self) -> list[PlexAccount]:
        """``GET /accounts``: the owner, home users and shared users known to this server."""
        with self._guard():
            return [PlexAccount(int(a.id), a.name or "") for a in self.server().systemAccounts() if a.id is not None]

    @retry_read
    def history(self, *, account_id: int | None = None, section_id: int | None = None,
                since: datetime | None = None, max_results: int | None = None) -> list[PlexHistoryEntry]:
        """``GET /status/sessions/history/all`` (newest first), per user and/or section."""
        with self._guard():
            found = self.server().history(maxresults=max_results, mindate=since, accountID=account_id,
                                          librarySectionID=section_id)
            return [PlexHistoryEntry(
                history_key=str(getattr(h, "historyKey", "")), rating_key=int(h.ratingKey) if h.ratingKey else None,
                type=h.type, title=h.title, grandparent_title=getattr(h, "grandparentTitle", None),
                parent_index=getattr(h, "parentIndex", None), index=getattr(h, "index", None),
                account_id=getattr(h, "accountID", None), viewed_at=getattr(h, "viewedAt", None),
                section_id=getattr(h, "librarySectionID", None)) for h in found]

    # -- scans -----------------------------------------------------------------------------------------
    def section_for_path(self, path: str) -> PlexSection:
        """The section whose folder holds ``path`` (Plex's view, ``/`` separators); ``UpstreamNotFound`` if none."""
        target = posixpath.normpath(path)
        for section in self.sections():
            for location in section.locations:
                root = posixpath.normpath(location)
                if target == root or target.startswith(root.rstrip("/") + "/"):
                    return section
        raise UpstreamNotFound(SERVICE, f"no library section holds {path}")

    def scan_folder(self, path: str) -> PlexSection:
        """Partial scan: ``GET /library/sections/{id}/refresh?path=`` for the one folder (sent once)."""
        section = self.section_for_path(path)
        with self._guard():
            self.server().library.sectionByID(section.key).update(path=path)
        return section

    def scan_section(self, section_key: int) -> None:
        """Scan a whole section: ``GET /library/sections/{id}/refresh`` (plexapi ``LibrarySection.update``;
        sent once)."""
        with self._guard():
            self.server().library.sectionByID(int(section_key)).update()

    def cancel_scan(self, section_key: int) -> None:
        """Stop a section's running scan: ``DELETE /library/sections/{id}/refresh`` (plexapi
        ``LibrarySection.cancelUpdate``; sent once)."""
        with self._guard():
            self.server().library.sectionByID(int(section_key)).cancelUpdate()

    def section_refreshing(self, section_key: int) -> bool:
        """Whether the section is being scanned now (``GET /library/sections``, attribute ``refreshing``)."""
        with self._guard():
            for section in self._fresh_sections():
                if int(section.key) == int(section_key):
                    return bool(section.refreshing)
        raise UpstreamNotFound(SERVICE, f"no library section {section_key}")

    def activities(self) -> list[dict[str, Any]]:
        """What the server is busy with (``GET /activities``): ``[{"uuid", "type", "title", "progress"}]``."""
        with self._guard():
            return [{"uuid": a.uuid, "type": a.type, "title": a.title, "progress": a.progress}
                    for a in self.server().activities]

    def analyze_section(self, section_key: int) -> None:
        """Analyse every item of a section (``PUT /library/sections/{id}/analyze``; for music, the sonic
        analysis when the server has it enabled)."""
        with self._guard():
            self.server().library.sectionByID(int(section_key)).analyze()

    def add_section(self, name: str, kind: str, agent: str, scanner: str, language: str,
                    locations: list[str]) -> None:
        """Create a library section (``POST /library/sections``, plexapi ``Library.add``)."""
        with self._guard():
            self.server().library.add(name=name, type=kind, agent=agent, scanner=scanner, location=locations,
                                      language=language)

    # -- metadata editing ------------------------------------------------------------------------------
    def _fetch(self, rating_key: int) -> Any:
        with self._guard():
            return self.server().fetchItem(int(rating_key))

    def edit_fields(self, rating_key: int, values: dict[str, str], *, lock: bool = True) -> PlexItem:
        """Set fields (Plex names, see :data:`EDITABLE_FIELDS`) and lock them (so agents keep off)."""
        unknown = set(values) - EDITABLE_FIELDS
        if unknown:
            raise ValueError(f"fields not editable: {', '.join(sorted(unknown))}")
        item = self._fetch(rating_key)
        edits: dict[str, Any] = {}
        for name, value in values.items():
            edits[f"{name}.value"] = value if value is not None else ""
            edits[f"{name}.locked"] = 1 if lock else 0
        with self._guard():
            item.edit(**edits)
        return self.item(rating_key)

    def set_field_lock(self, rating_key: int, name: str, locked: bool) -> PlexItem:
        """Lock or unlock one field without changing its value."""
        item = self._fetch(rating_key)
        with self._guard():
            item.edit(**{f"{name}.locked": 1 if locked else 0})
        return self.item(rating_key)

    # -- artwork ----------------------------------------------------------------------------------------
    def artwork(self, rating_key: int, kind: str = "posters") -> list[PlexArtwork]:
        """The posters (``kind="posters"``) or backgrounds (``"arts"``) Plex offers for an item."""
        item = self._fetch(rating_key)
        with self._guard():
            found = item.posters() if kind == "posters" else item.arts()
            return [PlexArtwork(str(a.ratingKey), a.provider, bool(a.selected), a.thumb) for a in found]

    def select_artwork(self, rating_key: int, artwork_key: str, kind: str = "posters") -> None:
        """Make one of :meth:`artwork`'s entries the current poster/background."""
        item = self._fetch(rating_key)
        with self._guard():
            found = item.posters() if kind == "posters" else item.arts()
            choice = next((a for a in found if str(a.ratingKey) == artwork_key), None)
            if choice is None:
                raise UpstreamNotFound(SERVICE, f"no {kind[:-1]} {artwork_key} for item {rating_key}")
            choice.select()

    def upload_artwork(self, rating_key: int, *, url: str | None = None, data: bytes | None = None,
                       kind: str = "posters") -> None:
        """Upload a poster/background from a URL or image bytes (Plex selects it)."""
        item = self._fetch(rating_key)
        with self._guard():
            upload = item.uploadPoster if kind == "posters" else item.uploadArt
            if url:
                upload(url=url)
            else:
                upload(filepath=data)

    # -- the editor's raw reads (light: no plexapi object per item) -------------------------------------
    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[Any]:
        """Every child element of a paged container (``X-Plex-Container-Start``/``-Size``, :data:`PAGE_SIZE`)."""
        start = 0
        while True:
            with self._guard():
                root = self.server().query(path, params={**params, "X-Plex-Container-Start": start,
                                                         "X-Plex-Container-Size": PAGE_SIZE})
            children = list(root) if root is not None else []
            yield from children
            total = int(root.attrib.get("totalSize", 0) or 0) if root is not None else 0
            start += len(children)
            # a server that ignores the paging headers answers everything at once: done too
            if not children or len(children) != PAGE_SIZE or (total and start >= total):
                return

    @retry_read
    def section_listing(self, section_key: int, kind: str | None = None,
                        audio_language: str | None = None) -> list[dict[str, Any]]:
        """``GET /library/sections/{id}/all?includeGuids=1`` (``type=`` for ``kind``, ``audioLanguage=`` an
        ISO 639-2 code to keep only items with such an audio stream), read page by page and returned as
        light dicts: ``rating_key``, ``type``, ``title``, ``title_sort``, ``year``, ``added_at`` (unix s),
        ``thumb``, ``resolution`` (``"1080"``, ``"4k"``...), ``size`` (bytes, all parts), ``files``,
        ``guids`` (scheme -> id), ``view_count``, ``view_offset`` (ms), ``leaf_count``, ``viewed_leaf_count``,
        ``grandparent_key`` (episodes), ``parent_key`` and ``index`` (seasons, episodes), ``original_title``,
        ``summary``, ``duration`` (ms; a show's is its usual episode length)."""
        params: dict[str, Any] = {"includeGuids": 1}
        if kind:
            params["type"] = TYPE_NUMBERS[kind]
        if audio_language:
            params["audioLanguage"] = audio_language
        out = []
        for element in self._pages(f"/library/sections/{int(section_key)}/all", params):
            a = element.attrib
            if "ratingKey" not in a:
                continue
            media = element.find("Media")
            parts = element.findall("Media/Part")
            guids = _guid_map([g.attrib.get("id", "") for g in element.findall("Guid")], a.get("guid", ""))
            out.append({
                "rating_key": int(a["ratingKey"]), "type": a.get("type", ""), "title": a.get("title", ""),
                "title_sort": a.get("titleSort") or a.get("title", ""), "year": _int(a.get("year")),
                "added_at": _int(a.get("addedAt")) or 0, "thumb": a.get("thumb"),
                "resolution": media.attrib.get("videoResolution") if media is not None else None,
                "size": sum(_int(p.attrib.get("size")) or 0 for p in parts),
                "files": [p.attrib["file"] for p in parts if p.attrib.get("file")], "guids": guids,
                "view_count": _int(a.get("viewCount")) or 0, "view_offset": _int(a.get("viewOffset")) or 0,
                "leaf_count": _int(a.get("leafCount")), "viewed_leaf_count": _int(a.get("viewedLeafCount")),
                "grandparent_key": _int(a.get("grandparentRatingKey")),
                "parent_key": _int(a.get("parentRatingKey")), "index": _int(a.get("index")),
                "original_title": a.get("originalTitle") or None, "summary": a.get("summary") or None,
                "duration": _int(a.get("duration")),
            })
        return out

    @retry_read
    def plays(self, account_id: int | None = None, since: int | None = None) -> list[tuple[int, int | None, int]]:
        """Every play of ``/status/sessions/history/all`` (one account's with ``account_id``; after unix
        time ``since``), light: ``(rating_key, grandparent rating key or None, viewed_at unix s)``."""
        params: dict[str, Any] = {"sort": "viewedAt:desc"}
        if account_id is not None:
            params["accountID"] = int(account_id)
        if since:
            params["viewedAt>"] = int(since)
        out = []
        for element in self._pages("/status/sessions/history/all", params):
            a = element.attrib
            key = _int(a.get("ratingKey"))
            if key is None:
                continue
            parent = a.get("grandparentKey", "")
            out.append((key, _int(parent.rsplit("/", 1)[-1]) if parent else None, _int(a.get("viewedAt")) or 0))
        return out

    @retry_read
    def history_total(self, since: int | None = None) -> int:
        """How many plays :meth:`history_entries` will read (``totalSize`` of a zero-size page of
        ``/status/sessions/history/all``); 0 when the server does not say."""
        params: dict[str, Any] = {"X-Plex-Container-Start": 0, "X-Plex-Container-Size": 0}
        if since:
            params["viewedAt>"] = int(since)
        with self._guard():
            root = self.server().query("/status/sessions/history/all", params=params)
        return int(root.attrib.get("totalSize", 0) or 0) if root is not None else 0

    def history_entries(self, since: int | None = None) -> Iterator[dict[str, Any]]:
        """Every play of every account (``/status/sessions/history/all``, oldest first, paged; after unix time
        ``since``), with what a row still carries once its item is deleted: ``history_key``, ``rating_key``
        (``None`` for a deleted item), ``grandparent_key``, ``type``, ``title``, ``grandparent_title``,
        ``season`` (parent index), ``episode`` (index), ``year``, ``account_id``, ``viewed_at`` (unix s)."""
        params: dict[str, Any] = {"sort": "viewedAt:asc"}
        if since:
            params["viewedAt>"] = int(since)
        for element in self._pages("/status/sessions/history/all", params):
            a = element.attrib
            parent = a.get("grandparentKey", "")
            available = a.get("originallyAvailableAt", "")
            yield {"history_key": a.get("historyKey") or f"{a.get('accountID')}-{a.get('viewedAt')}-{a.get('title')}",
                   "rating_key": _int(a.get("ratingKey")),
                   "grandparent_key": _int(parent.rsplit("/", 1)[-1]) if parent else None,
                   "type": a.get("type", ""), "title": a.get("title", ""),
                   "grandparent_title": a.get("grandparentTitle"), "season": _int(a.get("parentIndex")),
                   "episode": _int(a.get("index")), "year": _int(a.get("year")) or _int(available[:4]),
                   "account_id": _int(a.get("accountID")) or 0, "viewed_at": _int(a.get("viewedAt")) or 0}

    # -- the details dialog ------------------------------------------------------------------------------
    def details(self, rating_key: int) -> dict[str, Any]:
        """One movie or show for the editor: ``type``, ``section_key``, the :data:`TEXT_FIELDS` (strings;
        ``year`` an int or None), ``tags`` (kind -> names), ``locked`` (field names), ``guid`` (Plex's),
        ``guids`` (scheme -> id), ``thumb``, ``art``, ``media`` (``resolution``, ``audio_languages``,
        ``size`` bytes, ``files``), ``locations`` (a show's folders, a movie's files). Raises ``UpstreamNotFound``."""
        item = self._fetch(rating_key)
        with self._guard():
            values: dict[str, Any] = {}
            for name in TEXT_FIELDS:
                value = getattr(item, name, None)
                values[name] = value.strftime("%Y-%m-%d") if isinstance(value, datetime) else value
            audio: list[str] = []
            files, size, resolution = [], 0, None
            for media in getattr(item, "media", None) or []:
                resolution = resolution or media.videoResolution
                for part in media.parts:
                    files.append(part.file)
                    size += int(part.size or 0)
                    for stream in part.audioStreams():
                        code = stream.languageCode or stream.language
                        if code and code not in audio:
                            audio.append(code)
            return {
                "rating_key": int(item.ratingKey), "type": item.type, "section_key": item.librarySectionID,
                **values, "tags": {kind: [t.tag for t in getattr(item, plural, None) or []]
                                   for kind, plural in TAG_KINDS.items()},
                "locked": sorted(f.name for f in getattr(item, "fields", []) or [] if f.locked),
                "guid": item.guid, "guids": _guids(item), "thumb": item.thumb, "art": getattr(item, "art", None),
                "media": {"resolution": resolution, "audio_languages": audio, "size": size, "files": files},
                "leaf_count": getattr(item, "leafCount", None),
                "locations": list(getattr(item, "locations", None) or []),
            }

    def save_edits(self, rating_key: int, values: dict[str, Any], locks: dict[str, bool],
                   tags: dict[str, list[str]] | None = None) -> None:
        """Write fields and tags in one batched edit (plexapi ``batchEdits()``/``saveEdits()``: ``{field}.value``
        + ``{field}.locked``). ``values``: :data:`TEXT_FIELDS` to set; ``locks``: field -> locked (a set
        field is locked unless said otherwise); ``tags``: kind -> the complete new list (removals are sent
        first, in their own call, then the rest). Raises ``ValueError`` for an unknown field or tag kind."""
        unknown = (set(values) | set(locks)) - set(TEXT_FIELDS) - set(TAG_KINDS)
        if unknown or set(tags or {}) - set(TAG_KINDS):
            raise ValueError(f"fields not editable: {', '.join(sorted(unknown | (set(tags or {}) - set(TAG_KINDS))))}")
        item = self._fetch(rating_key)
        with self._guard():
            current = {kind: [t.tag for t in getattr(item, plural, None) or []] for kind, plural in TAG_KINDS.items()}
            removals = {kind: [t for t in current[kind] if t not in wanted] for kind, wanted in (tags or {}).items()}
            if any(removals.values()):
                item.batchEdits()
                for kind, gone in removals.items():
                    if gone:
                        item.editTags(kind, gone, locked=locks.get(kind, True), remove=True)
                item.saveEdits()
                item.reload()
            item.batchEdits()
            for name, value in values.items():
                item.editField(name, "" if value is None else value, locked=locks.get(name, True))
            for name, locked in locks.items():  # a lock changed alone: the current value is sent with it
                if name not in values and name in TEXT_FIELDS:
                    current_value = getattr(item, name, None)
                    if isinstance(current_value, datetime):
                        current_value = current_value.strftime("%Y-%m-%d")
                    item.editField(name, "" if current_value is None else current_value, locked=locked)
            for kind in TAG_KINDS:
                added = [t for t in (tags or {}).get(kind) or [] if t not in current[kind]]
                if added or kind in locks:  # with nothing added, the current list is sent with the lock
                    item.editTags(kind, added, locked=locks.get(kind, True))
            item.saveEdits()

    def reset_field(self, rating_key: int, name: str) -> None:
        """Unlock ``name`` and refresh the item, so the agent sets it again."""
        if name not in TEXT_FIELDS and name not in TAG_KINDS:
            raise ValueError(f"field not editable: {name}")
        item = self._fetch(rating_key)
        with self._guard():
            item.edit(**{f"{name}.locked": 0})
            item.refresh()

    def refresh_item(self, rating_key: int) -> None:
        """``PUT /library/metadata/{id}/refresh``: the agent runs again (locked fields are kept)."""
        item = self._fetch(rating_key)
        with self._guard():
            item.refresh()

    def analyze_item(self, rating_key: int) -> None:
        """``PUT /library/metadata/{id}/analyze``: media properties and artwork read again."""
        item = self._fetch(rating_key)
        with self._guard():
            item.analyze()

    def image_paths(self, rating_key: int) -> dict[str, str | None]:
        """The current ``thumb`` (poster) and ``art`` (background) image paths of any item (a season, an
        episode too): what :meth:`fetch_image` takes."""
        item = self._fetch(rating_key)
        with self._guard():
            return {"thumb": getattr(item, "thumb", None), "art": getattr(item, "art", None)}

    def extras(self, rating_key: int) -> list[str]:
        """``GET /library/metadata/{id}/extras``: the titles of the item's extras (local trailers...)."""
        item = self._fetch(rating_key)
        with self._guard():
            return [e.title for e in item.extras()]

    # -- identify / fix match ------------------------------------------------------------------------------
    def matches(self, rating_key: int, title: str | None = None, year: int | None = None) -> list[dict[str, Any]]:
        """``GET /library/metadata/{id}/matches?manual=1`` with the section's agent: ``[{"guid", "name", "year",
        "score"}]``, best first. ``title`` may be ``tmdb-<id>``, ``tvdb-<id>`` or ``imdb-tt…`` (the agent
        looks those up directly)."""
        item = self._fetch(rating_key)
        with self._guard():
            found = item.matches(title=title or item.title, year="" if year is None else year)
            return [{"guid": r.guid, "name": r.name, "year": _int(getattr(r, "year", None)),
                     "score": _int(getattr(r, "score", None))} for r in found]

    def fix_match(self, rating_key: int, guid: str, name: str) -> dict[str, str]:
        """``PUT /library/metadata/{id}/match?guid=&name=`` then read the item's GUIDs back (scheme -> id)."""
        item = self._fetch(rating_key)
        with self._guard():
            self.server().query(f"{item.key}/match", method=self.session.put, params={"guid": guid, "name": name})
        return self.details(rating_key)["guids"]

    def delete_item(self, rating_key: int) -> None:
        """``DELETE /library/metadata/{id}``: Plex deletes the item's files (the server must allow media
        deletion). Sent once."""
        item = self._fetch(rating_key)
        with self._guard():
            item.delete()

    def unmatch(self, rating_key: int) -> None:
        """``PUT /library/metadata/{id}/unmatch``."""
        item = self._fetch(rating_key)
        with self._guard():
            item.unmatch()

    # -- images for the browser ---------------------------------------------------------------------------
    def fetch_image(self, path: str) -> tuple[bytes, str]:
        """GET an image path of this server (``/library/metadata/1/thumb/169...``) with the token, server side.

        Only server-relative paths are accepted (no scheme, no ``//``, no ``..``): raises ``ValueError``.
        Returns (bytes, content type); refuses bodies over :data:`MAX_IMAGE_BYTES`.
        """
        path = image_path(path)
        response = self.session.get(f"{self.base_url}{path}", headers={"X-Plex-Token": self.token}, stream=True)
        with response:
            content_type = response.headers.get("Content-Type", "application/octet-stream")
            if content_type.split(";")[0].strip().lower() not in IMAGE_TYPES:
                raise UpstreamBadResponse(SERVICE, f"{path} is not an image ({content_type})")
            data = response.raw.read(MAX_IMAGE_BYTES + 1, decode_content=True)
        if len(data) > MAX_IMAGE_BYTES:
            raise UpstreamBadResponse(SERVICE, "image too large")
        return data, content_type

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Connect with the token and report the server's name and version."""
        if not settings.plex_url or not settings.plex_token:
            return not_configured(SERVICE, "PLEX_URL / PLEX_TOKEN")
        client = cls.from_settings(settings)

        def probe() -> str:
            server = client.server()
            return f"{server.friendlyName} (Plex {server.version})"

        return run_connection_test(SERVICE, probe)
