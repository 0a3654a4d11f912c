"""Upgrade rules and checks (issue 15, item 5): library files measured by the real ffprobe, releases from the
Torznab emulator; what each rule finds and refuses, season packs searched once per season, approval and
dismissal, per-item failures reaching the summaries, the rules API."""

from __future__ import annotations

import pytest

from tests.emulators.torznab import TorznabEmulator
from tests.media import make_tagged_video

MOVIES = "Films"
SERIES = "Séries"


@pytest.fixture
def world(api, tmp_path):
    root = tmp_path / "library"
    heat = make_tagged_video(root / MOVIES / "Heat (1995) {tmdb-949}" / "Heat (1995) - 1080p.mkv",
                             audio=[("eng", "")], subtitles=["fre"], size="1920x800")  # VOSTFR 1080p
    amelie = make_tagged_video(root / MOVIES / "Amelie (2001) {tmdb-194}" / "Amelie (2001) - 720p.mkv",
                               audio=[("fre", "")], size="1280x720")  # VFF 720p
    make_tagged_video(root / MOVIES / "Dune (2021) {tmdb-438631}" / "Dune (2021) - 2160p.mkv",
                      audio=[("fre", ""), ("eng", "")], size="3840x1600", codec="libx265")  # nothing to gain
    season = root / SERIES / "Les Revenants (2012) {tvdb-259570}" / "Season 01"
    episodes = [make_tagged_video(season / f"Les Revenants (2012) - S01E0{n} - Episode {n}.mkv",
                                  audio=[("fre", "")], size="1280x720") for n in (1, 2)]  # VFF 720p
    indexer = TorznabEmulator().start()
    feed = indexer.feed
    movie, tv = {"tmdbid": 949, "categories": (2000, 2040)}, {"tvdbid": 259570, "categories": (5000, 5040)}
    feed.add_release("Heat.1995.MULTi.1080p.BluRay.x264-GRP", seeders=40, size=9_000_000_000, **movie)
    feed.add_release("Heat.1995.VOSTFR.2160p.WEB.x265-GRP", seeders=90, **movie)  # still VOSTFR
    feed.add_release("Heat.1995.MULTi.720p.WEB.x264-GRP", seeders=90, **movie)  # French, but less sharp
    feed.add_release("Heat.1995.MULTi.HDCAM.x264-BAD", seeders=500, **movie)  # never
    feed.add_release("Heat.2019.MULTi.1080p.WEB.x264-GRP", seeders=500, **movie)  # mis-tagged: another film
    feed.add_release("Amelie.2001.MULTi.1080p.BluRay.x264-GRP", seeders=12, tmdbid=194, categories=(2000, 2040))
    feed.add_release("Les.Revenants.S01.MULTi.1080p.WEB.x264-GRP", seeders=8, **tv)
    feed.add_release("Les.Revenants.S01E01.MULTi.1080p.WEB.x264-GRP", seeders=30, **tv)
    api.call("PUT", "/api/settings", json={"values": {
        "movies_path": str(root / MOVIES), "tv_path": str(root / SERIES), "upgrade_pause_s": 0,
        "torznab_indexers": [{"name": "Ygg", "url": f"{indexer.url}/api", "api_key": feed.api_key}],
        "qbittorrent_url": "http://127.0.0.1:9", "torrent_client": "qbittorrent", "service_timeout_s": 2}})
    assert api.call("POST", "/api/quality/scan").json["probed"] == 5
    yield {"indexer": indexer, "heat": heat, "amelie": amelie, "episodes": episodes, "root": root}
    indexer.stop()


def _pending(api) -> dict[str, dict]:
    return {c["key"]: c for c in api.call("GET", "/api/upgrades/candidates?state=pending").json}


def test_checks_find_the_right_releases(api, world) -> None:
    result = api.call("POST", "/api/upgrades/check", json={}).json
    assert result["checked"] == 3 and result["failed"] == 0  # Dune matches no rule: not searched
    found = _pending(api)
    assert set(found) == {"movie:Heat (1995) {tmdb-949}", "movie:Amelie (2001) {tmdb-194}",
                          "tv:Les Revenants (2012) {tvdb-259570}:S01"}
    heat = found["movie:Heat (1995) {tmdb-949}"]
    assert heat["release"] == "Heat.1995.MULTi.1080p.BluRay.x264-GRP" and heat["rule"] == "vostfr-to-vf"
    assert heat["current"] == {"audio_class": "VOSTFR", "resolution": "1080p", "codec": "x264", "hdr": "",
                               "size": world["heat"].stat().st_size}
    assert heat["gain"] == 20 and heat["size"] == 9_000_000_000  # MULTI 40 - VOSTFR 20, same video
    assert heat["files"] == [{"path": str(world["heat"]), "size": world["heat"].stat().st_size,
                              "mtime_ns": world["heat"].stat().st_mtime_ns}]
    pack = found["tv:Les Revenants (2012) {tvdb-259570}:S01"]
    assert pack["release"] == "Les.Revenants.S01.MULTi.1080p.WEB.x264-GRP" and len(pack["files"]) == 2
    # Amélie: VF -> MULTI and 720p -> 1080p both lead to the same release, found once
    amelie = found["movie:Amelie (2001) {tmdb-194}"]
    assert amelie["release"] == "Amelie.2001.MULTi.1080p.BluRay.x264-GRP" and amelie["gain"] == 20

    # why the others were refused is kept on the item
    with api.client.application.app_context():
        from app.upgrades.service import _data

        refused = dict(_data()["last_results"]["movie:Heat (1995) {tmdb-949}"]["refused"])
    assert "VOSTFR is not one of" in refused["Heat.1995.VOSTFR.2160p.WEB.x265-GRP"]
    assert "resolution 720p against the file's 1080p" in refused["Heat.1995.MULTi.720p.WEB.x264-GRP"]
    assert refused["Heat.1995.MULTi.HDCAM.x264-BAD"].endswith("CAM: never")
    assert refused["Heat.2019.MULTi.1080p.WEB.x264-GRP"] == "another year (2019)"


