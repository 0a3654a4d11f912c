"""The remote image proxy: posters from TMDB, TheTVDB and *arr lookups, shown through MMS.

The browser's CSP allows images from MMS only, and a page must not make the browser call third parties.
So a page gets :func:`proxied` URLs (``/img/remote?u=<url>&s=<signature>``) and MMS fetches the image:
only URLs it signed itself, only on the image hosts of :func:`allowed_hosts`, at most
:data:`app.utils.images.MAX_IMAGE_BYTES`, checked by Pillow, kept in a bounded in-memory cache.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, url_for

from app.extensions import managers
from app.utils.images import ImageCache, ImageRefused, fetch_image, sign_url, signature_valid
from app.utils.settings_schema import N_

#: Image hosts of the services MMS looks media up in (TMDB's and TheTVDB's CDNs, YouTube's thumbnails).
KNOWN_IMAGE_HOSTS = frozenset({"image.tmdb.org", "artworks.thetvdb.com", "i.ytimg.com"})
#: TMDB's public image server, as it appears in the URLs Sonarr/Radarr lookups return.
TMDB_IMAGE_BASE = "https://image.tmdb.org/t/p"

_cache = ImageCache()
#: Seconds a URL that could not be fetched is not tried again (a CDN that is down costs one timeout).
FAILURE_TTL_S = 600.0
_failures: dict[str, float] = {}


def allowed_hosts() -> frozenset[str]:
    """Hosts the proxy fetches from: the known CDNs and the configured TMDB image server."""
    configured = urlsplit(managers().settings.load().tmdb_image_url).hostname
    return KNOWN_IMAGE_HOSTS | ({configured} if configured else set())


def tmdb_image(path: str | None, size: str = "w185") -> str | None:
    """The URL of a TMDB image path (``/abc.jpg``) at ``size`` on the configured image server, or ``None``."""
    if not path:
        return None
    return f"{managers().settings.load().tmdb_image_url}/{size}/{path.lstrip('/')}"


def sized(url: str | None, size: str = "w185") -> str | None:
    """A TMDB ``original`` URL (as Sonarr/Radarr give it) at a thumbnail ``size`` on the configured image
    server; other URLs unchanged."""
    if not url:
        return None
    if url.startswith(TMDB_IMAGE_BASE + "/"):
        rest = url[len(TMDB_IMAGE_BASE) + 1:].split("/", 1)
        if len(rest) == 2:
            return tmdb_image(rest[1], size)
    return url


def proxied(url: str | None) -> str | None:
    """The MMS URL that serves ``url`` through the proxy (signed), or ``None`` for no image or a host the
    proxy does not fetch from."""
    if not url or urlsplit(url).hostname not in allowed_hosts():
        return None
    return url_for("core.remote_image", u=url, s=sign_url(url, current_app.secret_key))


def remote_image(url: str, signature: str) -> tuple[bytes, str]:
    """The image at a signed ``url``: ``(bytes, mime)``. Raises :class:`ImageRefused` for a bad signature or a
    host outside :func:`allowed_hosts`, :class:`ImageUnavailable` for a download that failed (now or less than
    :data:`FAILURE_TTL_S` ago) or is not an accepted image."""
    if not signature_valid(url, signature, current_app.secret_key):
        raise ImageRefused(N_("This image address was not issued by MMS."))
    if urlsplit(url).hostname not in allowed_hosts():
        raise ImageRefused(N_("MMS does not fetch images from this host."))
    cached = _cache.get(url)
    if cached is not None:
        return cached
    failed_at = _failures.get(url)
    if failed_at is not None and time.monotonic() - failed_at < FAILURE_TTL_S:
        raise ImageUnavailable(N_("This image could not be downloaded a moment ago."))
    try:
        data, info = fetch_image(url)
    except ImageRefused as exc:
        if len(_failures) > 10_000:
            _failures.clear()
        _failures[url] = time.monotonic()
        raise ImageUnavailable(exc.msgid, **exc.params) from None
    _cache.put(url, data, info.mime)
    return data, info.mime


class ImageUnavailable(ImageRefused):
    """A signed image that could not be fetched or is not an image: pages show a placeholder instead."""
