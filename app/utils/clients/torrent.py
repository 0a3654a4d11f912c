"""One interface over the seedbox's torrent clients (qBittorrent, rTorrent).

What MMS adds is identified by its info hash, computed from the .torrent or the
magnet with torf before it is sent (never guessed by comparing lists). A
.torrent URL is fetched server side (an indexer's download link may also
redirect to a magnet). Info hashes are 40 upper-case hex characters.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

import torf

from app.utils.clients.base import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ConnectionReport, MappedSession
from app.utils.clients.errors import UpstreamBadResponse
from app.utils.messages import Refusal
from app.utils.settings_schema import N_

#: Largest .torrent accepted, in bytes.
MAX_TORRENT_BYTES = 10 * 1024 * 1024
#: Redirects followed when fetching a .torrent URL.
MAX_REDIRECTS = 5


class TorrentSourceError(Refusal):
    """The .torrent or magnet is not valid (the message says why)."""


#: Deepest list/dictionary nesting accepted in .torrent bytes (real files use 3 or 4 levels).
MAX_BENCODE_DEPTH = 32


def bencode_depth(data: bytes, limit: int = MAX_BENCODE_DEPTH) -> int:
    """Nesting depth of bencoded ``data`` (BEP 3: ``i..e`` integers, ``N:`` strings, ``l``/``d`` ... ``e``),
    scanned without recursion and stopped past ``limit``; malformed input returns what was seen (torf then
    refuses it)."""
    depth = deepest = 0
    i, size = 0, len(data)
    while i < size:
        c = data[i]
        if c in (0x6C, 0x64):  # l, d
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
            i += 1
        elif c == 0x65:  # e
            depth -= 1
            i += 1
        elif c == 0x69:  # i...e
            end = data.find(b"e", i)
            if end < 0:
                break
            i = end + 1
        elif 0x30 <= c <= 0x39:  # N:bytes
            colon = data.find(b":", i)
            if colon < 0 or not data[i:colon].isdigit():
                break
            i = colon + 1 + int(data[i:colon])
        else:
            break
    return deepest


@dataclass(frozen=True)
class TorrentSource:
    """What to add: exactly one of a magnet URI or .torrent bytes; ``info_hash`` computed by torf."""

    info_hash: str
    name: str
    magnet: str | None = None
    torrent: bytes | None = None
    size: int | None = None

    @classmethod
    def from_magnet(cls, uri: str) -> TorrentSource:
        """Parse a ``magnet:?xt=urn:btih:...`` URI (hex or base32). Raises :class:`TorrentSourceError`."""
        try:
            magnet = torf.Magnet.from_string(uri.strip())
        except (torf.TorfError, ValueError) as exc:
            raise TorrentSourceError(N_("not a valid magnet link (%(reason)s)"), reason=str(exc)) from None
        return cls(info_hash=magnet.infohash.upper(), name=magnet.dn or magnet.infohash, magnet=str(magnet),
                   size=magnet.xl)

    @classmethod
    def from_torrent(cls, data: bytes) -> TorrentSource:
        """Parse .torrent bytes. Raises :class:`TorrentSourceError`."""
        if len(data) > MAX_TORRENT_BYTES:
            raise TorrentSourceError(N_("the .torrent is larger than %(limit)s bytes"), limit=MAX_TORRENT_BYTES)
        if bencode_depth(data) > MAX_BENCODE_DEPTH:
            raise TorrentSourceError(N_("not a valid .torrent file (nested deeper than %(limit)s levels)"),
                                     limit=MAX_BENCODE_DEPTH)
        try:
            parsed = torf.Torrent.read_stream(io.BytesIO(data), validate=True)
        except (torf.TorfError, ValueError) as exc:
            raise TorrentSourceError(N_("not a valid .torrent file (%(reason)s)"), reason=str(exc)) from None
        return cls(info_hash=parsed.infohash.upper(), name=parsed.name or parsed.infohash, torrent=data,
                   size=parsed.size)

    @classmethod
    def from_url(cls, url: str, timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
                 ) -> TorrentSource:
        """Fetch a .torrent URL server side (or follow it to a magnet). Raises an :class:`UpstreamError`
        or :class:`TorrentSourceError`."""
        if url.startswith("magnet:"):
            return cls.from_magnet(url)
        if not url.startswith(("http://", "https://")):
            raise TorrentSourceError(N_("the link must be http(s):// or magnet:"))
        session = MappedSession("Indexer download", timeout=timeout)
        with session:
            for _ in range(MAX_REDIRECTS + 1):
                response = session.get(url, allow_redirects=False, stream=True)
                with response:
                    if response.is_redirect:
                        location = response.headers.get("Location", "")
                        if location.startswith("magnet:"):
                            return cls.from_magnet(location)
                        url = urljoin(url, location)
                        continue
                    data = response.raw.read(MAX_TORRENT_BYTES + 1, decode_content=True)
                return cls.from_torrent(data)
        raise UpstreamBadResponse("Indexer download", "too many redirects")


@dataclass(frozen=True)
class TorrentFile:
    """A file of a torrent: ``path`` relative to the torrent's folder (``/`` separated), ``size`` bytes."""

    path: str
    size: int
    progress: float = 0.0


@dataclass(frozen=True)
class TorrentInfo:
    """A torrent in the client. ``state``: downloading, seeding, paused, checking, queued, error, stalled;
    ``progress`` 0..1; sizes in bytes; ``save_path`` the folder holding it, ``content_path`` its file or folder."""

    info_hash: str
    name: str
    state: str
    progress: float
    size: int
    downloaded: int
    ratio: float
    label: str
    save_path: str
    content_path: str
    complete: bool
    added_at: datetime | None = None
    completed_at: datetime | None = None
    download_speed: int = 0
    upload_speed: int = 0
    files: tuple[TorrentFile, ...] = field(default_factory=tuple)


class TorrentClient(ABC):
    """The operations MMS needs from a torrent client."""

    service: str

    @abstractmethod
    def add(self, source: TorrentSource, *, label: str, save_path: str | None = None) -> str:
        """Add and start; returns the info hash (upper case). Raises an :class:`UpstreamError`."""

    @abstractmethod
    def torrents(self, label: str | None = None) -> list[TorrentInfo]:
        """Every torrent (or those with ``label``), files not included."""

    @abstractmethod
    def torrent(self, info_hash: str, *, with_files: bool = True) -> TorrentInfo:
        """One torrent; raises :class:`UpstreamNotFound`."""

    @abstractmethod
    def remove(self, info_hash: str, *, delete_data: bool = False) -> None:
        """Remove a torrent, and its data only when asked."""

    @abstractmethod
    def test_connection(self) -> ConnectionReport:
        """Reach the client and report its version."""


def fetch_source(link: str | None = None, torrent: bytes | None = None,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)) -> TorrentSource:
    """A :class:`TorrentSource` from a magnet, a .torrent URL or uploaded .torrent bytes."""
    if torrent is not None:
        return TorrentSource.from_torrent(torrent)
    if not link:
        raise TorrentSourceError(N_("give a magnet link, a .torrent URL or a .torrent file"))
    return TorrentSource.from_url(link, timeout=timeout)
