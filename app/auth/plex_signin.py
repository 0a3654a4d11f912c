"""Sign in with Plex (plex.tv PIN flow), and linking a Plex account to an MMS account.

Only a Plex account that owns or is shared the configured server may sign in: its ``/api/v2/resources``
must list the home server's ``machineIdentifier`` (read from the server's ``/identity``). A Plex account
linked to an MMS account signs in as it; an unknown one gets an account with the role of
``PLEX_SIGNIN_ROLE``, or is refused when that setting says so. The PIN ids a browser started are kept in its
session, so a PIN cannot be completed from another browser.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import session

from app.extensions import managers
from app.utils.clients.plex import PlexClient
from app.utils.clients.plextv import PlexTvClient
from app.utils.messages import N_, Refusal
from app.utils.stores.user_manager import AccountError

CLIENT_ID_FILE = "plex_client_id"
PINS_KEPT = 5


class PlexSignInRefused(Refusal):
    """Sign-in with Plex refused (the message says why)."""

    code = "plex_signin_refused"
    status = 403


def client_id() -> str:
    """This MMS install's persistent ``X-Plex-Client-Identifier`` (``instance/plex_client_id``)."""
    path = managers().instance_path / CLIENT_ID_FILE
    if not path.exists():
        path.write_text(str(uuid.uuid4()))
    return path.read_text().strip()


def _plextv() -> PlexTvClient:
    settings = managers().settings.load()
    return PlexTvClient(settings.plex_tv_url, client_id(), settings.plex_auth_url)


def start() -> dict[str, Any]:
    """A new PIN for this browser: ``{"id", "url"}`` (the Plex page to open). Raises ``UpstreamError``."""
    client = _plextv()
    pin = client.create_pin()
    session["plex_pins"] = [*session.get("plex_pins", []), pin["id"]][-PINS_KEPT:]
    return {"id": pin["id"], "url": client.auth_url(pin["code"])}


def token_for(pin_id: int) -> str | None:
    """The Plex token once the user accepted the PIN (``None`` while waiting). Raises
    :class:`PlexSignInRefused` (404) for a PIN this browser did not start."""
    if pin_id not in session.get("plex_pins", []):
        raise PlexSignInRefused(N_("this Plex sign-in was not started here"), status=404)
    token = _plextv().pin_token(pin_id)
    if token:
        session["plex_pins"] = [p for p in session.get("plex_pins", []) if p != pin_id]
    return token


def _checked_account(token: str) -> dict[str, Any]:
    client = _plextv()
    account = client.account(token)
    settings = managers().settings.load()
    server = PlexClient.from_settings(settings).server()
    if str(server.machineIdentifier) not in client.server_ids(token):
        raise PlexSignInRefused(N_("the Plex account %(name)s has no access to the server %(server)s"),
                                name=account["username"], server=server.friendlyName)
    return account


def account_for(token: str) -> dict[str, Any]:
    """The MMS account a Plex token signs in as (made on first sign-in when the settings allow). Raises
    :class:`PlexSignInRefused` or ``UpstreamError``."""
    account = _checked_account(token)
    users = managers().users
    record = users.find_plex(account["id"])
    if record is not None:
        if record.get("disabled"):
            raise PlexSignInRefused(N_("this account is disabled"))
        return record
    role = managers().settings.load().plex_signin_role
    if role == "refuse":
        raise PlexSignInRefused(N_("no MMS account is linked to the Plex account %(name)s: ask an administrator"),
                                name=account["username"])
    return users.create_plex_user(account["id"], account["username"], role)


def link(username: str, token: str) -> dict[str, Any]:
    """Link the Plex account of ``token`` to ``username``: ``{"plex_username"}``. Raises
    :class:`PlexSignInRefused` or ``UpstreamError``."""
    account = _checked_account(token)
    try:
        managers().users.link_plex(username, account["id"], account["username"])
    except AccountError as exc:
        raise PlexSignInRefused(N_("%(reason)s"), reason=str(exc), status=409) from None
    return {"plex_username": account["username"]}
