"""Plex Media Server emulator (XML, as python-plexapi reads it; ``shared/specs/plex/``).

Sections hold movies and shows (with seasons and episodes); items carry
``<Guid id="tmdb://..."/>`` children, view counts, locked ``<Field>``s, posters
and backgrounds (``<Photo>`` lists). History entries follow
``/status/sessions/history/all``; accounts follow ``/accounts``. Every call
needs ``X-Plex-Token`` (header or query parameter), else 401. Partial scans
(``/library/sections/{id}/refresh?path=``) are recorded in :attr:`scans`.
"""

from __future__ import annotations

import itertools
import os
import re
import struct
import time
import zlib
from typing import Any
from urllib.parse import unquote_plus
from xml.etree.ElementTree import Element, SubElement, tostring

from tests.emulators.base import Emulator, Reply, Request

XML = {"Content-Type": "text/xml;charset=utf-8"}
MACHINE_ID = "3191ad43a248a19b0b8e814152187ea25bbe7483"
TYPES = {"movie": 1, "show": 2, "season": 3, "episode": 4}
#: Fields a refresh restores from the agent unless they are locked.
AGENT_FIELDS = ("title", "titleSort", "originalTitle", "summary", "tagline", "year", "studio", "contentRating",
                "originallyAvailableAt", "genres")
#: Tag kinds: the edit parameter's name -> the item's list.
TAGS = {"genre": "genres", "label": "labels", "collection": "collections"}


