"""Trailers end to end: TMDB's videos and YouTube search entries (yt-dlp-shaped: the one piece that cannot run
here) ranked and stored; lock / unlock / statuses; the locked video downloaded for real by yt-dlp from a local
page, named as Plex's local trailer, Plex scanned and refreshed, /extras lists it; errors by kind."""

from __future__ import annotations

import pytest

from app.plex_editor.library import CACHE
from app.utils.clients.errors import UpstreamBotCheck
from app.utils.clients.youtube import YouTubeClient
from tests.clients.test_youtube import VideoSite
from tests.emulators.plex import PlexEmulator
from tests.emulators.tmdb import TmdbEmulator
from tests.media import make_video
from tests.waiting import wait_for


def entry(vid: str, title: str, duration: int = 140, channel: str = "Trailers FR") -> dict:
    """A flat yt-dlp search entry (the fields yt-dlp documents for them)."""
    return {"_type": "url", "ie_key": "Youtube", "id": vid, "url": f"https://www.youtube.com/watch?v={vid}",
            "title": title, "description": None, "duration": duration, "channel_id": "UC123", "channel": channel,
            "uploader": channel, "view_count": 1000, "live_status": None,
            "thumbnails": [{"url": f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg", "height": 360, "width": 480}]}


class FakeYouTube(YouTubeClient):
    """Search answers yt-dlp-shaped entries; downloads go, for real, to the local video page."""

    def __init__(self, site_url: str, results: dict[str, list[dict]] | None = None, error: Exception | None = None):
        super().__init__()
        self.site_url, self.results, self.error, self.queries = site_url, results or {}, error, []

    def search(self, query: str, count: int = 8) -> list[dict]:
        self.queries.append(query)
        if self.error:
            raise self.error
        return next((v for k, v in self.results.items() if k in query), [])

    def download(self, url, folder, name, *, max_bytes, max_duration_s=None, on_progress=None):
        return super().download(self.site_url, folder, name, max_bytes=max_bytes, max_duration_s=max_duration_s,
                                on_progress=on_progress)


@pytest.fixture
def world(api, tmp_path, monkeypatch):
    CACHE.clear()
    site_folder = tmp_path / "site"
    site_folder.mkdir()
    make_video(site_folder / "trailer.mp4", 1.5)
    site = VideoSite(site_folder)
    movie_folder = tmp_path / "Movies" / "Heat (1995)"
    make_video(movie_folder / "Heat (1995).mkv", 0.5)
    plex = PlexEmulator().start()
    section = plex.add_section("Films", "movie", str(tmp_path / "Movies"))
    plex.heat = plex.add_movie(section, "Heat", 1995, tmdb=949, file=str(movie_folder / "Heat (1995).mkv"))
    shows = plex.add_section("Séries", "show", str(tmp_path / "TV"))
    (tmp_path / "TV" / "The Expanse").mkdir(parents=True)
    plex.expanse = plex.add_show(shows, "The Expanse", 2015, tvdb=280619, folder=str(tmp_path / "TV" / "The Expanse"))
    tmdb = TmdbEmulator().start()
    tmdb.add_movie(949, "Heat", 1995, translations={"fr-FR": {"title": "Heat", "overview": "x"}},
                   videos=[{"key": "TmdbTrail01", "name": "Heat - Bande-annonce VF", "iso_639_1": "fr"}])
    youtube = FakeYouTube(site.url, {"VF": [entry("YtVfTrail01", "Heat (1995) bande annonce VF"),
                                            entry("YtReview001", "Heat (1995) review"),
                                            entry("YtFullFilm1", "Heat (1995) film complet VF", duration=10_000)],
                                     "trailer": [entry("YtRemake001", "Heat (2013) trailer")]})
    monkeypatch.setattr("app.trailers.service.youtube_client", lambda: youtube)
    api.call("PUT", "/api/settings", json={"values": {
        "plex_url": plex.url, "plex_token": plex.token, "tmdb_url": tmdb.api_url, "tmdb_api_key": tmdb.api_key,
        "trailer_pause_s": 0, "movies_path": str(tmp_path / "Movies"), "tv_path": str(tmp_path / "TV")}})
    yield {"plex": plex, "tmdb": tmdb, "youtube": youtube, "movie_folder": movie_folder, "tmp": tmp_path}
    site.stop()
    plex.stop()
    tmdb.stop()


HEAT = {"media_type": "movie", "external_id": 949, "title": "Heat", "year": 1995}


def downloaded(api, media: dict) -> dict:
    """Start the download from the API and wait for its end (the page polls the same way)."""
    started = api.call("POST", "/api/trailers/download", json=media)
    assert started.status_code == 202, started.json
    key = started.json["key"]
    return wait_for(lambda: (p := api.call("GET", f"/api/trailers/download/{key}").json)["state"] != "running" and p,
                    timeout=60, what="trailer download")


def test_candidates_lock_and_statuses(api, world) -> None:
    found = api.call("POST", "/api/trailers/candidates", json=HEAT).json
    ids = [c["video_id"] for c in found["candidates"]]
    assert ids[:2] == ["TmdbTrail01", "YtVfTrail01"] and ids.index("YtRemake001") > 1
    assert found["status"] == "UNLOCKED" and found["errors"] == []
    assert len(world["youtube"].queries) == 3 and "bande annonce VF" in world["youtube"].queries[0]
    assert found["candidates"][0]["thumbnail_url"].startswith("/img/remote?")
    locked = api.call("POST", "/api/trailers/lock", json={**HEAT, "video_id": "YtVfTrail01"}).json
    assert locked["status"] == "LOCKED" and locked["locked"]["title"] == "Heat (1995) bande annonce VF"
    statuses = api.call("POST", "/api/trailers/statuses", json={"keys": ["movie_949", "tv_280619"]}).json["statuses"]
    assert statuses == {"movie_949": {"status": "LOCKED", "on_disk": False},
                        "tv_280619": {"status": "NONE", "on_disk": False}}
    assert api.call("POST", "/api/trailers/unlock", json=HEAT).json["status"] == "UNLOCKED"


def test_bad_input_changes_nothing(api, world) -> None:
    refused = api.call("POST", "/api/trailers/lock", json={**HEAT, "link": "https://evil.example/watch?v=abcdefghijk"})
    assert refused.status_code == 422 and "YouTube" in refused.json["error"]["message"]
    assert api.call("POST", "/api/trailers/lock", json={**HEAT, "video_id": "nope"}).status_code == 404
    api.call("POST", "/api/trailers/candidates", json=HEAT)
    too_long = api.call("POST", "/api/trailers/lock", json={**HEAT, "video_id": "YtFullFilm1"})
    assert too_long.status_code == 422 and "600" in too_long.json["error"]["message"]
    assert api.call("POST", "/api/trailers/lock", json={**HEAT, "media_type": "album"}).status_code == 422
    assert api.call("POST", "/api/trailers/download", json=HEAT).status_code == 409  # nothing locked
    info = api.call("POST", "/api/trailers/info", json=HEAT).json
    assert info["status"] == "UNLOCKED" and info["locked"] is None
    pasted = api.call("POST", "/api/trailers/lock", json={**HEAT, "link": "https://youtu.be/YtPasted001"}).json
    assert pasted["locked"]["video_id"] == "YtPasted001"


def test_download_as_a_plex_local_trailer(api, world) -> None:
    api.call("POST", "/api/trailers/candidates", json=HEAT)
    api.call("POST", "/api/trailers/lock", json={**HEAT, "video_id": "TmdbTrail01"})
    progress = downloaded(api, HEAT)
    assert progress["state"] == "done" and progress["done"] > 0, progress
    done = progress["entry"]
    path = world["movie_folder"] / "Heat (1995)-trailer.mkv"
    assert done["download"]["path"] == str(path) and path.stat().st_size > 0
    assert sorted(p.name for p in world["movie_folder"].iterdir()) == ["Heat (1995)-trailer.mkv", "Heat (1995).mkv"]
    plex = world["plex"]
    assert plex.scans[-1][1] == str(world["movie_folder"]) and plex.refreshed[-1] == plex.heat["ratingKey"]
    assert done["extras"] == ["Heat (1995)-trailer"]
    assert api.call("POST", "/api/trailers/statuses", json={"keys": ["movie_949"]}).json["statuses"][
        "movie_949"]["on_disk"] is True


def test_show_trailers_go_to_a_trailers_folder(api, world) -> None:
    show = {"media_type": "tv", "external_id": 280619, "title": "The Expanse", "year": 2015}
    api.call("POST", "/api/trailers/lock", json={**show, "link": "https://www.youtube.com/watch?v=YtShow00001"})
    done = downloaded(api, show)["entry"]
    assert done["download"]["path"].endswith("/The Expanse/Trailers/The Expanse (2015).mkv")
    assert done["extras"] == ["The Expanse (2015)"]


def test_a_folder_outside_the_library_is_refused(api, world) -> None:
    api.call("PUT", "/api/settings", json={"values": {"movies_path": str(world["tmp"] / "elsewhere")}})
    api.call("POST", "/api/trailers/lock", json={**HEAT, "link": "https://youtu.be/YtVfTrail01"})
    refused = downloaded(api, HEAT)
    assert refused["state"] == "failed" and "racine" in refused["error"]  # "dossier racine", in French
    assert sorted(p.name for p in world["movie_folder"].iterdir()) == ["Heat (1995).mkv"]


def test_the_bot_check_says_what_to_do_and_stops_the_job(api, world, app) -> None:
    world["youtube"].error = UpstreamBotCheck("YouTube", "YouTube asks to confirm you are not a bot",
                                              setting="TRAILER_COOKIES_FILE")
    found = api.call("POST", "/api/trailers/candidates", json=HEAT).json
    assert any("TRAILER_COOKIES_FILE" in e for e in found["errors"]) and len(world["youtube"].queries) == 1
    with app.app_context():
        from app.trailers.service import run_job

        result = run_job(youtube=world["youtube"])
    assert result.failed and "cookies" in str(result)
    asked = len(world["youtube"].queries)
    with app.app_context():
        paused = run_job(youtube=world["youtube"])
    assert "paused" in str(paused) and len(world["youtube"].queries) == asked  # YouTube not asked again
    cookies = world["tmp"] / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n")
    api.call("PUT", "/api/settings", json={"values": {"trailer_cookies_file": str(cookies)}})
    world["youtube"].error = None
    with app.app_context():
        resumed = run_job(youtube=world["youtube"])
    assert "paused" not in str(resumed) and len(world["youtube"].queries) > asked
    failed_download = {"media_type": "tv", "external_id": 280619, "title": "The Expanse", "year": 2015}
    api.call("POST", "/api/trailers/lock", json={**failed_download, "link": "https://youtu.be/YtShow00001"})
    world["youtube"].site_url = world["youtube"].site_url.replace("index.html", "gone.html")
    failed = downloaded(api, failed_download)
    assert failed["state"] == "failed" and "YouTube" in failed["error"]
    assert list((world["tmp"] / "TV" / "The Expanse" / "Trailers").iterdir()) == []  # no partial file
