"""URL rules that keep secrets with their hosts.

- :func:`same_host`: a stored secret (API key, token, password) is only used with the host it was saved
  for; a new host needs the secret typed again.
- :func:`public_url`: a URL shown to the browser never carries a passkey or an API key.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameters that carry credentials on trackers, Prowlarr, Jackett and Plex (case-insensitive).
SECRET_PARAMS = frozenset({"apikey", "api_key", "api-key", "passkey", "pass_key", "torrent_pass", "authkey",
                           "auth", "token", "x-plex-token", "key", "secret", "sid", "rsskey", "jackett_apikey",
                           "password", "pass", "uid"})
#: A path segment that looks like a credential (a long hex or base64url run).
_TOKEN_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{24,}$")


def host_of(url: str) -> tuple[str, int | None]:
    """``(host, port)`` of a URL, host lower-cased, ``("", None)`` when there is none. A URL without a
    scheme is read as ``host[:port]`` (the SFTP host setting)."""
    if not url:
        return "", None
    parts = urlsplit(url if "://" in url else f"//{url}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port


def same_host(old: str, new: str) -> bool:
    """Whether two URLs (or host names) name the same host and port."""
    return host_of(old) == host_of(new)


def public_url(url: str | None) -> str | None:
    """``url`` without its credentials, for the browser: secret query parameters and user info removed;
    ``None`` when it is not http(s) or a path segment looks like a key (a tracker's
    ``/download/<passkey>/``), since nothing safe is left to link to."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if any(_TOKEN_SEGMENT.match(segment) for segment in parts.path.split("/")):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS]
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))
