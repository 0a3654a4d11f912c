"""Requests with quotas (issue 17, item 3): quotas at their boundaries (declined ones do not count, a series
counts its seasons, per-user overrides, the period), auto-approval per role, an approved request grabbed
through the real pipeline (Torznab emulator -> real qbittorrent-nox) and followed until Plex has it, a failed
pipeline entry failing its request (and reaching the health page), the hand-off to Radarr / Sonarr, and who
may see and decide what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.media_requests import fulfil, progress
from app.media_requests.store import store as requests_store
from tests.conftest import ApiClient, form_token
from tests.emulators.arr import RadarrEmulator, SonarrEmulator
from tests.emulators.plex import PlexEmulator
from tests.emulators.tmdb import TmdbEmulator
from tests.emulators.torznab import TorznabEmulator
from tests.waiting import wait_for

FR = {"fr-FR": {"title": "", "overview": "Un résumé."}}


def _user(app, name: str, role: str = "user") -> ApiClient:
    app.extensions["mms"].users.create_user(name, "a-long-password", role)
    client = app.test_client()
    answer = client.post("/login", data={"csrf_token": form_token(client.get("/login").text), "username": name,
                                         "password": "a-long-password"})
    assert answer.status_code in (302, 303)
    return ApiClient(client)


@pytest.fixture
def tmdb(api):
    server = TmdbEmulator().start()
    for n, (title, year) in enumerate([("Heat", 1995), ("Ronin", 1998), ("Collateral", 2004), ("Thief", 1981)]):
        server.add_movie(949 + n, title, year, translations={"fr-FR": {"title": title, "overview": "Un film."}})
    server.add_tv(1399, "Game of Thrones", 2011, translations={"fr-FR": {"name": "Le Trône de fer"}},
                  seasons={1: 10, 2: 10, 3: 10, 4: 10}, tvdb_id=121361)
    server.add_tv(1400, "The Wire", 2002, translations={}, seasons={1: 13, 2: 12}, tvdb_id=79126)
    api.call("PUT", "/api/settings", json={"values": {
        "tmdb_url": server.api_url, "tmdb_api_key": server.api_key, "tmdb_image_url": server.image_url,
        "request_movie_quota": 2, "request_season_quota": 3, "request_quota_days": 7, "service_timeout_s": 3}})
    yield server
    server.stop()


def _ask(client: ApiClient, kind: str, tmdb_id: int, seasons: list[int] | None = None):
    return client.call("POST", "/api/requests", json={"kind": kind, "tmdb_id": tmdb_id, "seasons": seasons or []})


def test_quotas_at_their_boundaries(app, api, tmdb) -> None:
    paul = _user(app, "paul")
    first, second = _ask(paul, "movie", 949), _ask(paul, "movie", 950)
    assert (first.status_code, second.status_code) == (201, 201), second.json
    assert first.json["state"] == "pending" and first.json["title"] == "Heat"
    over = _ask(paul, "movie", 951)
    assert over.status_code == 429 and over.json["error"]["code"] == "request_refused"
    assert "2" in over.json["error"]["message"]
    # the admin declines one: it stops counting, and the third fits
    assert api.call("POST", f"/api/requests/{second.json['id']}/decline", json={"reason": "déjà en VF"}
                    ).status_code == 200
    assert _ask(paul, "movie", 951).status_code == 201
    quota = paul.call("GET", "/api/requests/quota").json
    assert quota["movies"] == {"limit": 2, "used": 2, "left": 0}
    # a series counts its seasons: 2 of 3, then 2 more is one too many, 1 more fits
    assert _ask(paul, "tv", 1399, [1, 2]).status_code == 201
    too_many = _ask(paul, "tv", 1400, [1, 2])
    assert too_many.status_code == 429 and "1" in too_many.json["error"]["message"]
    assert _ask(paul, "tv", 1400, [1]).status_code == 201
    assert _ask(paul, "tv", 1399, [3]).status_code == 429
    # the period: a request older than the quota's days no longer counts
    def age(data) -> None:
        for record in data["requests"].values():
            if record["tmdb_id"] == 949:
                record["created_at"] = (datetime.now(UTC) - timedelta(days=7, seconds=5)).isoformat()
    with app.app_context():
        requests_store().update(age)
    assert _ask(paul, "movie", 952).status_code == 201
    # a per-user override: no movie limit for paul, his seasons stay limited
    assert api.call("PUT", "/api/users/paul", json={"quota": {"movies": 0}}).status_code == 200
    assert paul.call("GET", "/api/requests/quota").json["movies"]["left"] is None
    assert _ask(paul, "tv", 1399, [4]).status_code == 429
    # admins have no quota
    assert _ask(api, "tv", 1399, [3, 4]).status_code == 201


def test_a_title_or_season_requested_twice_is_refused(app, api, tmdb) -> None:
    paul, anna = _user(app, "paul"), _user(app, "anna")
    assert _ask(paul, "tv", 1399, [1]).status_code == 201
    twice = _ask(anna, "tv", 1399, [1, 2])
    assert twice.status_code == 409 and "1" in twice.json["error"]["message"]
    assert _ask(anna, "tv", 1399, [2]).status_code == 201
    seasons = anna.call("GET", "/api/requests/tv/1399").json["seasons"]
    assert [(s["number"], s["state"]) for s in seasons] == [(1, "pending"), (2, "pending"), (3, None), (4, None)]
    assert _ask(anna, "tv", 1399, [9]).status_code == 422  # no such season
    bad = anna.call("POST", "/api/requests", json={"kind": "book", "tmdb_id": 1})
    assert bad.status_code == 422 and "kind" in bad.json["error"]["fields"]
    found = anna.call("GET", "/api/requests/search?q=heat&kind=movie").json
    assert [(r["title"], r["request"]) for r in found] == [("Heat", None)]
    assert found[0]["poster"].startswith("/img/remote?")


def test_who_sees_and_decides_what(app, api, tmdb) -> None:
    paul, anna = _user(app, "paul"), _user(app, "anna")
    mine = _ask(paul, "movie", 949).json
    assert anna.call("GET", f"/api/requests/{mine['id']}").status_code == 404
    assert anna.call("DELETE", f"/api/requests/{mine['id']}").status_code == 404
    assert anna.call("POST", f"/api/requests/{mine['id']}/approve").status_code == 403
    assert [r["id"] for r in anna.call("GET", "/api/requests?scope=all").json["requests"]] == []  # her own only
    assert [r["id"] for r in api.call("GET", "/api/requests?scope=all").json["requests"]] == [mine["id"]]
    history = paul.call("GET", f"/api/requests/{mine['id']}").json["history"]
    assert [h["state"] for h in history] == ["pending"]
    assert paul.call("DELETE", f"/api/requests/{mine['id']}").status_code == 204
    assert paul.call("GET", "/api/requests").json["requests"] == []


def test_auto_approval_follows_the_role(app, api, tmdb) -> None:
    api.call("PUT", "/api/settings", json={"values": {"request_auto_approve": "power"}})
    power, user = _user(app, "pierre", "power"), _user(app, "paul")
    approved = _ask(power, "movie", 949).json
    assert approved["state"] == "approved" and approved["decided_by"] == "pierre"
    # no indexer configured: the grab fails on its own, with the reason, and reaches the health page
    failed = wait_for(lambda: (r := power.call("GET", f"/api/requests/{approved['id']}").json)["state"] == "failed"
                      and r, timeout=10, what="the grab to fail")
    assert "indexeur" in failed["reason_text"]  # French, the reader's language
    problems = api.call("GET", "/api/health").json["problems"]
    assert any(p.get("subject") == "Heat" for p in problems)
    assert _ask(user, "movie", 950).json["state"] == "pending"


@pytest.fixture
def pipeline(api, tmdb, tmp_path: Path):
    from tests.services.qbittorrent import QBittorrentServer
    from tests.torrents import make_torrent

    client = QBittorrentServer(tmp_path / "qbt")
    indexer = TorznabEmulator().start()
    plex = PlexEmulator().start()
    films = plex.add_section("Films", "movie", str(tmp_path / "films"))
    series = plex.add_section("Séries", "show", str(tmp_path / "series"))
    releases = {}
    for name in ("Heat.1995.MULTi.1080p.BluRay.x264-GRP", "Heat.1995.VOSTFR.720p.WEB.x264-LOW",
                 "Le.Trone.de.Fer.S02.MULTi.1080p.WEB.x265-GRP", "Heat.2.2026.MULTi.1080p.WEB.x264-OTHER"):
        content = client.downloads / f"{name}.mkv"
        content.parent.mkdir(parents=True, exist_ok=True)
        content.write_bytes(name.encode() * 2000)
        torrent, info_hash = make_torrent(content)
        tv = ".S02." in name
        indexer.add_torrent(name, torrent, info_hash, seeders=30 if "GRP" in name else 5,
                            categories=(5000, 5040) if tv else (2000, 2040), size=content.stat().st_size,
                            **({"tvdbid": 121361} if tv else {"tmdbid": 949}))
        releases[name] = info_hash
    api.call("PUT", "/api/settings", json={"values": {
        "torrent_client": "qbittorrent", "qbittorrent_url": client.url, "qbittorrent_username": client.username,
        "qbittorrent_password": client.password, "plex_url": plex.url, "plex_token": plex.token,
        "torznab_indexers": [{"name": "Ygg", "url": f"{indexer.url}/api", "api_key": indexer.feed.api_key}]}})
    yield {"client": client, "indexer": indexer, "plex": plex, "films": films, "series": series,
           "releases": releases}
    plex.stop()
    indexer.stop()
    client.stop()


def test_an_approved_request_is_grabbed_then_available_when_plex_has_it(app, api, pipeline) -> None:
    paul = _user(app, "paul")
    movie = _ask(paul, "movie", 949).json
    show = _ask(paul, "tv", 1399, [2]).json
    for made in (movie, show):
        assert api.call("POST", f"/api/requests/{made['id']}/approve").status_code == 200
    def both_grabbed():
        rows = paul.call("GET", "/api/requests").json["requests"]
        return rows if all(r["state"] == "grabbed" for r in rows) else None

    grabbed = {r["id"]: r for r in wait_for(both_grabbed, timeout=30, what="both requests grabbed")}
    assert grabbed[movie["id"]]["grabs"][0]["release"] == "Heat.1995.MULTi.1080p.BluRay.x264-GRP"
    assert grabbed[show["id"]]["grabs"][0]["season"] == 2
    movie_hash = pipeline["releases"]["Heat.1995.MULTi.1080p.BluRay.x264-GRP"]
    torrents = api.call("GET", "/api/seedbox/torrents").json
    assert movie_hash in {t["info_hash"] for t in torrents["torrents"]}, torrents
    entries = app.extensions["mms"].mapping.all()
    assert entries[movie_hash]["tmdb_id"] == 949 and entries[movie_hash]["media_type"] == "movie"

    mapping = app.extensions["mms"].mapping
    # the transfer fails: the request fails with the entry's reason, then recovers when it is retried
    mapping.transition(movie_hash, "transfer_failed", "SFTP: %(reason)s", detail_params={"reason": "no route"})
    failed = paul.call("GET", f"/api/requests/{movie['id']}").json
    assert failed["state"] == "failed" and "no route" in failed["reason_text"]
    mapping.transition(movie_hash, "completed", "retry")
    assert paul.call("GET", f"/api/requests/{movie['id']}").json["state"] == "grabbed"
    for state in ("transferring", "transferred", "importing", "imported"):
        mapping.transition(movie_hash, state, state)
    with app.app_context():
        progress.check()
    assert paul.call("GET", f"/api/requests/{movie['id']}").json["state"] == "grabbed"  # Plex has not seen it yet
    pipeline["plex"].add_movie(pipeline["films"], "Heat", 1995, tmdb=949)
    with app.app_context():
        out = progress.check()
    assert out["available"] == 1
    assert paul.call("GET", f"/api/requests/{movie['id']}").json["state"] == "available"
    # the season pack: imported, and Plex shows the show with season 2 only once it has episodes
    show_hash = pipeline["releases"]["Le.Trone.de.Fer.S02.MULTi.1080p.WEB.x265-GRP"]
    for state in ("completed", "transferring", "transferred", "importing", "imported"):
        mapping.transition(show_hash, state, state)
    pipeline["plex"].add_show(pipeline["series"], "Game of Thrones", 2011, tvdb=121361, seasons={1: 10})
    with app.app_context():
        progress.check()
    assert paul.call("GET", f"/api/requests/{show['id']}").json["state"] == "grabbed"
    pipeline["plex"].add_show(pipeline["series"], "Game of Thrones", 2011, tmdb=1399, seasons={2: 10})
    with app.app_context():
        progress.check()
    assert paul.call("GET", f"/api/requests/{show['id']}").json["state"] == "available"


def test_a_plex_outage_is_counted_and_keeps_the_state(app, api, pipeline) -> None:
    made = _ask(api, "movie", 949).json  # the admin's own: approved at once
    wait_for(lambda: api.call("GET", f"/api/requests/{made['id']}").json["state"] == "grabbed", timeout=30,
             what="the grab")
    movie_hash = pipeline["releases"]["Heat.1995.MULTi.1080p.BluRay.x264-GRP"]
    for state in ("completed", "transferring", "transferred", "importing", "imported"):
        app.extensions["mms"].mapping.transition(movie_hash, state, state)
    pipeline["plex"].stop()
    status = app.extensions["mms"].jobs.execute("request_checks", "manual")
    assert status == "partial"
    assert api.call("GET", f"/api/requests/{made['id']}").json["state"] == "grabbed"


def test_no_acceptable_release_fails_with_the_reason(app, api, pipeline) -> None:
    api.call("PUT", "/api/settings", json={"values": {"request_min_score": 100}})
    made = _ask(api, "tv", 1400, [1]).json
    failed = wait_for(lambda: (r := api.call("GET", f"/api/requests/{made['id']}").json)["state"] == "failed" and r,
                      timeout=30, what="the request to fail")
    assert "100" in failed["reason_text"] and "1" in failed["reason_text"]
    assert api.call("POST", f"/api/requests/{made['id']}/approve").status_code == 200  # a retry is allowed


def test_a_season_without_a_pack_is_grabbed_episode_by_episode(app, api, pipeline, monkeypatch) -> None:
    from tests.torrents import make_torrent

    client, indexer = pipeline["client"], pipeline["indexer"]
    hashes = {}
    for name in ("The.Wire.S01E01.MULTi.1080p.WEB.x264-GRP", "The.Wire.S01E02E03.MULTi.1080p.WEB.x264-GRP",
                 "The.Wire.S01E05.MULTi.1080p.WEB.x264-GRP", "The.Wire.S01E05.VOSTFR.720p.WEB.x264-LOW",
                 "The.Wire.S02E01.MULTi.1080p.WEB.x264-GRP"):
        content = client.downloads / f"{name}.mkv"
        content.write_bytes(name.encode() * 2000)
        torrent, hashes[name] = make_torrent(content)
        indexer.add_torrent(name, torrent, hashes[name], seeders=30 if "GRP" in name else 5,
                            categories=(5000, 5040), size=content.stat().st_size, tvdbid=79126)
    before = len(indexer.requests)
    made = _ask(api, "tv", 1400, [1]).json  # no season pack of The Wire: its 13 aired episodes one by one
    grabbed = wait_for(lambda: (r := api.call("GET", f"/api/requests/{made['id']}").json)["state"] == "grabbed"
                       and r, timeout=60, what="the episodes grabbed")
    assert [(g["release"], g["season"], g["episodes"]) for g in grabbed["grabs"]] == [
        ("The.Wire.S01E01.MULTi.1080p.WEB.x264-GRP", 1, [1]),
        ("The.Wire.S01E02E03.MULTi.1080p.WEB.x264-GRP", 1, [2, 3]),  # one release for two episodes
        ("The.Wire.S01E05.MULTi.1080p.WEB.x264-GRP", 1, [5])]  # the better of the two
    assert grabbed["reason_text"] == "aucune release trouvée pour S01E04, S01E06-E13"
    # the releases came from the season's search; only the episodes it did not list were searched on their own
    assert [r.arg("ep") for r in indexer.requests[before:] if r.arg("ep")] == [str(n) for n in (4, *range(6, 14))]
    entries = app.extensions["mms"].mapping.all()
    first, double = (hashes[f"The.Wire.S01E0{n}.MULTi.1080p.WEB.x264-GRP"] for n in ("1", "2E03"))
    assert (entries[first]["season"], entries[first]["episodes"]) == (1, [1])
    assert entries[double]["episodes"] == [2, 3] and entries[first]["tvdb_id"] == 79126
    torrents = {t["info_hash"] for t in api.call("GET", "/api/seedbox/torrents").json["torrents"]}
    assert {first, double} <= torrents and hashes["The.Wire.S01E05.VOSTFR.720p.WEB.x264-LOW"] not in torrents
    # a season's episode searches are bounded: past the limit, episodes are named, not searched
    monkeypatch.setattr(fulfil, "EPISODE_SEARCHES", 1)
    asked = len(indexer.requests)
    again = _ask(api, "tv", 1400, [2]).json
    grabbed = wait_for(lambda: (r := api.call("GET", f"/api/requests/{again['id']}").json)["state"] == "grabbed"
                       and r, timeout=60, what="season 2's first episode grabbed")
    assert [g["release"] for g in grabbed["grabs"]] == ["The.Wire.S02E01.MULTi.1080p.WEB.x264-GRP"]
    assert grabbed["reason_text"] == "aucune release trouvée pour S02E02-E12"
    assert [r.arg("ep") for r in indexer.requests[asked:] if r.arg("ep")] == ["2"]  # E01 is in the season's search


def test_handed_to_radarr_and_sonarr(app, api, tmdb) -> None:
    radarr, sonarr = RadarrEmulator().start(), SonarrEmulator().start()
    try:
        radarr.root_folders.append({"id": 1, "path": "/movies", "accessible": True, "freeSpace": 10**12})
        sonarr.root_folders.append({"id": 1, "path": "/tv", "accessible": True, "freeSpace": 10**12})
        radarr.add_lookup_movie("Heat", 1995, 949)
        sonarr.add_lookup_series("Game of Thrones", 2011, 121361, {1: 10, 2: 10, 3: 10, 4: 10}, tmdb_id=1399)
        api.call("PUT", "/api/settings", json={"values": {
            "request_fulfilment": "arr", "radarr_url": radarr.url, "radarr_api_key": radarr.api_key,
            "sonarr_url": sonarr.url, "sonarr_api_key": sonarr.api_key}})
        movie, show = _ask(api, "movie", 949).json, _ask(api, "tv", 1399, [2, 3]).json
        for made, via in ((movie, "radarr"), (show, "sonarr")):
            def moved(m=made):
                row = api.call("GET", f"/api/requests/{m['id']}").json
                return row if row["state"] != "approved" else None
            done = wait_for(moved, timeout=20, what="the hand-off")
            assert (done["state"], done["via"]) == ("grabbed", via), done.get("reason_text")
        added_movie = next(iter(radarr.movies.values()))
        assert added_movie["tmdbId"] == 949 and added_movie["addOptions"]["searchForMovie"] is True
        added = next(iter(sonarr.series.values()))
        assert {s["seasonNumber"]: s["monitored"] for s in added["seasons"]} == {1: False, 2: True, 3: True, 4: False}
        assert added["addOptions"]["searchForMissingEpisodes"] is True
        # a season of a series Sonarr has already: monitored and searched
        again = _ask(api, "tv", 1399, [4]).json
        wait_for(lambda: api.call("GET", f"/api/requests/{again['id']}").json["state"] == "grabbed", timeout=20,
                 what="the second hand-off")
        assert next(iter(sonarr.series.values()))["seasons"][3]["monitored"] is True
        assert any(b.get("name") == "SeasonSearch" and b.get("seasonNumber") == 4
                   for b in sonarr.command_bodies.values())
    finally:
        radarr.stop()
        sonarr.stop()


def test_a_users_own_notifications_are_about_their_requests_only(app, api, tmdb) -> None:
    from app.notifications import service as notifications
    from tests.test_notifications import Receiver

    api.call("PUT", "/api/settings", json={"values": {"notification_group_s": 0}})
    paul, anna = _user(app, "paul"), _user(app, "anna")
    receiver = Receiver()
    try:
        url = f"json://127.0.0.1:{receiver.port}/paul"
        refused = paul.call("POST", "/api/account/notifications", json={"name": "Tel", "url": url,
                                                                         "events": ["imported"]})
        assert refused.status_code == 422  # not about his requests
        wanted = {"name": "Tel", "url": url, "events": ["request_approved", "request_declined"]}
        own = paul.call("POST", "/api/account/notifications", json=wanted)
        assert own.status_code == 201, own.json
        assert anna.call("GET", "/api/account/notifications").json == []  # hers only
        assert anna.call("DELETE", f"/api/account/notifications/{own.json['id']}").status_code == 404
        his, hers = _ask(paul, "movie", 949).json, _ask(anna, "movie", 950).json
        api.call("POST", f"/api/requests/{hers['id']}/decline", json={"reason": "non"})
        api.call("POST", f"/api/requests/{his['id']}/decline", json={"reason": "déjà là"})
        with app.app_context():
            counts = notifications.flush()
        assert counts["sent"] == 1
        bodies = [body for path, body in receiver.received]
        assert len(bodies) == 1 and "Heat" in bodies[0]["message"] and "déjà là" in bodies[0]["message"]
        assert "Ronin" not in bodies[0]["message"]
        assert paul.call("POST", f"/api/account/notifications/{own.json['id']}/test").json["ok"] is True
    finally:
        receiver.stop()
