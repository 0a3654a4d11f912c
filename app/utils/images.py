"""Images that MMS shows or sends on: checked with Pillow, size-limited, fetched server side.

Used by the remote image proxy (posters of TMDB, TheTVDB and *arr lookups shown in the browser, whose
CSP only allows images from MMS itself) and by the Plex artwork upload (an image is checked before it
reaches Plex). Only JPEG, PNG and WebP pass; anything else raises :class:`ImageRefused` with a
translatable reason (``msgid`` + ``params``).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from io import BytesIO
from urllib.parse import urlsplit

import requests
from PIL import Image, UnidentifiedImageError

from app.utils.messages import N_, Refusal

#: Largest image accepted, in bytes (a download stops reading past it).
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: Largest image accepted, in pixels (width x height): a small file can decode to gigabytes.
MAX_IMAGE_PIXELS = 60_000_000
#: Pillow format name -> MIME type of the formats accepted.
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
#: Seconds to connect and to wait for each read of a remote image.
FETCH_TIMEOUT_S = (3.05, 10.0)


class ImageRefused(Refusal):
    """The data is not an acceptable image: ``msgid`` (translatable, with ``%(name)s`` places) and ``params``."""

    code = "image_refused"


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`inspect_image` read: Pillow ``format`` (JPEG/PNG/WEBP), ``mime``, ``width`` and ``height``
    in pixels, ``size`` in bytes."""

    format: str
    mime: str
    width: int
    height: int
    size: int

    @property
    def extension(self) -> str:
        """File extension without the dot (``jpg``, ``png``, ``webp``)."""
        return {"JPEG": "jpg"}.get(self.format, self.format.lower())


def inspect_image(data: bytes, max_bytes: int = MAX_IMAGE_BYTES) -> ImageInfo:
    """Decode ``data`` with Pillow and return its format and dimensions.

    Raises :class:`ImageRefused` for an empty or too large file (bytes), a format other than JPEG/PNG/WebP,
    more than :data:`MAX_IMAGE_PIXELS` pixels, or data that does not decode (truncated, corrupt).
    """
    if not data:
        raise ImageRefused(N_("The file is empty."))
    if len(data) > max_bytes:
        raise ImageRefused(N_("The image is larger than %(limit)s MB."), limit=max_bytes // (1024 * 1024))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:
                fmt, (width, height) = image.format or "", image.size
                if fmt not in IMAGE_FORMATS:
                    raise ImageRefused(N_("Only JPEG, PNG and WebP images are accepted (this one is %(format)s)."),
                                       format=fmt or "?")
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageRefused(N_("The image is too large (%(width)s × %(height)s pixels)."),
                                       width=width, height=height)
                image.load()  # decodes every pixel: a truncated or corrupt file fails here
    except ImageRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(N_("This file is not an image MMS can read (JPEG, PNG or WebP).")) from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRefused(N_("The image is damaged or truncated.")) from None
    return ImageInfo(fmt, IMAGE_FORMATS[fmt], width, height, len(data))


def fetch_image(url: str, *, max_bytes: int = MAX_IMAGE_BYTES, headers: dict[str, str] | None = None,
                session: requests.Session | None = None) -> tuple[bytes, ImageInfo]:
    """GET an ``http(s)`` image URL server side and check it with :func:`inspect_image`.

    Reads at most ``max_bytes + 1`` bytes (the body is streamed, a larger one is refused without being read
    whole); redirects are not followed. Raises :class:`ImageRefused` for another scheme, an HTTP error, a
    body that is not an accepted image, or a network failure (reason in ``params["detail"]``).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImageRefused(N_("Only http and https image addresses are accepted."))
    getter = session or requests
    try:
        response = getter.get(url, headers=headers or {}, stream=True, timeout=FETCH_TIMEOUT_S,
                              allow_redirects=False)
        with response:
            if response.status_code != 200:
                raise ImageRefused(N_("The image server answered HTTP %(http)s."), http=response.status_code)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ImageRefused(N_("The image is larger than %(limit)s MB."), limit=max_bytes // (1024 * 1024))
            data = response.raw.read(max_bytes + 1, decode_content=True)
    except requests.RequestException as exc:
        raise ImageRefused(N_("The image could not be downloaded (%(detail)s)."),
                           detail=type(exc).__name__) from None
    return data, inspect_image(data, max_bytes)


def sign_url(url: str, key: str | bytes) -> str:
    """HMAC-SHA256 of ``url`` under ``key`` (hex, 32 characters): the proxy fetches only URLs MMS signed,
    so it cannot be used to reach arbitrary hosts of the LAN."""
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, url.encode(), hashlib.sha256).hexdigest()[:32]


def signature_valid(url: str, signature: str, key: str | bytes) -> bool:
    """Whether ``signature`` is :func:`sign_url` of ``url`` (constant-time comparison)."""
    return hmac.compare_digest(sign_url(url, key), signature or "")


class ImageCache:
    """A thread-safe LRU of checked images, bounded in bytes: ``url -> (data, mime)``."""

    def __init__(self, max_bytes: int = 48 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, url: str) -> tuple[bytes, str] | None:
        """The cached image, or ``None``."""
        with self._lock:
            found = self._items.get(url)
            if found is not None:
                self._items.move_to_end(url)
            return found

    def put(self, url: str, data: bytes, mime: str) -> None:
        """Keep an image, dropping the least recently used ones beyond ``max_bytes``."""
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(url, None)
            if old is not None:
                self._size -= len(old[0])
            self._items[url] = (data, mime)
            self._size += len(data)
            while self._size > self.max_bytes:
                _url, (dropped, _mime) = self._items.popitem(last=False)
                self._size -= len(dropped)
