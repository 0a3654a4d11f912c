"""Pipeline actions through the API: retry a failed import, re-map, forget; illegal ones refused."""

from __future__ import annotations

from app.utils.stores.mapping_manager import Mapping
from tests.waiting import wait_for

HASH = "12" * 20


def _failed_import(api) -> None:
    mapping = api.client.application.extensions["mms"].mapping
    mapping.add(HASH, "Show.S01E09.1080p", Mapping("tv", "Show", 2020, tvdb_id=1))
    for state in ("completed", "transferring", "transferred", "importing"):
        mapping.transition(HASH, state, "test")
    mapping.transition(HASH, "import_failed", "unknown episode S01E09")


def test_retry_remap_forget(api) -> None:
    _failed_import(api)
    entry = api.call("GET", "/api/pending").json["entries"][0]
    assert (entry["state"], entry["attempts"], entry["error"]) == ("import_failed", 1, "unknown episode S01E09")
    remap = api.call("POST", f"/api/pending/{HASH}/remap", json={"media_type": "tv", "title": "Other Show",
                                                                  "tvdb_id": 99, "season": 1, "episodes": [9]})
    assert remap.status_code == 200 and remap.json["entry"]["title"] == "Other Show"
    assert remap.json["entry"]["state"] == "import_failed"  # the history goes on
    retried = api.call("POST", f"/api/pending/{HASH}/retry")
    assert retried.status_code == 200 and retried.json["entry"]["state"] in ("transferred", "importing",
                                                                            "import_failed", "imported")
    runs = api.client.application.extensions["mms"].job_runs
    wait_for(lambda: runs.runs("staging_processor") and runs.runs("staging_processor")[0]["status"] != "running",
             what="the import run started by retry")
    assert api.call("GET", "/api/pending").json["entries"][0]["state"] == "import_failed"  # no staging folder
    assert api.call("POST", f"/api/pending/{'34' * 20}/retry").status_code == 404
    assert api.call("POST", "/api/pending/zz/retry").status_code == 422
    assert api.call("DELETE", f"/api/pending/{HASH}").status_code == 200
    assert api.call("GET", "/api/pending").json["entries"] == []
    assert api.call("DELETE", f"/api/pending/{HASH}").status_code == 404


def test_nothing_to_retry(api) -> None:
    api.client.application.extensions["mms"].mapping.add(HASH, "Film.2020", Mapping("movie", "Film", 2020, tmdb_id=5))
    answer = api.call("POST", f"/api/pending/{HASH}/retry")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "nothing_to_retry"
