"""Torznab indexer emulator (``shared/specs/torznab/``), alone (Jackett-like ``/api``) or inside Prowlarr.

Answers ``t=caps|search|tvsearch|movie`` as RSS 2.0 with ``torznab:attr``
elements, like the sample feeds in ``shared/specs/torznab/``; a wrong API key
gets the Newznab ``<error code="100" .../>`` document with HTTP 200, as
indexers do. Filtering follows what indexers do: every word of ``q`` in the
title, a category or its parent, ``season``/``ep`` on the SxxEyy tag, ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from tests.emulators.base import Emulator, Reply, Request

XML = {"Content-Type": "application/rss+xml; charset=utf-8"}
CATEGORIES = {2000: "Movies", 2040: "Movies/HD", 2045: "Movies/UHD", 5000: "TV", 5040: "TV/HD", 5045: "TV/UHD",
              5070: "TV/Anime"}


def error_xml(code: int, description: str) -> Reply:
    """The Newznab error document."""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<error code="{code}" description={quoteattr(description)}/>'
    return Reply(200, body, {"Content-Type": "application/xml; charset=utf-8"})


@dataclass
class FeedRelease:
    """One release an indexer holds (``size`` in bytes, ``peers`` = seeders + leechers)."""

    title: str
    size: int
    seeders: int
    peers: int
    info_hash: str
    categories: tuple[int, ...]
    published: datetime
    imdb: str | None = None
    tvdbid: int | None = None
    tmdbid: int | None = None
    magnet_only: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class TorznabFeed:
    """The releases and answers of one indexer."""

    def __init__(self, title: str, api_key: str, base_url: str = "http://indexer.invalid", id_search: bool = True):
        self.title = title
        self.api_key = api_key
        self.base_url = base_url
        #: Whether the caps offer imdbid/tmdbid/tvdbid (many Jackett definitions only take q)
        self.id_search = id_search
        self.releases: list[FeedRelease] = []

    def add_release(self, title: str, *, size: int = 1_500_000_000, seeders: int = 10, leechers: int = 2,
                    info_hash: str | None = None, categories: tuple[int, ...] = (5000, 5040),
                    age_hours: float = 24, imdb: str | None = None, tvdbid: int | None = None,
                    tmdbid: int | None = None, magnet_only: bool = False) -> FeedRelease:
        """Add a release; the info hash defaults to one derived from the title (40 hex)."""
        import hashlib

        release = FeedRelease(title, size, seeders, seeders + leechers,
                              info_hash or hashlib.sha1(title.encode()).hexdigest(), categories,
                              datetime.now(UTC) - timedelta(hours=age_hours), imdb, tvdbid, tmdbid, magnet_only)
        self.releases.append(release)
        return release

    def answer(self, request: Request) -> Reply:
        """Answer one ``/api`` request."""
        if request.arg("apikey") != self.api_key:
            return error_xml(100, "Incorrect user credentials")
        kind = request.arg("t")
        if kind == "caps":
            return Reply(200, self._caps(), XML)
        if kind not in ("search", "tvsearch", "movie"):
            return error_xml(202, f"No such function ({kind})")
        return Reply(200, self._rss([r for r in self.releases if self._matches(r, request)]), XML)

    @staticmethod
    def _matches(release: FeedRelease, request: Request) -> bool:
        title = release.title.lower()
        words = re.findall(r"\w+", (request.arg("q") or "").lower())
        if any(w not in re.findall(r"\w+", title) for w in words):
            return False
        cats = [int(c) for c in (request.arg("cat") or "").split(",") if c.strip().isdigit()]
        if cats and not any(c in cats or c // 1000 * 1000 in cats for c in release.categories):
            return False
        season, episode = request.arg("season"), request.arg("ep")
        tag = re.search(r"\bs(\d{1,2})(?:e(\d{1,3}))?", title)
        if season and (not tag or int(tag.group(1)) != int(season)):
            return False
        if episode and (not tag or not tag.group(2) or int(tag.group(2)) != int(episode)):
            return False
        for param, value in (("imdbid", release.imdb), ("tvdbid", release.tvdbid), ("tmdbid", release.tmdbid)):
            wanted = request.arg(param)
            if wanted and str(value or "").removeprefix("tt").lstrip("0") != wanted.removeprefix("tt").lstrip("0"):
                return False
        return True

    def _caps(self) -> str:
        cats = "\n".join(f'    <category id="{cid}" name={quoteattr(name)}/>' for cid, name in CATEGORIES.items())
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<caps>
  <server version="1.0" title={quoteattr(self.title)} />
  <limits max="100" default="100" />
  <searching>
    <search available="yes" supportedParams="q" />
    <tv-search available="yes" supportedParams="{'q,season,ep,imdbid,tvdbid' if self.id_search else 'q,season,ep'}" />
    <movie-search available="yes" supportedParams="{'q,imdbid,tmdbid' if self.id_search else 'q'}" />
  </searching>
  <categories>
{cats}
  </categories>
</caps>"""

    def _rss(self, releases: list[FeedRelease]) -> str:
        items = []
        for r in releases:
            i = self.releases.index(r)  # stable links: the release's place in the feed
            magnet = f"magnet:?xt=urn:btih:{r.info_hash}&dn={escape(r.title)}"
            link = magnet if r.magnet_only else f"{self.base_url}/dl/{i}.torrent?passkey=secret"
            attrs = [("category", str(c)) for c in r.categories] + [
                ("seeders", str(r.seeders)), ("peers", str(r.peers)), ("infohash", r.info_hash),
                ("magneturl", magnet), ("downloadvolumefactor", "1"), ("uploadvolumefactor", "1")]
            for name, value in (("imdb", r.imdb), ("tvdbid", r.tvdbid), ("tmdbid", r.tmdbid)):
                if value:
                    attrs.append((name, str(value).removeprefix("tt")))
            attr_xml = "\n".join(f'      <torznab:attr name="{n}" value={quoteattr(v)} />' for n, v in attrs)
            items.append(f"""    <item>
      <title>{escape(r.title)}</title>
      <guid isPermaLink="true">{self.base_url}/details/{i}</guid>
      <link>{escape(link)}</link>
      <comments>{self.base_url}/details/{i}#comments</comments>
      <pubDate>{format_datetime(r.published)}</pubDate>
      <size>{r.size}</size>
      <description>{escape(r.title)}</description>
      <enclosure url={quoteattr(link)} length="{r.size}" type="application/x-bittorrent" />
{attr_xml}
    </item>""")
        body = "\n".join(items)
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:torznab="http://torznab.com/schemas/2015/feed">
  <channel>
    <atom:link href="{self.base_url}/api" rel="self" type="application/rss+xml" />
    <title>{escape(self.title)}</title>
    <description>{escape(self.title)} API</description>
    <link>{self.base_url}</link>
    <language>fr-fr</language>
    <category>search</category>
{body}
  </channel>
