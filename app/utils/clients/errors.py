"""The one exception tree of the upstream clients (drawn after httpx's).

::

    UpstreamError
    ├── UpstreamUnavailable      connection refused, DNS failure             -> API 502
    │   ├── UpstreamServerError  the service answered HTTP 5xx               -> API 502
    │   └── UpstreamTimeout      no answer within the client's timeout       -> API 504
    ├── UpstreamAuthError        credentials refused (401/403)               -> API 502
    │   └── UpstreamBotCheck     YouTube's "confirm you're not a bot": a cookies file is needed
    ├── HostKeyChanged           the SSH host key differs from the pinned one -> API 502
    ├── UpstreamNotFound         the item does not exist upstream (404)      -> API 404
    ├── UpstreamBadResponse      an answer that does not parse as expected   -> API 502
    └── VideoUnavailable         a video that is private, removed, age-restricted, live -> API 422

Every error names the ``service`` (human name, e.g. ``Sonarr``) and, for
authentication errors, the ``setting`` to fix (e.g. ``SONARR_API_KEY``).
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base class: ``service`` failed; ``message`` says how; ``setting`` names what to fix."""

    status_code = 502
    code = "upstream_error"

    def __init__(self, service: str, message: str, *, setting: str | None = None):
        self.service = service
        self.message = message
        self.setting = setting
        super().__init__(f"{service}: {message}")


class UpstreamUnavailable(UpstreamError):
    """The service could not be reached or answered with a server error (5xx)."""

    code = "upstream_unavailable"


class UpstreamServerError(UpstreamUnavailable):
    """The service answered with a server error (HTTP 5xx): it is up but failing."""

    code = "upstream_server_error"


class UpstreamTimeout(UpstreamUnavailable):
    """The service did not answer within the timeout (seconds, in the message)."""

    status_code = 504
    code = "upstream_timeout"


class UpstreamAuthError(UpstreamError):
    """The service refused the credentials; ``setting`` names the one to check."""

    code = "upstream_auth"

    def __init__(self, service: str, message: str = "", *, setting: str | None = None):
        hint = f"check the API key of {service}" if setting is None else f"check {setting} ({service})"
        super().__init__(service, f"{message}; {hint}" if message else hint, setting=setting)


class HostKeyChanged(UpstreamError):
    """The SSH server presented another host key than the one pinned on first use: ``pinned`` and
    ``presented`` are OpenSSH SHA-256 fingerprints. Nothing is sent until the user trusts the new key."""

    code = "host_key_changed"

    def __init__(self, service: str, host: str, pinned: str, presented: str):
        self.pinned, self.presented = pinned, presented
        super().__init__(service, f"the host key of {host} changed: pinned {pinned}, presented {presented}. "
                         "If you re-installed the seedbox, trust the new key on the Configuration page; "
                         "otherwise someone may be in the middle", setting="SFTP_HOST")


class UpstreamNotFound(UpstreamError):
    """The item asked for does not exist on the service."""

    status_code = 404
    code = "upstream_not_found"


class UpstreamBadResponse(UpstreamError):
    """The service answered something the client cannot read (wrong type, bad JSON/XML)."""

    code = "upstream_bad_response"


class UpstreamBotCheck(UpstreamAuthError):
    """YouTube answered "Sign in to confirm you're not a bot": nothing works until a cookies file of a
    signed-in browser is set (``TRAILER_COOKIES_FILE``); jobs pause on it."""

    code = "upstream_bot_check"


class VideoUnavailable(UpstreamError):
    """The video cannot be had: private, removed, age-restricted, a live or an upcoming one (``reason``
    says which)."""

    status_code = 422
    code = "video_unavailable"

    def __init__(self, service: str, reason: str, message: str):
        self.reason = reason
        super().__init__(service, message)
