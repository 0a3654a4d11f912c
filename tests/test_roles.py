"""Users and roles (issue 17, item 1): every endpoint is in the one role table, and every route answers each
role as the table says (403 below its role, anything but 403 from it on); accounts are managed by admins, a
disabled account or a changed role ends its sessions, the last admin cannot be demoted."""

from __future__ import annotations

import re

import pytest

from app.auth.roles import ROUTE_ROLES, allows
from tests.conftest import ApiClient, create_admin, form_token

ROLES = ("user", "power", "admin")
#: Routes whose call changes the session itself (logging out): checked for their refusal only.
SESSION_ENDING = {"auth.logout", "auth.api_change_password"}


def _client(app, role: str) -> ApiClient:
    client = app.test_client()
    if role == "admin":
        create_admin(client)
    else:
        app.extensions["mms"].users.create_user(role, "a-long-password", role)
        assert _log_in(client, role, "a-long-password").status_code in (302, 303)
    return ApiClient(client)


def _log_in(client, name: str, password: str):
    return client.post("/login", data={"csrf_token": form_token(client.get("/login").text), "username": name,
                                       "password": password})


def test_every_endpoint_is_in_the_role_table(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTE_ROLES) == set()
    assert set(ROUTE_ROLES) - endpoints == set()


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(make_app, role: str) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    admin = _client(app, "admin")  # the first account is the admin
    client = admin if role == "admin" else _client(app, role)
    wrong: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if ROUTE_ROLES[rule.endpoint] == "public" or rule.endpoint in SESSION_ENDING:
            continue
        url = re.sub(r"<(?:([^:>]+):)?([^>]+)>", lambda m: "1" if m.group(1) in ("int", "float") else "x", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            expected_forbidden = not allows(role, rule.endpoint)
            if not expected_forbidden and method != "GET":
                continue  # allowed changes are tested by their features; here only refusals must hold
            answer = client.call(method, url, json={})
            if (answer.status_code == 403) != expected_forbidden:
                wrong.append(f"{method} {url} ({ROUTE_ROLES[rule.endpoint]}): {answer.status_code}")
            elif expected_forbidden and url.startswith("/api/") and answer.json["error"]["code"] != "forbidden":
                wrong.append(f"{method} {url}: {answer.json['error']['code']}")
    assert wrong == []


def test_admins_manage_accounts_and_sessions_follow(make_app) -> None:
    app = make_app()
    admin = _client(app, "admin")
    created = admin.call("POST", "/api/users", json={"username": "marie", "password": "un-mot-de-passe",
                                                     "role": "user"})
    assert created.status_code == 201 and created.json["role"] == "user" and "password_hash" not in created.text
    assert admin.call("POST", "/api/users", json={"username": "marie", "password": "un-mot-de-passe"}).status_code \
        == 422
    marie = app.test_client()
    assert _log_in(marie, "marie", "un-mot-de-passe").status_code in (302, 303)
    assert marie.get("/search").status_code == 403 and "Votre rôle" in marie.get("/search").text
    assert marie.get("/account").status_code == 200
    # promoted: her sessions end, she logs in again and may search
    assert admin.call("PUT", "/api/users/marie", json={"role": "power"}).json["role"] == "power"
    assert marie.get("/api/users").status_code == 401
    _log_in(marie, "marie", "un-mot-de-passe")
    assert marie.get("/search").status_code == 200
    # disabled: no session, no login
    admin.call("PUT", "/api/users/marie", json={"disabled": True})
    assert marie.get("/search").status_code in (302, 303)
    assert _log_in(marie, "marie", "un-mot-de-passe").status_code == 401  # the login page: refused
    # the last admin stays an admin
    refused = admin.call("PUT", "/api/users/admin", json={"role": "user"})
    assert refused.status_code == 422 and "dernier" in refused.json["error"]["message"]
    assert admin.call("DELETE", "/api/users/admin").status_code == 422
    assert admin.call("DELETE", "/api/users/marie").status_code == 204
    assert admin.call("PUT", "/api/users/marie", json={"role": "user"}).status_code == 404


def test_a_user_sets_language_and_ends_another_session(make_app) -> None:
    app = make_app()
    _client(app, "admin")
    app.extensions["mms"].users.create_user("paul", "a-long-password", "user")
    phone, laptop = ApiClient(_login(app, "paul")), ApiClient(_login(app, "paul"))
    sessions = phone.client.get("/api/account/sessions").json["sessions"]
    assert len(sessions) == 2
    assert laptop.call("PUT", "/api/account", json={"language": "en"}).status_code == 200
    assert "My account" in laptop.client.get("/account").text
    other = [s["id"] for s in sessions][-1]
    assert laptop.call("DELETE", f"/api/account/sessions/{other}").json == {"revoked": True}
    answers = [phone.client.get("/api/account/sessions").status_code, laptop.client.get("/api/account/sessions")
               .status_code]
    assert sorted(answers) == [200, 401]  # exactly one of the two sessions ended


def _login(app, name: str):
    client = app.test_client()
    _log_in(client, name, "a-long-password")
    return client