</rss>"""


class TorznabEmulator(Emulator):
    """A single Torznab indexer (Jackett-style) at ``{url}/api``; seed it through :attr:`feed`."""

    def __init__(self, title: str = "YggTorrent", api_key: str = "torznab-key-123", id_search: bool = True):
        super().__init__()
        self.feed = TorznabFeed(title, api_key, id_search=id_search)
        self.route("GET", r"/api", self.feed.answer)

    def start(self) -> TorznabEmulator:
        started = super().start()
        self.feed.base_url = self.url  # links point here, so a client can fetch the .torrent files
        return started

    def add_torrent(self, title: str, torrent: bytes, info_hash: str, **release: Any) -> FeedRelease:
        """A release whose ``.torrent`` this indexer serves, as real indexers do behind their links."""
        added = self.feed.add_release(title, info_hash=info_hash.lower(), **release)
        place = self.feed.releases.index(added)
        self.route("GET", rf"/dl/{place}\.torrent",
                   lambda _request: Reply(200, torrent, {"Content-Type": "application/x-bittorrent"}))
        return added

    def malformed_reply(self) -> Reply:
        return Reply(200, "<rss><channel><item><title>cut", XML)


def indexer_resource(indexer_id: int, name: str, **extra: Any) -> dict[str, Any]:
    """A Prowlarr ``IndexerResource`` for a torrent indexer."""
    return {"id": indexer_id, "name": name, "fields": [], "implementationName": "Cardigann",
            "implementation": "Cardigann", "configContract": "CardigannSettings", "infoLink": "", "tags": [],
            "presets": [], "indexerUrls": [f"https://{name.lower()}.example/"], "legacyUrls": [],
            "definitionName": name.lower(), "description": f"{name} is a French tracker", "language": "fr-FR",
            "encoding": "UTF-8", "enable": True, "redirect": False, "supportsRss": True, "supportsSearch": True,
            "supportsRedirect": False, "supportsPagination": False, "appProfileId": 1, "protocol": "torrent",
            "privacy": "private", "capabilities": {"id": 0, "limitsMax": 100, "limitsDefault": 100,
                                                   "categories": [], "supportsRawSearch": False,
                                                   "searchParams": ["q"], "tvSearchParams": ["q", "season", "ep"],
                                                   "movieSearchParams": ["q", "imdbId"], "musicSearchParams": [],
                                                   "bookSearchParams": []},
            "priority": 25, "downloadClientId": 0, "added": "2024-01-01T00:00:00Z", "sortName": name.lower(),
            **extra}
