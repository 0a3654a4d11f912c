"""The audit log (issue 17, item 6): every endpoint that changes something is audited (a test fails when a
new one is in neither table), sign-ins with their outcome, setting names but never their values, filters,
rotation, the page in French."""

from __future__ import annotations

from app.audit import service


def test_every_changing_endpoint_is_audited_or_declared_a_read(app) -> None:
    changing = {rule.endpoint for rule in app.url_map.iter_rules()
                if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    assert changing - set(service.AUDITED) - service.READS == set()
    assert set(service.AUDITED) - changing == set()  # no stale entry
    assert not set(service.AUDITED) & service.READS


def test_actions_are_recorded_with_who_and_what(api, app) -> None:
    from tests.conftest import form_token

    client = app.test_client()
    api.call("PUT", "/api/settings", json={"values": {"tmdb_api_key": "s3cr3t-key", "ranking": "language"}})
    api.call("POST", "/api/upgrades/rules", json={"name": "x", "kind": "language", "from_values": ["VO"],
                                                  "to_values": ["MULTI"], "id": "mine"})
    api.call("DELETE", "/api/upgrades/rules/nope")  # refused: recorded as failed
    api.call("POST", "/api/search", json={"query": "dune"})  # a read: not recorded
    client.post("/login", data={"username": "intruder", "password": "wrong",
                                "csrf_token": form_token(client.get("/login").text)})  # a failed sign-in
    found = api.call("GET", "/api/audit").json
    events = [(e["user"], e["action"], e["target"], e["outcome"]) for e in found["items"]]
    assert events[:4] == [("intruder", "sign-in", "", "failed 401"), ("admin", "upgrade rule changed", "nope",
                          "failed 404"), ("admin", "upgrade rule changed", "", "ok"),
                          ("admin", "settings changed", "", "ok")]
    settings = found["items"][3]
    assert settings["detail"] == "ranking, tmdb_api_key"
    with app.app_context():
        raw = [tuple(r) for r in app.extensions["mms"].audit.query("SELECT * FROM events")]
    assert "s3cr3t-key" not in repr(raw)  # values never kept
    only = api.call("GET", "/api/audit?user=intruder").json
    assert only["total"] == 1 and only["users"] == ["admin", "intruder"]
    assert api.call("GET", "/api/audit?since=2999-01-01").json["total"] == 0
    assert api.call("GET", "/api/audit?since=yesterday").status_code == 400
    page = api.call("GET", "/audit?action=sign-in").get_data(as_text=True)
    assert "connexion" in page.lower() and "intruder" in page and "refusé ou en échec (401)" in page


def test_rotation_keeps_the_newest(api, app, monkeypatch) -> None:
    api.call("PUT", "/api/settings", json={"values": {"audit_keep_rows": 100}})
    with app.app_context():
        for n in range(150):
            service.record("job run", user="admin", endpoint="core.api_run_job", target=f"job-{n}")
        gone = service.rotate()
        kept = [r["target"] for r in app.extensions["mms"].audit.query("SELECT target FROM events ORDER BY id")]
    # the account creation and the settings change went too
    assert gone == 52 and len(kept) == 100 and kept[-1] == "job-149"
