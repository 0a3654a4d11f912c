"""Headers every response carries: no framing (clickjacking), no MIME sniffing, a Content Security Policy
the pages satisfy (scripts and styles from MMS only; Bootstrap and its icons are served locally), no
Referer to other sites.

Sources: MDN "Content-Security-Policy", OWASP "Clickjacking Defense Cheat Sheet".
"""

from __future__ import annotations

from flask import Flask, Response

#: The policy: everything from MMS itself; images also as data: URLs (Bootstrap's SVG icons in CSS);
#: ``style-src 'unsafe-inline'`` only for ``style=""`` attributes (no inline script is allowed); frames only
#: from YouTube's no-cookie player (a trailer preview, loaded when the user asks for it).
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src https://www.youtube-nocookie.com",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def install_security_headers(app: Flask) -> None:
    """Add :data:`HEADERS` to every response (a view may set its own stricter value first)."""

    items = tuple((name.lower(), name, value) for name, value in HEADERS.items())

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        present = {key.lower() for key, _value in headers.items()}  # one pass; a miss in Headers raises
        for lower, name, value in items:
            if lower not in present:
                headers.add(name, value)
        return response