def test_one_search_per_item_and_season(api, world) -> None:
    world["indexer"].requests.clear()
    api.call("POST", "/api/upgrades/check", json={})
    searches = [r.arg("t") for r in world["indexer"].requests if r.path == "/api" and r.arg("t") != "caps"]
    assert sorted(searches) == ["movie", "movie", "tvsearch"]  # two movies, one season for its two episodes


def test_dismiss_then_not_proposed_again(api, world) -> None:
    api.call("POST", "/api/upgrades/check", json={})
    heat = _pending(api)["movie:Heat (1995) {tmdb-949}"]
    dismissed = api.call("POST", f"/api/upgrades/candidates/{heat['id']}/dismiss")
    assert dismissed.status_code == 200 and dismissed.json["state"] == "dismissed"
    api.call("POST", "/api/upgrades/check", json={"keys": ["movie:Heat (1995) {tmdb-949}"]})
    assert "movie:Heat (1995) {tmdb-949}" not in _pending(api)
    again = api.call("POST", f"/api/upgrades/candidates/{heat['id']}/apply")
    assert again.status_code == 409 and again.json["error"]["code"] == "upgrade_refused"
    assert again.json["error"]["message"] == "cette amélioration a été écartée"
    history = api.call("GET", "/api/upgrades/history").json
    assert [h["action"] for h in history if h["candidate"] == heat["id"]] == ["dismissed", "found"]


def test_a_failed_grab_reaches_the_summaries(api, world) -> None:
    api.call("POST", "/api/upgrades/check", json={})
    heat = _pending(api)["movie:Heat (1995) {tmdb-949}"]
    failed = api.call("POST", f"/api/upgrades/candidates/{heat['id']}/apply")  # qBittorrent does not answer
    assert failed.status_code == 422 and failed.is_json
    after = api.call("GET", "/api/upgrades/candidates?state=failed").json
    assert [c["id"] for c in after] == [heat["id"]] and after[0]["error"]
    problems = api.call("GET", "/api/health").json["problems"]
    assert any(p.get("subject") == "Heat" for p in problems), problems
    assert world["heat"].exists()  # nothing touched


def test_an_indexer_down_fails_each_item_on_its_own(api, world) -> None:
    world["indexer"].stop()
    result = api.call("POST", "/api/upgrades/check", json={}).json
    assert (result["checked"], result["failed"]) == (0, 3)  # failed, not "nothing found"
    assert all("aucun indexeur n'a répondu" in e["error"] for e in result["errors"]), result["errors"]


def test_auto_grab_rule_and_rules_api(api, world) -> None:
    rules = api.call("GET", "/api/upgrades/rules").json
    assert [r["id"] for r in rules] == ["vostfr-to-vf", "vf-to-multi", "720p-to-1080p", "1080p-to-2160p",
                                        "x264-to-hevc"]
    bad = api.call("POST", "/api/upgrades/rules", json={"name": "x", "kind": "language", "from_values": ["720p"],
                                                        "to_values": ["MULTI"]})
    assert bad.status_code == 422 and "720p" in bad.json["error"]["fields"]["from_values"]
    assert "choisissez parmi" in bad.json["error"]["fields"]["from_values"]
    vostfr = next(r for r in rules if r["id"] == "vostfr-to-vf")
    saved = api.call("PUT", "/api/upgrades/rules/vostfr-to-vf", json={**vostfr, "auto_grab": True, "min_gain": 25})
    assert saved.status_code == 200 and saved.json["auto_grab"] is True
    api.call("POST", "/api/upgrades/check", json={"keys": ["movie:Heat (1995) {tmdb-949}"]})
    assert "movie:Heat (1995) {tmdb-949}" not in _pending(api)  # a gain of 20 is under the 25 asked
    assert api.call("DELETE", "/api/upgrades/rules/vostfr-to-vf").status_code == 204
    assert api.call("DELETE", "/api/upgrades/rules/vostfr-to-vf").status_code == 404
    assert "vostfr-to-vf" not in [r["id"] for r in api.call("GET", "/api/upgrades/rules").json]
