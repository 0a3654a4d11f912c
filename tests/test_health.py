"""Health page and API: an unreadable store is reported, kept, and only reset on request."""

from __future__ import annotations

from pathlib import Path


def test_corrupt_store_is_reported_kept_and_reset_on_request(api) -> None:
    mms = api.client.application.extensions["mms"]
    assert mms.jobs.execute("backup", "manual") == "ok"
    path = mms.job_runs.store.path
    bad = b"{ this is not json"
    path.write_bytes(bad)
    health = api.call("GET", "/api/health").json
    assert health["status"] == "degraded"
    row = next(s for s in health["stores"] if s["name"] == "job_runs")
    assert row["state"] == "corrupt" and "job_runs.json" in row["detail"]
    page = api.client.get("/health").text
    assert 'data-state="corrupt"' in page and 'data-store-reset="job_runs.json"' in page
    jobs = api.call("GET", "/api/jobs")  # a feature that needs the file answers JSON 503, not a crash
    assert jobs.status_code == 503 and jobs.json["error"]["code"] == "store_corrupt"
    assert path.read_bytes() == bad
    assert api.call("POST", "/api/stores/settings.json/reset").status_code == 409
    reset = api.call("POST", "/api/stores/job_runs.json/reset")
    assert reset.status_code == 200
    kept = reset.json["kept_at"]
    assert Path(kept).read_bytes() == bad
    assert api.call("GET", "/api/health").json["status"] == "ok"


def test_healthz_and_dashboard(api) -> None:
    assert api.client.get("/healthz").json == {"status": "ok"}
    page = api.client.get("/").text
    assert "Tableau de bord" in page  # French by default
    api.client.get("/lang/en")
    assert "Dashboard" in api.client.get("/").text
    assert api.client.get("/lang/de").status_code == 404


def test_the_plex_editors_old_address_leads_to_it(api) -> None:
    assert api.client.get("/plex-editor").headers["Location"].endswith("/plex")
