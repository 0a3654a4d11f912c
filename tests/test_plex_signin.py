"""Sign in with Plex (issue 17, item 2) through a plex.tv emulator: the PIN flow with a persistent client
identifier, only accounts that share the configured server (matched on its machineIdentifier), the role of
new Plex users from the settings (or refused), a PIN bound to the browser that started it, and an admin
linking their own Plex account."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import CSRF_RE, ApiClient, create_admin
from tests.emulators.plex import MACHINE_ID, PlexEmulator
from tests.emulators.plextv import PlexTvEmulator


@pytest.fixture
def plex_setup(make_app):
    with PlexEmulator() as plex, PlexTvEmulator() as plextv:
        app = make_app(WTF_CSRF_ENABLED=True)
        app.extensions["mms"].settings.save({"plex_url": plex.url, "plex_token": plex.token,
                                             "plex_tv_url": plextv.url, "plex_auth_url": f"{plextv.url}/auth"})
        admin = app.test_client()
        create_admin(admin)
        yield app, plextv, ApiClient(admin)


def _browser(app) -> ApiClient:
    """A logged-out browser with the login page's CSRF token."""
    client = app.test_client()
    api = ApiClient.__new__(ApiClient)
    api.client, api.token = client, CSRF_RE.search(client.get("/login").text).group(1)
    return api


def _sign_in(app, plextv: PlexTvEmulator, token: str, browser: ApiClient | None = None):
    browser = browser or _browser(app)
    pin = browser.call("POST", "/api/auth/plex/pin", json={}).json
    query = parse_qs(urlsplit(pin["url"]).fragment[1:])
    assert pin["url"].startswith(f"{plextv.url}/auth#?") and query["context[device][product]"] == ["MediaManagerSuite"]
    assert browser.call("POST", f"/api/auth/plex/pin/{pin['id']}/check", json={}).json == {"done": False}
    plextv.approve(query["code"][0], token)
    return browser, browser.call("POST", f"/api/auth/plex/pin/{pin['id']}/check?next=/search", json={})


def test_a_shared_account_signs_in_and_gets_the_default_role(plex_setup) -> None:
    app, plextv, _admin = plex_setup
    julie = plextv.add_account(42, "julie", ["another-server", MACHINE_ID])
    browser, done = _sign_in(app, plextv, julie)
    assert done.json == {"done": True, "next": "/search"}
    assert browser.client.get("/account").status_code == 200
    record = app.extensions["mms"].users.get("julie")
    assert (record["role"], record["plex_id"]) == ("user", 42)
    # the same Plex account signs in as the same MMS account; the client identifier stays the same
    client_ids = {pin["clientIdentifier"] for pin in plextv.pins.values()}
    _browser2, again = _sign_in(app, plextv, julie)
    assert again.json["done"] and len(app.extensions["mms"].users.users()) == 2
    assert {pin["clientIdentifier"] for pin in plextv.pins.values()} == client_ids and len(client_ids) == 1


def test_an_account_without_the_server_is_refused(plex_setup) -> None:
    app, plextv, _admin = plex_setup
    bob = plextv.add_account(43, "bob", ["someone-elses-server"])
    browser, refused = _sign_in(app, plextv, bob)
    assert refused.status_code == 403 and "n'a pas accès au serveur Salon" in refused.json["error"]["message"]
    assert app.extensions["mms"].users.get("bob") is None
    assert browser.client.get("/account").status_code in (302, 303)


def test_new_plex_users_refused_by_the_settings_and_pins_bound_to_their_browser(plex_setup) -> None:
    app, plextv, _admin = plex_setup
    app.extensions["mms"].settings.save({"plex_signin_role": "refuse"})
    zoe = plextv.add_account(44, "zoe", [MACHINE_ID])
    _browser1, refused = _sign_in(app, plextv, zoe)
    assert refused.status_code == 403 and "demandez à un administrateur" in refused.json["error"]["message"]
    starter, thief = _browser(app), _browser(app)
    pin = starter.call("POST", "/api/auth/plex/pin", json={}).json
    assert thief.call("POST", f"/api/auth/plex/pin/{pin['id']}/check", json={}).status_code == 404


def test_the_admin_links_a_plex_account_and_signs_in_with_it(plex_setup) -> None:
    app, plextv, admin = plex_setup
    own = plextv.add_account(7, "proprio", [MACHINE_ID])
    pin = admin.call("POST", "/api/auth/plex/pin", json={}).json
    code = re.search(r"code=([0-9a-f]+)", pin["url"]).group(1)
    plextv.approve(code, own)
    linked = admin.call("POST", f"/api/account/plex/pin/{pin['id']}/check", json={})
    assert linked.json == {"done": True, "plex_username": "proprio"}
    assert "Lié au compte Plex proprio" in admin.client.get("/account").text
    browser, done = _sign_in(app, plextv, own)
    assert done.json["done"] and browser.client.get("/users").status_code == 200  # signed in as the admin
    assert len(app.extensions["mms"].users.users()) == 1