def png(width: int = 2, height: int = 3, rgb: tuple[int, int, int] = (229, 160, 13)) -> bytes:
    """A small valid PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _attrs(element: Element, values: dict[str, Any]) -> Element:
    for key, value in values.items():
        if value is not None:
            element.set(key, str(int(value)) if isinstance(value, bool) else str(value))
    return element


class PlexEmulator(Emulator):
    """A Plex server with one token; seed with :meth:`add_section`, :meth:`add_movie`, :meth:`add_show`."""

    def __init__(self, token: str = "plex-token-abc123", name: str = "Salon"):
        super().__init__()
        self.token = token
        self.name = name
        self._keys = itertools.count(100)
        self.sections: dict[int, dict[str, Any]] = {}
        self.items: dict[int, dict[str, Any]] = {}
        self.accounts: list[dict[str, Any]] = [{"id": 1, "name": "owner"}]
        self.history: list[dict[str, Any]] = []
        self.scans: list[tuple[int, str | None]] = []
        self.edits: list[dict[str, str]] = []
        self.images: dict[str, bytes] = {}
        #: What the agent would find for a title (``GET .../matches``): ``{"guid", "name", "year", "guids"}``.
        self.match_catalog: list[dict[str, Any]] = []
        #: Rating keys refreshed, analyzed, matched and unmatched, in order.
        self.refreshed: list[int] = []
        #: Sections whose scan was cancelled (``DELETE /library/sections/{id}/refresh``).
        self.cancelled_scans: list[int] = []
        #: Rating keys deleted through the API.
        self.deleted: list[int] = []
        self.analyzed: list[int] = []
        #: A whole-section scan keeps the section ``refreshing`` this long (seconds), or while ``scans_held``.
        self.scan_seconds = 0.3
        self.scans_held = False
        #: Called with the section key when a whole-section scan starts (a test's stand-in for the scanner).
        self.on_scan = None
        #: Sections analysed (``PUT /library/sections/{id}/analyze``), in order.
        self.analyzed_sections: list[int] = []
        self.route("GET", r"/", self._root)
        self.route("GET", r"/activities", self._activities)
        self.route("POST", r"/library/sections", self._add_section)
        self.route("PUT", r"/library/sections/(\d+)/analyze", self._analyze_section)
        self.route("GET", r"/identity", self._identity)
        self.route("GET", r"/library/?", self._library)
        self.route("GET", r"/library/sections", self._sections)
        self.route("GET", r"/library/sections/(\d+)", self._section_detail)
        self.route("GET", r"/library/sections/(\d+)/all", self._section_all)
        self.route("PUT", r"/library/sections/(\d+)/all", self._edit)
        self.route("GET", r"/library/sections/(\d+)/refresh", self._refresh)
        self.route("DELETE", r"/library/sections/(\d+)/refresh", self._cancel_refresh)
        self.route("GET", r"/library/recentlyAdded", self._recently_added)
        self.route("GET", r"/library/metadata/(\d+)", self._metadata)
        self.route("GET", r"/library/metadata/(\d+)/children", self._children)
        self.route("DELETE", r"/library/metadata/(\d+)", self._delete)
        self.route("GET", r"/library/metadata/(\d+)/allLeaves", self._all_leaves)
        self.route("GET", r"/library/metadata/(\d+)/(posters|arts)", self._artwork)
        self.route("POST", r"/library/metadata/(\d+)/(posters|arts)", self._upload)
        self.route("PUT", r"/library/metadata/(\d+)/(poster|art)", self._select)
        self.route("GET", r"/library/metadata/(\d+)/(thumb|art)/(\d+)", self._image)
        self.route("PUT", r"/library/metadata/(\d+)/refresh", self._refresh_item)
        self.route("GET", r"/library/metadata/(\d+)/extras", self._extras)
        self.route("PUT", r"/library/metadata/(\d+)/analyze", self._analyze)
        self.route("GET", r"/library/metadata/(\d+)/matches", self._matches)
        self.route("PUT", r"/library/metadata/(\d+)/match", self._match)
        self.route("PUT", r"/library/metadata/(\d+)/unmatch", self._unmatch)
        self.route("GET", r"/accounts", self._accounts)
        self.route("GET", r"/status/sessions/history/all", self._history)

    # -- seeding -------------------------------------------------------------------------------------
    def add_section(self, title: str, kind: str, location: str) -> int:
        """A library section (``kind`` movie or show) over one folder; returns its key."""
        key = len(self.sections) + 1
        self.sections[key] = {"key": key, "title": title, "type": kind, "location": location, "until": 0.0}
        return key

    def refreshing(self, key: int) -> bool:
        """Whether section ``key`` is being scanned."""
        section = self.sections[key]
        return (self.scans_held and section.get("until", 0) > 0) or time.monotonic() < section.get("until", 0)

    def _new(self, section: int, kind: str, title: str, **extra: Any) -> dict[str, Any]:
        key = next(self._keys)
        stamp = int(time.time())
        item = {"ratingKey": key, "type": kind, "title": title, "section": section, "addedAt": stamp,
                "updatedAt": stamp, "viewCount": 0, "lastViewedAt": None, "guids": [], "locked": set(),
                "summary": "", "posters": [], "arts": [], "thumb": f"/library/metadata/{key}/thumb/{stamp}",
                "art": f"/library/metadata/{key}/art/{stamp}", "genres": [], "labels": [], "collections": [],
                "tagline": "", "studio": "", "contentRating": "", "titleSort": "", "originalTitle": "",
                "originallyAvailableAt": "", **extra}
        #: what the agent gives back on a refresh for fields that are not locked
        item["agent_values"] = {f: item.get(f) for f in AGENT_FIELDS}
        self.items[key] = item
        self.images[item["thumb"]] = png(rgb=(key % 256, 80, 160))
        self.images[item["art"]] = png(4, 2)
        item["posters"] = [{"ratingKey": f"upload://posters/{key}-0", "provider": "local", "selected": True,
                            "thumb": item["thumb"]},
                           {"ratingKey": f"https://image.tmdb.org/t/p/original/{key}-alt.jpg", "provider": "tmdb",
                            "selected": False, "thumb": f"https://image.tmdb.org/t/p/w300/{key}-alt.jpg"}]
        item["arts"] = [{"ratingKey": f"upload://arts/{key}-0", "provider": "local", "selected": True,
                         "thumb": item["art"]}]
        return item

    def add_movie(self, section: int, title: str, year: int, *, tmdb: int | None = None, imdb: str | None = None,
                  file: str | None = None, view_count: int = 0, resolution: str = "1080",
                  audio: tuple[str, ...] = ("fra",), size: int = 1000, added_at: int | None = None,
                  genres: list[str] | None = None, legacy_guid: str | None = None,
                  duration: int | None = None) -> dict[str, Any]:
        """A movie with its GUIDs (``tmdb://``, ``imdb://``), file path and media (``resolution`` as Plex's
        ``videoResolution``, ``audio`` ISO 639-2 language codes of its audio streams, ``size`` in bytes,
        ``duration`` in ms)."""
        item = self._new(section, "movie", title, year=year, file=file, viewCount=view_count,
                         resolution=resolution, audio=list(audio), size=size, genres=list(genres or []),
                         duration=duration)
        item["agent_values"]["genres"] = list(item["genres"])
        if added_at is not None:
            item["addedAt"] = added_at
        item["guids"] = [g for g in (f"imdb://{imdb}" if imdb else None, f"tmdb://{tmdb}" if tmdb else None) if g]
        if legacy_guid:  # an item matched by a legacy agent: its GUID only, no <Guid> children
            item["guids"], item["plex_guid"] = [], legacy_guid
        return item

    def add_show(self, section: int, title: str, year: int, *, tvdb: int | None = None, tmdb: int | None = None,
                 seasons: dict[int, int] | None = None, watched: set[tuple[int, int]] | None = None,
                 folder: str | None = None, duration: int | None = None) -> dict[str, Any]:
        """A show with seasons and episodes (``seasons``: number -> count); ``watched`` (s, e) have views;
        ``folder`` its ``<Location>`` on disk; ``duration`` (ms) its episodes' length."""
        show = self._new(section, "show", title, year=year, folder=folder, duration=duration)
        show["guids"] = [g for g in (f"tvdb://{tvdb}" if tvdb else None, f"tmdb://{tmdb}" if tmdb else None) if g]
        show["children"] = []
        for number, count in sorted((seasons or {1: 3}).items()):
            season = self._new(section, "season", f"Season {number}", index=number, parent=show["ratingKey"])
            season["children"] = []
            show["children"].append(season["ratingKey"])
            for index in range(1, count + 1):
                seen = (number, index) in (watched or set())
                episode = self._new(section, "episode", f"Episode {index}", index=index, parentIndex=number,
                                    parent=season["ratingKey"], grandparent=show["ratingKey"], duration=duration,
                                    viewCount=1 if seen else 0, lastViewedAt=int(time.time()) if seen else None)
                season["children"].append(episode["ratingKey"])
        return show

    def add_account(self, account_id: int, name: str) -> None:
        """A home or shared user known to the server."""
        self.accounts.append({"id": account_id, "name": name})

    def add_play(self, rating_key: int, account_id: int, viewed_at: int) -> None:
        """A history entry (``viewed_at`` in unix seconds); what Plex keeps of the item is copied into it, so
        the row outlives the item (:meth:`delete_item`), as Plex's history does."""
        item = self.items[rating_key]
        kept = {"title": item["title"], "type": item["type"], "year": item.get("year"), "section": item["section"]}
        if item["type"] == "episode":
            season, show = self.items[item["parent"]], self.items[item["grandparent"]]
            kept.update(grandparentTitle=show["title"], parentIndex=season["index"], index=item["index"],
                        grandparentKey=f"/library/metadata/{show['ratingKey']}", year=show.get("year"))
        self.history.append({"historyKey": f"/status/sessions/history/{len(self.history) + 1}",
                             "ratingKey": rating_key, "accountID": account_id, "viewedAt": viewed_at, "kept": kept})

    def delete_item(self, rating_key: int) -> None:
        """The item (and its seasons and episodes) leaves the library; its history rows stay, without
        ``ratingKey`` (as Plex answers for deleted items)."""
        item = self.items.pop(rating_key)
        for child in item.get("children", []):
            self.delete_item(child)

    # -- protocol --------------------------------------------------------------------------------------
    def authorize(self, request: Request) -> Reply | None:
        token = request.headers.get("x-plex-token") or request.arg("X-Plex-Token")
        if token != self.token:
            return Reply(401, "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1>"
                              "</body></html>", {"Content-Type": "text/html"})
        return None

    def malformed_reply(self) -> Reply:
        return Reply(200, '<MediaContainer size="1"><Directory key="1" ', XML)

    @staticmethod
    def _xml(root: Element) -> Reply:
        root.set("size", str(len(root)))
        return Reply(200, b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root), XML)

    def _root(self, request: Request) -> Reply:
        root = _attrs(Element("MediaContainer"), {
            "friendlyName": self.name, "machineIdentifier": MACHINE_ID, "version": "1.41.3.9314-a0bfb8370",
            "platform": "Linux", "platformVersion": "6.1", "myPlex": 1, "myPlexUsername": "owner@example.org",
            "allowSync": 1, "transcoderActiveVideoSessions": 0, "updatedAt": int(time.time())})
        for key in ("library", "status", "accounts"):
            _attrs(SubElement(root, "Directory"), {"count": 1, "key": key, "title": key})
        return self._xml(root)

    def _identity(self, request: Request) -> Reply:
        return self._xml(_attrs(Element("MediaContainer"), {"claimed": 1, "machineIdentifier": MACHINE_ID,
                                                             "version": "1.41.3.9314-a0bfb8370"}))

    def _library(self, request: Request) -> Reply:
        root = _attrs(Element("MediaContainer"), {"allowSync": 0, "title1": "Plex Library", "title2": ""})
        for key, title in (("sections", "Library Sections"), ("recentlyAdded", "Recently Added Content"),
                           ("onDeck", "On Deck Content")):
            _attrs(SubElement(root, "Directory"), {"key": key, "title": title})
        return self._xml(root)

    def _section_element(self, parent: Element, section: dict[str, Any]) -> None:
        directory = _attrs(SubElement(parent, "Directory"), {
            "key": section["key"], "type": section["type"], "title": section["title"], "allowSync": 1,
            "agent": "tv.plex.agents.movie" if section["type"] == "movie" else "tv.plex.agents.series",
            "scanner": "Plex Movie" if section["type"] == "movie" else "Plex TV Series", "language": "fr-FR",
            "uuid": f"00000000-0000-4000-8000-00000000000{section['key']}", "updatedAt": 1700000000,
            "scannedAt": 1700000000, "content": 1, "directory": 1, "hidden": 0,
            "refreshing": int(self.refreshing(section["key"])),
            "thumb": f"/:/resources/{section['type']}.png"})
        _attrs(SubElement(directory, "Location"), {"id": section["key"], "path": section["location"]})

    def _sections(self, request: Request) -> Reply:
        root = _attrs(Element("MediaContainer"), {"allowSync": 0, "title1": "Plex Library"})
        for section in self.sections.values():
            self._section_element(root, section)
        return self._xml(root)

    def _section_detail(self, request: Request) -> Reply:
        section = self.sections.get(int(request.path.split("/")[3]))
        if section is None:
            return Reply(404, "<html>404 Not Found</html>", {"Content-Type": "text/html"})
        return self._xml(_attrs(Element("MediaContainer"), {"librarySectionID": section["key"],
                                                             "title1": section["title"]}))

    def _item_element(self, parent: Element, item: dict[str, Any], *, full: bool = False) -> Element:
        tag = "Video" if item["type"] in ("movie", "episode") else "Directory"
        key = item["ratingKey"]
        attrs: dict[str, Any] = {
            "ratingKey": key, "key": f"/library/metadata/{key}" + ("/children" if item["type"] in ("show", "season")
                                                                  else ""),
            "type": item["type"], "title": item["title"], "summary": item["summary"], "thumb": item["thumb"],
            "art": item["art"], "addedAt": item["addedAt"], "updatedAt": item["updatedAt"],
            "librarySectionID": item["section"], "librarySectionKey": f"/library/sections/{item['section']}",
            "librarySectionTitle": self.sections[item["section"]]["title"],
            "guid": item.get("plex_guid") or f"plex://{item['type']}/{key}",
        }
        for name in ("year", "index", "parentIndex", "lastViewedAt", "duration"):
            attrs[name] = item.get(name)
        for name in ("titleSort", "originalTitle", "tagline", "studio", "contentRating", "originallyAvailableAt"):
            attrs[name] = item.get(name) or None
        if item.get("viewOffset"):
            attrs["viewOffset"] = item["viewOffset"]
        if item["viewCount"]:
            attrs["viewCount"] = item["viewCount"]
        if item["type"] == "season":
            show = self.items[item["parent"]]
            episodes = [self.items[k] for k in item["children"]]
            attrs.update(parentRatingKey=show["ratingKey"], parentTitle=show["title"], leafCount=len(episodes),
                         viewedLeafCount=sum(1 for e in episodes if e["viewCount"]),
                         parentKey=f"/library/metadata/{show['ratingKey']}")
        if item["type"] == "episode":
            season, show = self.items[item["parent"]], self.items[item["grandparent"]]
            attrs.update(parentRatingKey=season["ratingKey"], grandparentRatingKey=show["ratingKey"],
                         parentTitle=season["title"], grandparentTitle=show["title"],
                         parentKey=f"/library/metadata/{season['ratingKey']}",
                         grandparentKey=f"/library/metadata/{show['ratingKey']}")
        if item["type"] == "show":
            episodes = [self.items[e] for s in item["children"] for e in self.items[s]["children"]]
            attrs.update(leafCount=len(episodes), viewedLeafCount=sum(1 for e in episodes if e["viewCount"]),
                         childCount=len(item["children"]))
        element = _attrs(SubElement(parent, tag), attrs)
        if item["type"] in ("movie", "episode") and item.get("file"):
            media = _attrs(SubElement(element, "Media"), {"id": key, "videoResolution": item.get("resolution", "1080"),
                                                          "container": "mkv", "videoCodec": "h264"})
            part = _attrs(SubElement(media, "Part"), {"id": key, "key": f"/library/parts/{key}/file.mkv",
                                                      "file": item["file"], "size": item.get("size", 1000)})
            if full:
                _attrs(SubElement(part, "Stream"), {"id": key * 10, "streamType": 1, "codec": "h264", "index": 0})
                for n, language in enumerate(item.get("audio", ())):
                    _attrs(SubElement(part, "Stream"), {"id": key * 10 + n + 1, "streamType": 2, "codec": "aac",
                                                        "index": n + 1, "languageCode": language,
                                                        "language": language})
        for kind, plural in TAGS.items():
            for n, tag_name in enumerate(item.get(plural) or []):
                _attrs(SubElement(element, kind.capitalize()), {"id": n + 1, "tag": tag_name})
        for guid in item["guids"]:
            _attrs(SubElement(element, "Guid"), {"id": guid})
        if item["type"] == "show" and item.get("folder"):
            _attrs(SubElement(element, "Location"), {"path": item["folder"]})
        if full:
            for name in sorted(item["locked"]):
                _attrs(SubElement(element, "Field"), {"locked": 1, "name": name})
        return element

    def _section_all(self, request: Request) -> Reply:
        section_key = int(request.path.split("/")[3])
        if section_key not in self.sections:
            return Reply(404, "<html>404 Not Found</html>", {"Content-Type": "text/html"})
        kind = request.arg("type")
        wanted = {v: k for k, v in TYPES.items()}.get(int(kind)) if kind else None
        wanted = wanted or self.sections[section_key]["type"]
        root = _attrs(Element("MediaContainer"), {"librarySectionID": section_key, "allowSync": 1})
        matches = [i for i in self.items.values() if i["section"] == section_key and i["type"] == wanted]
        language = request.arg("audioLanguage")
        if language:
            matches = [i for i in matches if language in (i.get("audio") or ())]
        sort = (request.arg("sort") or "").split(":")
        if sort[0]:
            matches.sort(key=lambda i: (i.get(sort[0]) is None, i.get(sort[0]) or 0),
                         reverse=len(sort) > 1 and sort[1] == "desc")
        start = int(request.headers.get("x-plex-container-start") or request.arg("X-Plex-Container-Start") or 0)
        size = int(request.headers.get("x-plex-container-size") or request.arg("X-Plex-Container-Size") or 10**6)
        for item in matches[start:start + size]:
            self._item_element(root, item)
        reply = self._xml(root)
        reply.body = reply.body.replace(b"<MediaContainer ",
                                        f'<MediaContainer totalSize="{len(matches)}" offset="{start}" '.encode(), 1)
        return reply

    def _recently_added(self, request: Request) -> Reply:
        root = Element("MediaContainer")
        for item in sorted((i for i in self.items.values() if i["type"] in ("movie", "show")),
                           key=lambda i: -i["ratingKey"]):
            self._item_element(root, item)
        return self._xml(root)

    def _get_item(self, request: Request) -> dict[str, Any] | None:
        return self.items.get(int(request.path.split("/")[3]))

    def _not_found(self) -> Reply:
        return Reply(404, "<html><head><title>Not Found</title></head><body><h1>404 Not Found</h1></body></html>",
                     {"Content-Type": "text/html"})

    def _metadata(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        root = _attrs(Element("MediaContainer"), {"librarySectionID": item["section"]})
        self._item_element(root, item, full=True)
        return self._xml(root)

    def _children(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None or "children" not in item:
            return self._not_found()
        root = _attrs(Element("MediaContainer"), {"key": item["ratingKey"], "title1": item["title"]})
        for child in item["children"]:
            self._item_element(root, self.items[child])
        return self._xml(root)

    def _all_leaves(self, request: Request) -> Reply:
        show = self._get_item(request)
        if show is None or show["type"] != "show":
            return self._not_found()
        root = _attrs(Element("MediaContainer"), {"key": show["ratingKey"], "title1": show["title"]})
        for season in show["children"]:
            for episode in self.items[season]["children"]:
                self._item_element(root, self.items[episode])
        return self._xml(root)

    def _edit(self, request: Request) -> Reply:
        edits = {k: v[0] for k, v in request.query.items()}
        self.edits.append(edits)
        for key in edits.get("id", "").split(","):
            item = self.items.get(int(key)) if key.isdigit() else None
            if item is None:
                return Reply(400, "<html>400 Bad Request</html>", {"Content-Type": "text/html"})
            for name, value in edits.items():
                field, _, part = name.partition(".")
                kind = field.split("[", 1)[0]
                if kind in TAGS and "[" in field:  # label[0].tag.tag=A (the full new list) / label[].tag.tag-=A,B
                    if name.endswith("-"):
                        gone = {unquote_plus(v) for v in value.split(",")}  # plexapi quotes each name
                        item[TAGS[kind]] = [t for t in item[TAGS[kind]] if t not in gone]
                    else:
                        index = int(field[len(kind) + 1:-1])
                        if index == 0:
                            item[TAGS[kind]] = []
                        item[TAGS[kind]].append(value)
                elif part == "value":
                    item[field] = int(value) if field == "year" and value.isdigit() else value
                elif part == "locked":
                    (item["locked"].add if value == "1" else item["locked"].discard)(field)
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _refresh(self, request: Request) -> Reply:
        key = int(request.path.split("/")[3])
        if key not in self.sections:
            return self._not_found()
        path = request.arg("path")
        self.scans.append((key, unquote_plus(path) if path else None))
        if not path:
            self.sections[key]["until"] = time.monotonic() + self.scan_seconds
            if self.on_scan is not None:
                self.on_scan(key)
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _cancel_refresh(self, request: Request) -> Reply:
        key = int(request.path.split("/")[3])
        if key not in self.sections:
            return self._not_found()
        self.cancelled_scans.append(key)
        self.sections[key]["until"] = 0.0
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _activities(self, request: Request) -> Reply:
        root = _attrs(Element("MediaContainer"), {"size": 0})
        for section in self.sections.values():
            if self.refreshing(section["key"]):
                _attrs(SubElement(root, "Activity"), {
                    "uuid": f"00000000-0000-4000-8000-1000000000{section['key']:02d}", "type": "library.update.section",
                    "cancellable": 1, "userID": 1, "title": f"Scanning {section['title']}", "progress": 50})
        root.set("size", str(len(root)))
        return self._xml(root)

    def _add_section(self, request: Request) -> Reply:
        locations = request.query.get("location", [])
        if not request.arg("name") or not locations:
            return Reply(400, "<html>400 Bad Request</html>", {"Content-Type": "text/html"})
        self.add_section(request.arg("name"), request.arg("type"), locations[0])
        return Reply(201, b"", {"Content-Type": "text/xml"})

    def _analyze_section(self, request: Request) -> Reply:
        key = int(request.path.split("/")[3])
        if key not in self.sections:
            return self._not_found()
        self.analyzed_sections.append(key)
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _artwork(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        root = Element("MediaContainer")
        for photo in item[request.path.rsplit("/", 1)[1]]:
            _attrs(SubElement(root, "Photo"), {"key": photo["ratingKey"], "ratingKey": photo["ratingKey"],
                                               "provider": photo["provider"], "selected": photo["selected"],
                                               "thumb": photo["thumb"]})
        return self._xml(root)

    def _upload(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        kind = request.path.rsplit("/", 1)[1]
        url = request.arg("url")
        if not url and not request.body:
            return Reply(400, "<html>400 Bad Request</html>", {"Content-Type": "text/html"})
        stamp = int(time.time() * 1000)
        thumb = f"/library/metadata/{item['ratingKey']}/{'thumb' if kind == 'posters' else 'art'}/{stamp}"
        if request.body:
            self.images[thumb] = request.body
        for photo in item[kind]:
            photo["selected"] = False
        item[kind].append({"ratingKey": url or f"upload://{kind}/{stamp}", "provider": None if url else "local",
                           "selected": True, "thumb": thumb})
        item["thumb" if kind == "posters" else "art"] = thumb
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _select(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        kind = "posters" if request.path.endswith("/poster") else "arts"
        url = unquote_plus(request.arg("url") or "")
        choice = next((p for p in item[kind] if p["ratingKey"] == url), None)
        if choice is None:
            return Reply(400, "<html>400 Bad Request</html>", {"Content-Type": "text/html"})
        for photo in item[kind]:
            photo["selected"] = photo is choice
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _image(self, request: Request) -> Reply:
        data = self.images.get(request.path)
        content_type = getattr(self, "image_types", {}).get(request.path, "image/png")
        return Reply(200, data, {"Content-Type": content_type}) if data else self._not_found()

    def _refresh_item(self, request: Request) -> Reply:
        """The agent runs again: every field that is not locked gets the agent's value back."""
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        self.refreshed.append(item["ratingKey"])
        for name, value in item["agent_values"].items():
            locked = name in item["locked"] or (name == "genres" and "genre" in item["locked"])
            if not locked:
                item[name] = list(value) if isinstance(value, list) else value
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _delete(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        self.deleted.append(item["ratingKey"])
        self.delete_item(item["ratingKey"])
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _extras(self, request: Request) -> Reply:
        """Local trailers as Plex finds them on disk: ``*-trailer.ext`` beside a movie, ``Trailers/*``
        in a movie's or a show's folder (a flat ``-trailer`` file at show level is not one)."""
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        folder = os.path.dirname(item["file"]) if item["type"] == "movie" and item.get("file") else item.get("folder")
        found = []
        if folder and os.path.isdir(folder):
            if item["type"] == "movie":
                found += [n for n in sorted(os.listdir(folder)) if re.search(r"-trailer\.\w+$", n)]
            trailers = os.path.join(folder, "Trailers")
            if os.path.isdir(trailers):
                found += [f"Trailers/{n}" for n in sorted(os.listdir(trailers)) if not n.startswith(".")]
        root = _attrs(Element("MediaContainer"), {"identifier": "com.plexapp.plugins.library"})
        for n, name in enumerate(found):
            _attrs(SubElement(root, "Video"), {"ratingKey": item["ratingKey"] * 1000 + n,
                                               "key": f"/library/metadata/{item['ratingKey'] * 1000 + n}",
                                               "type": "clip", "subtype": "trailer", "extraType": 1,
                                               "title": os.path.splitext(os.path.basename(name))[0]})
        return self._xml(root)

    def _analyze(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        self.analyzed.append(item["ratingKey"])
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _matches(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        title = (request.arg("title") or item["title"]).lower()
        year = request.arg("year")
        root = _attrs(Element("MediaContainer"), {"identifier": "com.plexapp.plugins.library"})
        direct = re.fullmatch(r"(tmdb|tvdb|imdb)-(\w+)", title)  # the agent looks typed ids up directly
        for n, found in enumerate(self.match_catalog):
            if direct:
                if f"{direct.group(1)}://{direct.group(2)}" not in found.get("guids", []):
                    continue
            elif title and title not in found["name"].lower():
                continue
            score = 100 - n - (0 if not year or str(found.get("year")) == str(year) else 20)
            _attrs(SubElement(root, "SearchResult"), {"guid": found["guid"], "name": found["name"],
                                                      "year": found.get("year"), "score": score,
                                                      "lifespanEnded": 0, "thumb": ""})
        return self._xml(root)

    def _match(self, request: Request) -> Reply:
        item = self._get_item(request)
        found = next((m for m in self.match_catalog if m["guid"] == unquote_plus(request.arg("guid") or "")), None)
        if item is None or found is None:
            return Reply(400, "<html>400 Bad Request</html>", {"Content-Type": "text/html"})
        item["guids"] = list(found.get("guids") or [])
        item["plex_guid"] = found["guid"]
        item["title"] = request.arg("name") or found["name"]
        item["agent_values"]["title"] = item["title"]
        if found.get("year"):
            item["year"] = item["agent_values"]["year"] = found["year"]
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _unmatch(self, request: Request) -> Reply:
        item = self._get_item(request)
        if item is None:
            return self._not_found()
        item["guids"] = []
        item["plex_guid"] = f"local://{item['ratingKey']}"
        return Reply(200, b"", {"Content-Type": "text/xml"})

    def _accounts(self, request: Request) -> Reply:
        root = _attrs(Element("MediaContainer"), {"identifier": "com.plexapp.system.accounts"})
        for account in self.accounts:
            _attrs(SubElement(root, "Account"), {"id": account["id"], "key": f"/accounts/{account['id']}",
                                                 "name": account["name"], "defaultAudioLanguage": "fr",
                                                 "autoSelectAudio": 1, "subtitleMode": 1, "thumb": ""})
        return self._xml(root)

    def _history(self, request: Request) -> Reply:
        account = request.arg("accountID")
        section = request.arg("librarySectionID")
        since = request.arg("viewedAt>")
        root = Element("MediaContainer")
        chosen = [p for p in self.history if (not account or str(p["accountID"]) == account)
                  and (not since or p["viewedAt"] > int(since))
                  and (not section or str(self.items.get(p["ratingKey"], {}).get("section")) == section)]
        chosen.sort(key=lambda p: p["viewedAt"], reverse=request.arg("sort") != "viewedAt:asc")
        start = int(request.headers.get("x-plex-container-start") or request.arg("X-Plex-Container-Start") or 0)
        size = int(request.headers.get("x-plex-container-size") or request.arg("X-Plex-Container-Size") or 10**7)
        for play in chosen[start:start + size]:
            item = self.items.get(play["ratingKey"])
            kept = play["kept"]
            attrs = {"historyKey": play["historyKey"], "title": kept["title"], "type": kept["type"],
                     "viewedAt": play["viewedAt"], "accountID": play["accountID"], "deviceID": 1,
                     "librarySectionID": kept["section"],
                     "originallyAvailableAt": f"{kept['year']}-01-01" if kept.get("year") else None}
            if item is not None:  # a deleted item's row has no ratingKey, no key, no thumb
                attrs.update(ratingKey=item["ratingKey"], key=f"/library/metadata/{item['ratingKey']}",
                             thumb=item["thumb"])
            if kept["type"] == "episode":
                attrs.update({k: kept[k] for k in ("grandparentTitle", "parentIndex", "index")})
                if kept["grandparentKey"] and int(kept["grandparentKey"].rsplit("/", 1)[1]) in self.items:
                    attrs["grandparentKey"] = kept["grandparentKey"]
            _attrs(SubElement(root, "Video"), attrs)
        reply = self._xml(root)
        reply.body = reply.body.replace(b"<MediaContainer ", f'<MediaContainer totalSize="{len(chosen)}" '.encode(), 1)
        return reply
