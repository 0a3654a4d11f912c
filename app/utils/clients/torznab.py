"""Generic Torznab client (Jackett, Prowlarr's per-indexer feeds, any Torznab indexer).

Source: ``shared/specs/torznab/spec/torznab-Specification-v1.3.rst`` and the
Newznab API (``newznab-api.rst``): ``GET {base}/api?t=caps|search|tvsearch|movie
&apikey=&q=&cat=&season=&ep=&imdbid=&tvdbid=&tmdbid=``; RSS 2.0 items with
``torznab:attr`` elements; errors as ``<error code="..." description="..."/>``.
XML is parsed with defusedxml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from app.utils.clients.arr import retry_read
from app.utils.clients.base import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, HttpClient
from app.utils.clients.errors import UpstreamAuthError, UpstreamBadResponse, UpstreamNotFound, UpstreamUnavailable

TORZNAB_NS = "http://torznab.com/schemas/2015/feed"
NEWZNAB_NS = "http://www.newznab.com/DTD/2010/feeds/attributes/"
#: Newznab error codes that mean the API key is wrong or not allowed.
AUTH_ERROR_CODES = {100, 101, 102}
#: Standard Newznab categories: 2000 movies, 5000 TV.
MOVIE_CATEGORIES = (2000,)
TV_CATEGORIES = (5000,)


@dataclass(frozen=True)
class Release:
    """One search result. ``size`` in bytes; ``info_hash`` 40 upper-case hex or ``None``;
    ``leechers`` = peers - seeders (Torznab ``peers`` counts both)."""

    title: str
    indexer: str
    guid: str
    size: int
    seeders: int | None
    leechers: int | None
    publish_date: datetime | None
    info_hash: str | None
    magnet_url: str | None
    download_url: str | None
    details_url: str | None = None
    categories: tuple[int, ...] = ()
    imdb_id: str | None = None
    tvdb_id: int | None = None
    tmdb_id: int | None = None


@dataclass(frozen=True)
class Capabilities:
    """``t=caps``: which searches and parameters the indexer supports, and its categories."""

    searching: dict[str, list[str]] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _strip_bom(raw: bytes) -> bytes:
    return raw.lstrip(b"\xef\xbb\xbf").lstrip()


class TorznabClient(HttpClient):
    """One Torznab endpoint: ``base_url`` is the part before ``/api``; ``indexer`` names it in results."""

    def __init__(self, base_url: str, api_key: str, *, indexer: str, auth_setting: str,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)):
        super().__init__(f"Indexer {indexer}", base_url, auth_setting=auth_setting, timeout=timeout)
        self.api_key = api_key
        self.indexer = indexer

    # -- transport -------------------------------------------------------------------------
    @retry_read
    def _query(self, **params: Any) -> Element:
        params = {k: v for k, v in params.items() if v not in (None, "", [])}
        response = self.request("GET", "/api", params={"apikey": self.api_key, **params})
        try:
            root = ElementTree.fromstring(_strip_bom(response.content))
        except (ElementTree.ParseError, DefusedXmlException) as exc:
            raise UpstreamBadResponse(self.service, f"unreadable XML ({exc})") from None
        if root.tag == "error":
            code = _int(root.get("code")) or 0
            description = root.get("description") or "error"
            if code in AUTH_ERROR_CODES:
                raise UpstreamAuthError(self.service, f"{description} (code {code})", setting=self.session.auth_setting)
            if code == 300:
                raise UpstreamNotFound(self.service, description)
            raise UpstreamUnavailable(self.service, f"{description} (code {code})")
        return root

    # -- API ---------------------------------------------------------------------------------
    def caps(self) -> Capabilities:
        """``t=caps``."""
        root = self._query(t="caps")
        if root.tag != "caps":
            raise UpstreamBadResponse(self.service, f"caps answer is <{root.tag}>")
        searching = {el.tag: (el.get("supportedParams") or "q").split(",")
                     for el in root.findall("searching/*") if el.get("available") == "yes"}
        categories = {int(c.get("id")): c.get("name", "") for c in root.iter("category") if _int(c.get("id"))}
        return Capabilities(searching, categories)

    def search(self, query: str = "", *, kind: str = "search", categories: tuple[int, ...] = (),
               season: int | None = None, episode: int | None = None, imdb_id: str | None = None,
               tvdb_id: int | None = None, tmdb_id: int | None = None, limit: int | None = None) -> list[Release]:
        """``t=search|tvsearch|movie`` with the given parameters (``imdb_id`` like ``tt0133093``)."""
        if kind not in ("search", "tvsearch", "movie"):
            raise ValueError(f"unknown search kind {kind}")
        root = self._query(t=kind, q=query, cat=",".join(map(str, categories)), season=season, ep=episode,
                           imdbid=(imdb_id or "").removeprefix("tt") or None, tvdbid=tvdb_id, tmdbid=tmdb_id,
                           limit=limit)
        channel = root.find("channel")
        if root.tag != "rss" or channel is None:
            raise UpstreamBadResponse(self.service, f"search answer is <{root.tag}>, not an RSS feed")
        return [self._release(item) for item in channel.findall("item")]

    def _release(self, item: Element) -> Release:
        attrs: dict[str, list[str]] = {}
        for attr in [*item.findall(f"{{{TORZNAB_NS}}}attr"), *item.findall(f"{{{NEWZNAB_NS}}}attr")]:
            attrs.setdefault(attr.get("name", ""), []).append(attr.get("value", ""))

        def first(name: str) -> str | None:
            return attrs.get(name, [None])[0]

        enclosure = item.find("enclosure")
        link = item.findtext("link")
        enclosure_url = enclosure.get("url") if enclosure is not None else None
        magnet = first("magneturl") or next((u for u in (link, enclosure_url) if u and u.startswith("magnet:")), None)
        download = next((u for u in (enclosure_url, link) if u and not u.startswith("magnet:")), None)
        size = _int(item.findtext("size")) or _int(first("size")) or (
            _int(enclosure.get("length")) if enclosure is not None else None) or 0
        seeders = _int(first("seeders"))
        peers = _int(first("peers"))
        leechers = _int(first("leechers"))
        if leechers is None and peers is not None:
            leechers = max(peers - (seeders or 0), 0)
        published = None
        if item.findtext("pubDate"):
            try:
                published = parsedate_to_datetime(item.findtext("pubDate"))
            except (TypeError, ValueError):
                published = None
        info_hash = (first("infohash") or "").strip().upper() or None
        imdb = first("imdbid") or first("imdb")
        title = (item.findtext("title") or "").strip()
        if not title:
            raise UpstreamBadResponse(self.service, "a result has no title")
        return Release(
            title=title, indexer=self.indexer, guid=item.findtext("guid") or download or magnet or title,
            size=size, seeders=seeders, leechers=leechers, publish_date=published,
            info_hash=info_hash if info_hash and len(info_hash) == 40 else None, magnet_url=magnet,
            download_url=download, details_url=item.findtext("comments") or item.findtext("guid"),
            categories=tuple(c for c in (_int(v) for v in attrs.get("category", [])) if c),
            imdb_id=(f"tt{int(imdb):07d}" if imdb and imdb.isdigit() else imdb) or None,
            tvdb_id=_int(first("tvdbid")), tmdb_id=_int(first("tmdbid")),
        )
