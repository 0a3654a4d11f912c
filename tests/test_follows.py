"""Followed series (issue 15, items 1 and 2): air times from TheTVDB (date + airsTime in the network's zone) or
Sonarr (airDateUtc), the check schedule, fakes refused (published before air, impossible size, programs),
the best acceptable release chosen, every check logged, the calendar's states. The clock is injected: each
check is given its ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.follows import fakes, schedule
from tests.emulators.arr import SonarrEmulator
from tests.emulators.torznab import TorznabEmulator
from tests.emulators.tvdb import TvdbEmulator

PARIS = ZoneInfo("Europe/Paris")
TVDB_ID = 259570


def _yesterday_paris() -> datetime:
    return datetime.now(PARIS).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)


@pytest.fixture
def world(api):
    day = _yesterday_paris()
    tvdb, indexer = TvdbEmulator().start(), TorznabEmulator().start()
    series = tvdb.add_series(TVDB_ID, "Les Revenants", 2012, original_language="fra", seasons={1: 3},
                             translations={"fra": {"name": "Les Revenants", "overview": ""}})
    # E01 aired yesterday at 21:00 in Paris; E02 and E03 the next weeks
    series["aired"] = {(1, n): (day + timedelta(days=7 * (n - 1))).strftime("%Y-%m-%d") for n in (1, 2, 3)}
    series["airs_time"] = "21:00"
    air = day.replace(hour=21).astimezone(UTC)
    hours_since_air = (datetime.now(UTC) - air).total_seconds() / 3600
    tv = {"tvdbid": TVDB_ID, "categories": (5000, 5040)}
    feed = indexer.feed
    feed.add_release("Les.Revenants.S01E01.MULTi.1080p.WEB.x264-FAKE", age_hours=hours_since_air + 5, seeders=200,
                     size=2_000_000_000, **tv)  # out before the episode aired
    feed.add_release("Les.Revenants.S01E01.MULTi.1080p.WEB.x264-TINY", age_hours=1, seeders=150, size=40_000_000,
                     **tv)  # 40 MB for 52 minutes of 1080p
    feed.add_release("Les.Revenants.S01E01.MULTi.1080p.WEB.x264-GRP.exe", age_hours=1, seeders=150,
                     size=2_000_000_000, **tv)
    feed.add_release("Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP", age_hours=1, seeders=30,
                     size=1_800_000_000, **tv)  # the real one
    feed.add_release("Les.Revenants.S01E01.VOSTFR.2160p.WEB.x265-GRP", age_hours=1, seeders=30,
                     size=6_000_000_000, **tv)  # above the follow's 1080p
    api.call("PUT", "/api/settings", json={"values": {
        "tvdb_url": tvdb.api_url, "tvdb_api_key": tvdb.api_key,
        "torznab_indexers": [{"name": "Ygg", "url": f"{indexer.url}/api", "api_key": feed.api_key}],
        "torrent_client": "qbittorrent", "qbittorrent_url": "http://127.0.0.1:9", "service_timeout_s": 2}})
    yield {"tvdb": tvdb, "indexer": indexer, "air": air, "series": series}
    tvdb.stop()
    indexer.stop()


def test_schedule() -> None:
    air = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    times = schedule.check_times(air)
    assert times[0] == air + timedelta(hours=2) and times[23] == air + timedelta(hours=48)
    assert times[24:] == [air + timedelta(days=d) for d in (3, 4, 5, 6, 7)] and len(times) == 29
    assert not schedule.due(air, None, air + timedelta(hours=1, minutes=59))
    assert schedule.due(air, None, air + timedelta(hours=2))
    assert not schedule.due(air, air + timedelta(hours=2), air + timedelta(hours=3, minutes=59))
    assert schedule.due(air, air + timedelta(hours=2), air + timedelta(hours=4))
    assert schedule.phase(air, air + timedelta(hours=49)) == "late"
    assert schedule.next_check(air, air + timedelta(days=8)) is None


def test_fake_rules() -> None:
    air = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    low, high = fakes.size_range(52, "1080p")
    assert 400_000_000 < low < 500_000_000 and 15e9 < high < 16e9  # 1.2 to 40 Mb/s over 52 minutes
    assert fakes.refusal("X.S01E01.1080p", 2e9, air - timedelta(minutes=10), air, 52, "1080p") is None  # rounding
    assert fakes.refusal("X.S01E01.1080p", 2e9, air - timedelta(hours=2), air, 52, "1080p") == (
        "published %(minutes)s min before the episode aired", {"minutes": 120})
    assert "too small" in fakes.refusal("X.S01E01.1080p", 40e6, air, air, 52, "1080p")[0]
    assert "too large" in fakes.refusal("X.S01E01.720p", 60e9, air, air, 52, "720p")[0]
    assert fakes.refusal("X.S01E01.1080p.rar", 2e9, air, air, 52, "1080p") == ("executable or archive", {})
    assert fakes.refusal("X.S01.1080p", 10e9, air, air, 52, "1080p", episodes=8) is None  # a pack of 8


def test_follow_check_refuses_fakes_and_picks_the_real_release(api, world) -> None:
    created = api.call("POST", "/api/follows", json={"tvdb_id": TVDB_ID})
    assert created.status_code == 201, created.json
    follow = created.json
    assert (follow["title"], follow["year"], follow["mode"]) == ("Les Revenants", 2012, "grab")
    api.call("PUT", f"/api/follows/{follow['id']}", json={**{k: follow[k] for k in (
        "audio", "min_resolution", "max_resolution", "codec", "min_score")}, "mode": "watch"})
    from app.follows import service

    with api.client.application.app_context():
        before = service.check_follow(follow["id"], world["air"] + timedelta(hours=1))
        assert before["due"] == 0  # nothing is searched before air + 2 h
        result = service.check_follow(follow["id"], datetime.now(UTC))
    assert result == {"due": 1, "grabbed": 0, "found": 1, "refused": 4, "failed": 0, "error": None}
    stored = api.call("GET", f"/api/follows/{follow['id']}").json
    assert stored["source"] == "tvdb" and stored["episodes"]["S01E01"]["air"] == world["air"].isoformat()
    log = stored["log"][-1]
    assert log["episode"] == "S01E01" and log["found"] == "Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP"
    reasons = {r["release"]: r["reason"] for r in log["refused"]}
    assert "before the episode aired" in reasons["Les.Revenants.S01E01.MULTi.1080p.WEB.x264-FAKE"]
    assert "too small" in reasons["Les.Revenants.S01E01.MULTi.1080p.WEB.x264-TINY"]
    assert reasons["Les.Revenants.S01E01.MULTi.1080p.WEB.x264-GRP.exe"] == "executable or archive"
    assert "2160p outside 720p–1080p" in reasons["Les.Revenants.S01E01.VOSTFR.2160p.WEB.x265-GRP"]
    page = api.call("GET", "/follows").get_data(as_text=True)
    assert "Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP" in page
    assert "40 Mo est trop petit pour 1 × 52 min en 1080p" in page  # the reasons in the reader's language


def test_a_failed_grab_is_logged_and_the_others_go_on(api, world) -> None:
    follow = api.call("POST", "/api/follows", json={"tvdb_id": TVDB_ID}).json
    api.call("POST", "/api/follows", json={"title": "Sans Source", "tmdb_id": 999})  # no TMDB key: cannot be read
    from app.follows import service

    with api.client.application.app_context():
        out = service.run_checks(datetime.now(UTC))
    assert out["follows"] == 2 and out["failed"] == 1 and out["grabbed"] == 0  # qBittorrent does not answer
    log = api.call("GET", f"/api/follows/{follow['id']}").json["log"][-1]
    assert log["found"] == "Les.Revenants.S01E01.VOSTFR.1080p.WEB.x264-GRP" and log["error"]
    problems = api.call("GET", "/api/health").json["problems"]
    assert any(p.get("subject") == "Sans Source" for p in problems), problems


def test_calendar_states(api, world) -> None:
    follow = api.call("POST", "/api/follows", json={"tvdb_id": TVDB_ID}).json
    from app.follows import service

    with api.client.application.app_context():
        service.refresh(follow["id"], datetime.now(UTC))
        start = world["air"] - timedelta(days=1)
        week = service.calendar(start, 30, now=world["air"] + timedelta(hours=3))
        assert [(e["episode"], e["state"]) for e in week] == [(1, "searching"), (2, "to_air"), (3, "to_air")]
        later = service.calendar(start, 30, now=world["air"] + timedelta(days=3))
        assert later[0]["state"] == "missing"
    page = api.call("GET", "/calendar?view=month").get_data(as_text=True)
    assert "Les Revenants" in page and "S01E02" in page
    bad = api.call("GET", "/api/calendar?view=year")
    assert bad.status_code == 400 and bad.is_json


def test_sonarr_monitored_series_and_its_air_times(api, world) -> None:
    with SonarrEmulator() as sonarr:
        series = sonarr.add_series("Les Revenants", 2012, TVDB_ID, {1: 2})
        for episode in sonarr.episodes.values():
            episode["airDateUtc"] = (world["air"] + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        sonarr.add_series("Unmonitored", 2020, 111, {1: 1}, monitored=False)
        api.call("PUT", "/api/settings", json={"values": {"sonarr_url": sonarr.url, "sonarr_api_key": sonarr.api_key}})
        imported = api.call("POST", "/api/follows/import/sonarr", json={})
        assert imported.status_code == 200 and imported.json == {"added": 1, "known": 0}
        follow = api.call("GET", "/api/follows").json[0]
        assert follow["sonarr_series_id"] == series["id"]
        from app.follows import service

        with api.client.application.app_context():
            refreshed = service.refresh(follow["id"], datetime.now(UTC))
        assert refreshed["source"] == "sonarr"
        assert refreshed["episodes"]["S01E01"]["air"] == (world["air"] + timedelta(minutes=5)).isoformat()
        assert api.call("POST", "/api/follows/import/sonarr", json={}).json["added"] == 0


def test_no_indexer_answering_is_a_failure(api, world) -> None:
    follow = api.call("POST", "/api/follows", json={"tvdb_id": TVDB_ID}).json
    world["indexer"].stop()
    from app.follows import service

    with api.client.application.app_context():
        out = service.run_checks(datetime.now(UTC))
    assert out["failed"] == 1 and "aucun indexeur n'a répondu" in out["errors"][0]["error"]
    log = api.call("GET", f"/api/follows/{follow['id']}").json["log"][-1]
    assert log["season"] == 1 and log["error"]


def test_follow_api_errors(api, world) -> None:
    assert api.call("POST", "/api/follows", json={"title": "Nothing"}).status_code == 422
    api.call("POST", "/api/follows", json={"tvdb_id": TVDB_ID})
    again = api.call("POST", "/api/follows", json={"tvdb_id": TVDB_ID})
    assert again.status_code == 409 and again.json["error"]["code"] == "follow_refused"
    assert api.call("GET", "/api/follows/nope").status_code == 404
    assert api.call("PUT", "/api/follows/nope", json={"min_score": 500}).status_code == 422


def test_tmdb_is_the_last_source(api) -> None:
    from tests.emulators.tmdb import TmdbEmulator

    with TmdbEmulator() as tmdb:
        tmdb.add_tv(70523, "Dark", 2017, translations={"fr-FR": {"name": "Dark", "overview": ""}}, seasons={1: 3, 2: 2})
        api.call("PUT", "/api/settings", json={"values": {"tmdb_url": tmdb.api_url, "tmdb_api_key": tmdb.api_key}})
        follow = api.call("POST", "/api/follows", json={"title": "Dark", "year": 2017, "tmdb_id": 70523}).json
        from app.follows import service

        with api.client.application.app_context():
            refreshed = service.refresh(follow["id"], datetime.now(UTC))
    assert refreshed["source"] == "tmdb" and sorted(refreshed["episodes"]) == [
        "S01E01", "S01E02", "S01E03", "S02E01", "S02E02"]
    # the evening of the air date in Paris (TMDB gives no hour)
    assert refreshed["episodes"]["S01E01"]["air"] == "2017-10-01T18:00:00+00:00"
