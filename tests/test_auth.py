"""Login everywhere but the public endpoints, CSRF on state changes, throttled failures, cookies."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from app.auth.guard import PUBLIC_ENDPOINTS
from tests.conftest import ADMIN, ApiClient, create_admin, form_token


def _sample_url(rule: Rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "x", rule.rule)


def _protected_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC_ENDPOINTS]


@pytest.mark.parametrize("with_account", [False, True])
def test_every_route_needs_login(app, with_account: bool) -> None:
    client = app.test_client()
    if with_account:
        create_admin(client)
        client = app.test_client()  # a fresh browser, not logged in
    rules = _protected_rules(app)
    assert len(rules) > 20
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_sample_url(rule), method=method)
            if rule.rule.startswith("/api/"):
                assert response.status_code == 401, (rule.rule, method, response.status_code)
                assert response.json["error"]["code"] == "login_required"
            else:
                assert response.status_code == 302, (rule.rule, method, response.status_code)
                target = "/setup" if not with_account else "/login"
                assert response.location.startswith(target), (rule.rule, response.location)


def test_public_endpoints_answer_without_login(app) -> None:
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    for path in ("/static/css/theme.css", "/bootstrap/static/css/bootstrap.min.css"):
        with client.get(path) as response:
            assert response.status_code == 200
    assert client.get("/setup").status_code == 200


def test_setup_creates_hashed_admin_then_closes(app) -> None:
    client = app.test_client()
    assert create_admin(client).status_code == 302
    record = app.extensions["mms"].users.get(ADMIN[0])
    assert ADMIN[1] not in record["password_hash"] and record["password_hash"].startswith(("scrypt:", "pbkdf2:"))
    assert client.get("/setup").location.endswith("/login")  # no second setup
    second = app.test_client()
    response = second.post("/setup", data={"csrf_token": "x", "username": "eve", "password": "p" * 10,
                                           "password_confirm": "p" * 10})
    assert response.status_code in (302, 400)
    assert app.extensions["mms"].users.get("eve") is None


def test_login_logout_and_safe_next(app) -> None:
    create_admin(app.test_client())
    client = app.test_client()
    token = form_token(client.get("/login").text)
    bad = client.post("/login", data={"csrf_token": token, "username": "admin", "password": "wrong-one"})
    assert bad.status_code == 401
    good = client.post("/login?next=//evil.example/x", data={"csrf_token": token, "username": ADMIN[0],
                                                             "password": ADMIN[1]})
    assert good.status_code == 302 and good.location == "/"
    assert client.get("/jobs").status_code == 200
    api = ApiClient(client)
    assert api.call("POST", "/logout").status_code == 302
    assert client.get("/jobs").status_code == 302


def test_failed_logins_are_rate_limited(make_app) -> None:
    app = make_app(LOGIN_MAX_FAILURES=3, LOGIN_WINDOW_S=600)
    create_admin(app.test_client())
    client = app.test_client()
    token = form_token(client.get("/login").text)
    codes = [client.post("/login", data={"csrf_token": token, "username": "admin", "password": f"bad{i}"}
                         ).status_code for i in range(3)]
    assert codes == [401, 401, 401]
    blocked = client.post("/login", data={"csrf_token": token, "username": ADMIN[0], "password": ADMIN[1]})
    assert blocked.status_code == 429  # even the right password waits
    assert client.get("/jobs").status_code == 302


def test_state_change_without_csrf_token_is_refused(api) -> None:
    client = api.client
    no_token = client.put("/api/settings", json={"values": {"backup_keep": 2}})
    assert no_token.status_code == 400 and no_token.json["error"]["code"] == "csrf_failed"
    assert client.post("/api/backups").status_code == 400
    assert client.post("/api/jobs/backup/run").status_code == 400
    wrong = client.put("/api/settings", json={"values": {"backup_keep": 2}}, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    assert client.post("/logout").status_code in (302, 400)
    assert client.get("/jobs").status_code == 200  # the logout without token did not happen
    assert api.call("PUT", "/api/settings", json={"values": {"backup_keep": 2}}).status_code == 200


def test_session_cookie_flags(app) -> None:
    client = app.test_client()
    response = create_admin(client)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_admin_password_from_environment(make_app, monkeypatch) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", "from-the-env-123")
    app = make_app()
    client = app.test_client()
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "username": "admin", "password": "from-the-env-123"})
    assert response.status_code == 302 and response.location == "/"


def test_api_never_answers_html_500(make_app) -> None:
    app = make_app(LOGIN_DISABLED=True, WTF_CSRF_ENABLED=False)

    @app.get("/api/_boom")
    def _boom():
        raise RuntimeError("kaput")

    client = app.test_client()
    response = client.get("/api/_boom")
    assert response.status_code == 500 and response.is_json
    assert response.json["error"]["code"] == "internal_error"
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong_method = client.delete("/api/settings")
    assert wrong_method.status_code == 405 and wrong_method.is_json
