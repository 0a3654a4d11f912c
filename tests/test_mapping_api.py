"""The mapping modal's API: candidates from Sonarr/Radarr (library and lookup), TMDB, TheTVDB; adding to an *arr."""

from __future__ import annotations

from tests.emulators.arr import RadarrEmulator, SonarrEmulator
from tests.emulators.tmdb import TmdbEmulator
from tests.emulators.tvdb import TvdbEmulator


def test_candidates_and_adding_to_sonarr_and_radarr(api) -> None:
    with SonarrEmulator() as sonarr, RadarrEmulator() as radarr, TmdbEmulator() as tmdb, TvdbEmulator() as tvdb:
        sonarr.add_root_folder("/tv")
        radarr.add_root_folder("/movies")
        sonarr.add_series("Les Revenants", 2012, 259570, {1: 8})
        sonarr.add_lookup_series("Les Revenants (US)", 2015, 290000, {1: 10})
        radarr.add_lookup_movie("Amélie", 2001, 194)
        tmdb.add_movie(194, "Amélie", 2001, translations={"fr-FR": {"title": "Amélie", "overview": "x"}})
        tvdb.add_series(259570, "Les Revenants", 2012, original_language="fra",
                        translations={"fra": {"name": "Les Revenants", "overview": "y"}})
        api.call("PUT", "/api/settings", json={"values": {
            "sonarr_url": sonarr.url, "sonarr_api_key": sonarr.api_key, "radarr_url": radarr.url,
            "radarr_api_key": radarr.api_key, "tmdb_url": tmdb.api_url, "tmdb_api_key": tmdb.api_key,
            "tvdb_url": tvdb.api_url, "tvdb_api_key": tvdb.api_key}})
        tv = api.call("GET", "/api/mapping/candidates?q=revenants&media_type=tv").json
        assert tv["errors"] == []
        sources = [(c["source"], c["title"], c["in_library"]) for c in tv["candidates"]]
        assert ("sonarr", "Les Revenants", True) in sources
        assert ("sonarr-lookup", "Les Revenants (US)", False) in sources
        assert ("tvdb", "Les Revenants", False) in sources
        options = api.call("GET", "/api/mapping/arr-options?service=sonarr").json
        assert options["root_folders"] == ["/tv"] and {p["name"] for p in options["quality_profiles"]} == {
            "Any", "HD-1080p"}
        added = api.call("POST", "/api/mapping/arr-add", json={"service": "sonarr", "term": "tvdb:290000",
                                                               "root_folder_path": "/tv", "quality_profile_id": 4})
        assert added.status_code == 200 and added.json["sonarr_series_id"] and added.json["in_library"]
        movie = api.call("GET", "/api/mapping/candidates?q=amélie&media_type=movie").json["candidates"]
        assert {c["source"] for c in movie} == {"radarr-lookup", "tmdb"}
        film = api.call("POST", "/api/mapping/arr-add", json={"service": "radarr", "term": "tmdb:194",
                                                              "root_folder_path": "/movies", "quality_profile_id": 1})
        assert film.json["radarr_movie_id"] and film.json["tmdb_id"] == 194
        sonarr.stop()
        degraded = api.call("GET", "/api/mapping/candidates?q=revenants&media_type=tv").json
        assert degraded["errors"] and degraded["errors"][0].startswith("Sonarr")
        assert any(c["source"] == "tvdb" for c in degraded["candidates"])  # the others still answer
    assert api.call("GET", "/api/mapping/candidates?q=&media_type=tv").status_code == 422
    assert api.call("POST", "/api/mapping/arr-add", json={"service": "lidarr", "term": "x"}).status_code == 422
