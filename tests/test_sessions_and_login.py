"""Sessions that can be revoked, a login throttle that cannot lock the owner out, recovery from corrupt
stores without editing files (issue 10, items 4, 8, 10)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.auth.service import LoginThrottle, check_login
from app.utils.stores.json_store import SHARED_RECHECK_S
from app.utils.stores.user_manager import UserManager
from tests.conftest import ADMIN, ApiClient, create_admin, form_token
from tests.waiting import wait_for


def _login(app, password: str = ADMIN[1], remember: bool = False, address: str = "127.0.0.1"):
    client = app.test_client()
    token = form_token(client.get("/login").text)
    data = {"csrf_token": token, "username": ADMIN[0], "password": password}
    if remember:
        data["remember"] = "on"
    response = client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})
    return client, response


def _remember_cookie(client):
    return client.get_cookie("remember_token")


def test_logout_ends_every_session_and_remember_cookie(app) -> None:
    create_admin(app.test_client())
    first, ok = _login(app, remember=True)
    assert ok.status_code == 302
    remembered = _remember_cookie(first)
    assert remembered is not None and remembered.http_only
    second, _ = _login(app)
    assert first.get("/jobs").status_code == 200 and second.get("/jobs").status_code == 200
    stored = json.dumps(app.extensions["mms"].users.get(ADMIN[0]))
    assert remembered.value.split("|")[0].rpartition(":")[2] not in stored  # only hashes are stored
    assert ApiClient(second).call("POST", "/logout").status_code == 302
    assert first.get("/jobs").status_code == 302  # the other browser is logged out too
    # a stolen remember-me cookie, replayed alone in a new browser, opens nothing any more
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered.value)
    assert thief.get("/jobs").status_code == 302


def test_a_password_change_ends_every_session(app) -> None:
    create_admin(app.test_client())
    first, _ = _login(app)
    second, _ = _login(app)
    api = ApiClient(second)
    sessions = api.call("GET", "/api/account/sessions").json["sessions"]
    assert len(sessions) == 3 and sessions[0]["address"] == "127.0.0.1"  # setup + two logins
    wrong = api.call("POST", "/api/account/password", json={"current": "nope-nope", "new": "brand new password"})
    assert wrong.status_code == 422 and first.get("/jobs").status_code == 200
    short = api.call("POST", "/api/account/password", json={"current": ADMIN[1], "new": "short"})
    assert short.status_code == 422
    changed = api.call("POST", "/api/account/password", json={"current": ADMIN[1], "new": "brand new password"})
    assert changed.status_code == 200
    assert first.get("/jobs").status_code == 302 and second.get("/jobs").status_code == 302
    assert _login(app, "brand new password")[1].status_code == 302
    assert _login(app, ADMIN[1])[1].status_code == 401


def test_an_admin_password_reset_from_the_environment_ends_every_session(make_app, monkeypatch) -> None:
    app = make_app()
    create_admin(app.test_client())
    client, _ = _login(app, remember=True)
    assert client.get("/jobs").status_code == 200
    monkeypatch.setenv("ADMIN_PASSWORD", "reset from the env")
    again = make_app()  # a restart with ADMIN_PASSWORD set, on the same instance folder and key
    assert again.extensions["mms"].users.verify(ADMIN[0], "reset from the env")
    # the first app (still running here, as another process would) sees it within SHARED_RECHECK_S
    wait_for(lambda: client.get("/jobs").status_code == 302, timeout=SHARED_RECHECK_S * 4,
             what="the old session to end")


def test_remember_cookie_is_secure_when_the_session_cookie_is(make_app) -> None:
    app = make_app(SESSION_COOKIE_SECURE=True)
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_throttle_backs_off_exponentially_per_account_and_per_address() -> None:
    now = [1000.0]
    throttle = LoginThrottle({"LOGIN_MAX_FAILURES": 3, "LOGIN_WINDOW_S": 900, "LOGIN_BACKOFF_BASE_S": 10,
                              "LOGIN_BACKOFF_MAX_S": 60}, clock=lambda: now[0])
    keys = ["account:admin", "address:10.0.0.9"]
    assert [throttle.reserve(keys) for _ in range(3)] == [0, 0, 0]
    assert throttle.reserve(keys) == 10  # the 4th try waits 10 s
    now[0] += 10
    assert throttle.reserve(keys) == 0
    assert throttle.reserve(keys) == 20  # doubled
    now[0] += 20
    assert throttle.reserve(keys) == 0
    now[0] += 1
    assert throttle.reserve(keys) == 39  # 40 s, one already gone
    now[0] += 2000  # a quiet window forgets everything
    assert throttle.reserve(keys) == 0
    throttle.success(keys)
    assert throttle.reserve(["account:other", "address:10.0.0.9"]) == 0


def test_concurrent_tries_get_at_most_the_allowed_password_checks(tmp_path) -> None:
    users = UserManager(tmp_path)
    users.create_admin("admin", "the right password")
    checks = []
    lock = threading.Lock()
    verify = users.verify

    def counting(name, password):
        with lock:
            checks.append(name)
        return verify(name, password)

    users.verify = counting
    throttle = LoginThrottle({"LOGIN_MAX_FAILURES": 5, "LOGIN_WINDOW_S": 900, "LOGIN_BACKOFF_BASE_S": 60,
                              "LOGIN_BACKOFF_MAX_S": 900})
    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(lambda i: check_login(users, throttle, "admin", f"wrong {i}", "10.1.1.1"),
                                range(40)))
    assert len(checks) == 5
    assert sum(r.error == "too_many" for r in results) == 35


def test_unknown_users_cost_a_hash_check_too(tmp_path) -> None:
    users = UserManager(tmp_path)
    users.create_admin("admin", "the right password")
    import werkzeug.security

    calls = []
    original = werkzeug.security.check_password_hash

    def spy(hash_, password):
        calls.append(hash_)
        return original(hash_, password)

    import app.utils.stores.user_manager as um

    um.check_password_hash = spy
    try:
        assert users.verify("nobody", "whatever it is") is None
        assert users.verify("admin", "whatever it is") is None
    finally:
        um.check_password_hash = original
    assert len(calls) == 2


def test_the_login_page_says_when_to_try_again(make_app) -> None:
    app = make_app(LOGIN_MAX_FAILURES=2, LOGIN_BACKOFF_BASE_S=120)
    create_admin(app.test_client())
    for _ in range(2):
        assert _login(app, "wrong password!")[1].status_code == 401
    _client, blocked = _login(app)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "120"
    assert "2 min" in blocked.text
    # another address is not blocked for another account... but this account waits everywhere
    assert _login(app, address="10.9.9.9")[1].status_code == 429


def test_trusted_proxy_gives_the_real_client_address(make_app, monkeypatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = make_app(LOGIN_MAX_FAILURES=1, LOGIN_BACKOFF_BASE_S=600)
    create_admin(app.test_client())
    client = app.test_client()
    token = form_token(client.get("/login").text)
    for forwarded, password in (("203.0.113.7", "bad password 1"),):
        client.post("/login", data={"csrf_token": token, "username": "someone", "password": password},
                    headers={"X-Forwarded-For": forwarded})
    # the failure counted against 203.0.113.7, not the proxy's address: another client still gets in
    ok = client.post("/login", data={"csrf_token": token, "username": ADMIN[0], "password": ADMIN[1]},
                     headers={"X-Forwarded-For": "198.51.100.2"})
    assert ok.status_code == 302
    blocked = app.test_client()
    token = form_token(blocked.get("/login").text)
    again = blocked.post("/login", data={"csrf_token": token, "username": "x", "password": "y"},
                         headers={"X-Forwarded-For": "203.0.113.7"})
    assert again.status_code == 429


@pytest.mark.parametrize("name", ["settings.json", "secret.json", "users.json", "job_runs.json"])
def test_a_corrupt_store_never_stops_the_app_nor_locks_the_admin_out(make_app, monkeypatch, name) -> None:
    app = make_app()
    create_admin(app.test_client())
    instance = app.extensions["mms"].instance_path
    app.extensions["mms"].job_runs.start("backup", "manual")
    (instance / name).write_bytes(b"{half a file")
    monkeypatch.setenv("ADMIN_PASSWORD", "recovery password")
    again = make_app()  # starts: no traceback
    client = again.test_client()
    token = form_token(client.get("/login").text)
    ok = client.post("/login", data={"csrf_token": token, "username": "admin", "password": "recovery password"})
    assert ok.status_code == 302, ok.text[:500]
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    if name in ("settings.json", "job_runs.json"):
        assert name.removesuffix(".json") in dashboard.text
        assert ApiClient(client).call("GET", "/api/health").json["status"] == "degraded"
    else:  # repaired at start, reported
        assert name in dashboard.text
    assert any(p.name.startswith(name) for p in (instance / "corrupt").iterdir())
