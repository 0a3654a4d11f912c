"""plex.tv, for "sign in with Plex": the PIN flow and the account's servers.

Source: the Plex API spec (``shared/specs/plex/plex-api-spec-legacy-2025-10-dereferenced.yaml``, paths
``/pins`` and ``/pins/{pinID}`` on ``https://plex.tv/api/v2``; ``plex-api-spec.yaml``, ``/resources``) and
Plex's "Authenticating with Plex" forum guide for the app URL: ``POST /api/v2/pins?strong=true`` gives
``{"id", "code"}``; the user opens ``https://app.plex.tv/auth#?clientID=…&code=…``; ``GET /api/v2/pins/{id}``
answers ``authToken`` once they accepted; ``GET /api/v2/user`` is the account; ``GET /api/v2/resources`` lists
the servers it owns or that are shared with it (``clientIdentifier`` = a server's ``machineIdentifier``).
Every call sends ``X-Plex-Client-Identifier`` (persistent per MMS install) and ``X-Plex-Product``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from app.utils.clients.base import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, MappedSession
from app.utils.clients.errors import UpstreamBadResponse

SERVICE = "plex.tv"
PRODUCT = "MediaManagerSuite"


class PlexTvClient:
    """plex.tv at ``base_url`` (``https://plex.tv``), as the MMS install ``client_id``; ``auth_url`` is Plex's
    sign-in page (``https://app.plex.tv/auth``). Raises the typed ``UpstreamError``s."""

    def __init__(self, base_url: str, client_id: str, auth_url: str = "https://app.plex.tv/auth",
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)):
        self.base_url, self.client_id, self.auth_page = base_url.rstrip("/"), client_id, auth_url
        self.session = MappedSession(SERVICE, timeout=timeout)
        self.session.headers.update({"Accept": "application/json", "X-Plex-Client-Identifier": client_id,
                                     "X-Plex-Product": PRODUCT})

    def _json(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"X-Plex-Token": token} if token else {}
        response = self.session.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise UpstreamBadResponse(SERVICE, "the answer is not JSON") from None

    def create_pin(self) -> dict[str, Any]:
        """A new strong PIN: ``{"id": int, "code": str}``."""
        data = self._json("POST", "/api/v2/pins", params={"strong": "true"})
        if not isinstance(data, dict) or "id" not in data or not data.get("code"):
            raise UpstreamBadResponse(SERVICE, "no PIN in the answer")
        return {"id": int(data["id"]), "code": str(data["code"])}

    def auth_url(self, code: str, forward_url: str | None = None) -> str:
        """The Plex page where the user accepts the PIN ``code``."""
        params = {"clientID": self.client_id, "code": code, "context[device][product]": PRODUCT}
        if forward_url:
            params["forwardUrl"] = forward_url
        return f"{self.auth_page}#?{urlencode(params)}"

    def pin_token(self, pin_id: int) -> str | None:
        """The account token once the user accepted the PIN, else ``None``."""
        data = self._json("GET", f"/api/v2/pins/{int(pin_id)}")
        return (data or {}).get("authToken") or None

    def account(self, token: str) -> dict[str, Any]:
        """The account: ``{"id", "uuid", "username", "email", "thumb"}``."""
        data = self._json("GET", "/api/v2/user", token)
        if not isinstance(data, dict) or "id" not in data:
            raise UpstreamBadResponse(SERVICE, "no account in the answer")
        return {"id": int(data["id"]), "uuid": data.get("uuid"), "username": data.get("username") or data.get("title"),
                "email": data.get("email"), "thumb": data.get("thumb")}

    def server_ids(self, token: str) -> set[str]:
        """``clientIdentifier`` of every server the account owns or is shared."""
        data = self._json("GET", "/api/v2/resources", token, params={"includeHttps": 1})
        return {str(d.get("clientIdentifier")) for d in (data if isinstance(data, list) else [])
                if "server" in str(d.get("provides", "")).split(",")}
