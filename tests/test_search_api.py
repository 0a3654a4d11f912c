"""Search API: indexers through Prowlarr and Torznab emulators, parsing, scoring, filters, failures."""

from __future__ import annotations

import pytest

from tests.emulators.arr import ProwlarrEmulator, RadarrEmulator, SonarrEmulator
from tests.emulators.torznab import TorznabEmulator


@pytest.fixture
def indexers():
    prowlarr = ProwlarrEmulator().start()
    ygg = prowlarr.add_indexer("YggTorrent")
    prowlarr.add_indexer("Sharewood")
    ygg.add_release("Dune.2021.MULTi.VFF.2160p.UHD.BluRay.REMUX.HDR.HEVC-GRP", categories=(2000, 2045), seeders=80,
                    size=60_000_000_000)
    ygg.add_release("Dune.2021.VOSTFR.1080p.WEB-DL.x264-GRP", categories=(2000, 2040), seeders=15)
    ygg.add_release("Les.Revenants.S02.MULTi.1080p.BluRay.x265-GRP", categories=(5000, 5040), seeders=30)
    ygg.add_release("Les.Revenants.S02E03.FRENCH.720p.HDTV.x264-GRP", categories=(5000,), seeders=3)
    torznab = TorznabEmulator("Torrent9").start()
    torznab.feed.add_release("Dune.2021.TRUEFRENCH.1080p.BluRay.x264-FRT", categories=(2000,), seeders=25)
    torznab.feed.add_release("Dune.2021.HDCAM.x264-BAD", categories=(2000,), seeders=500)
    yield prowlarr, torznab
    prowlarr.stop()
    torznab.stop()


def _configure(api, prowlarr, torznab, **extra) -> None:
    values = {"prowlarr_url": prowlarr.url, "prowlarr_api_key": prowlarr.api_key, "service_timeout_s": 1,
              "torznab_indexers": [{"name": "Torrent9", "url": torznab.url, "api_key": torznab.feed.api_key}],
              **extra}
    response = api.call("PUT", "/api/settings", json={"values": values})
    assert response.status_code == 200, response.json


def test_parse_endpoint(api) -> None:
    names = ["Les.Revenants.S02.MULTi.1080p.BluRay.x265-GRP", "The.French.Connection.1971.1080p.BluRay.x264-GRP",
             "Show.S01E01E02.VOSTFR.720p.WEB.x264-GRP"]
    answer = api.call("POST", "/api/releases/parse", json={"names": names})
    assert answer.status_code == 200
    pack, film, double = answer.json["releases"]
    assert (pack["title"], pack["season"], pack["episodes"], pack["season_pack"]) == ("Les Revenants", 2, [], True)
    assert (pack["audio_class"], pack["codec"], pack["source"], pack["resolution"]) == ("MULTI", "x265", "BluRay",
                                                                                        "1080p")
    assert pack["score_breakdown"]["audio"] == 40 and pack["score"] == 40 + 25 + 15 + 2
    assert film["audio_class"] == "VO" and film["year"] == 1971
    assert double["episodes"] == [1, 2] and double["audio_class"] == "VOSTFR" and "fr" not in double["languages"]
    assert api.call("POST", "/api/releases/parse", json={"names": []}).status_code == 422
    assert api.call("POST", "/api/releases/parse", json={"nope": 1}).status_code == 422


def test_search_scores_sorts_and_reports_each_indexer(api, indexers) -> None:
    prowlarr, torznab = indexers
    _configure(api, prowlarr, torznab)
    prowlarr.fail_indexer("Sharewood", "timeout")
    answer = api.call("POST", "/api/search", json={"query": "dune", "kind": "movie"})
    assert answer.status_code == 200
    status = {s["indexer"]: s for s in answer.json["indexers"]}
    assert status["YggTorrent"]["ok"] and status["YggTorrent"]["count"] == 2
    assert status["Torrent9"]["ok"] and status["Torrent9"]["count"] == 2
    assert not status["Sharewood"]["ok"] and "no answer within 1 s" in status["Sharewood"]["error"]
    names = [r["name"] for r in answer.json["results"]]
    assert names[0] == "Dune.2021.MULTi.VFF.2160p.UHD.BluRay.REMUX.HDR.HEVC-GRP"
    assert names[-1] == "Dune.2021.HDCAM.x264-BAD"  # CAM: -50 whatever its 500 seeders
    top = answer.json["results"][0]
    assert top["score"] == 100 and top["indexer"] == "YggTorrent" and top["size"] == 60_000_000_000
    assert "passkey" not in answer.text and prowlarr.api_key not in answer.text and torznab.feed.api_key not in \
        answer.text  # links stay on the server
    ranked = api.call("PUT", "/api/settings", json={"values": {"ranking": "language"}})
    assert ranked.status_code == 200
    by_language = api.call("POST", "/api/search", json={"query": "dune", "kind": "movie"}).json["results"]
    assert [r["audio_class"] for r in by_language][:2] == ["MULTI", "VFF"]


def test_filters_and_season_pack_query(api, indexers) -> None:
    prowlarr, torznab = indexers
    _configure(api, prowlarr, torznab)
    four_k = api.call("POST", "/api/search", json={"query": "dune", "filters": {"quality": ["4K"]}}).json
    assert [r["resolution"] for r in four_k["results"]] == ["2160p"]
    vostfr = api.call("POST", "/api/search", json={"query": "dune", "filters": {"language": ["VOSTFR"]}}).json
    assert [r["audio_class"] for r in vostfr["results"]] == ["VOSTFR"]
    seeded = api.call("POST", "/api/search", json={"query": "dune", "filters": {"min_seeders": 50}}).json
    assert {r["seeders"] for r in seeded["results"]} == {80, 500}
    season = api.call("POST", "/api/search", json={"query": "Les Revenants", "kind": "tvsearch", "season": 2}).json
    assert {r["name"] for r in season["results"]} == {"Les.Revenants.S02.MULTi.1080p.BluRay.x265-GRP",
                                                      "Les.Revenants.S02E03.FRENCH.720p.HDTV.x264-GRP"}
    sent = [r for r in prowlarr.requests if r.path.endswith("/api") and r.arg("t") == "tvsearch"]
    assert sent and all(r.arg("season") == "2" and r.arg("cat") == "5000" for r in sent)


def test_empty_result_and_bad_input(api, indexers) -> None:
    prowlarr, torznab = indexers
    _configure(api, prowlarr, torznab)
    empty = api.call("POST", "/api/search", json={"query": "nothing at all"})
    assert empty.status_code == 200 and empty.json["results"] == [] and empty.json["message"] == "no result"
    assert api.call("POST", "/api/search", json={"query": ""}).status_code == 422
    assert api.call("POST", "/api/search", json={"query": "x", "kind": "music"}).status_code == 422


def test_no_indexer_configured(api) -> None:
    answer = api.call("POST", "/api/search", json={"query": "dune"}).json
    assert answer["results"] == [] and "no indexer" in answer["message"]


def test_media_searches_from_sonarr_and_radarr(api) -> None:
    with SonarrEmulator() as sonarr, RadarrEmulator() as radarr:
        series = sonarr.add_series("Les Revenants", 2012, 259570, {1: 3, 2: 3})
        first = next(e for e in sonarr.episodes.values() if (e["seasonNumber"], e["episodeNumber"]) == (1, 1))
        sonarr.add_episode_file(series["id"], 1, [1, 2, 3], "Season 01/x.mkv", 10)
        assert first["hasFile"]
        movie = radarr.add_movie("Amélie", 2001, 194, original_title="Le Fabuleux Destin d'Amélie Poulain")
        api.call("PUT", "/api/settings", json={"values": {"sonarr_url": sonarr.url, "sonarr_api_key": sonarr.api_key,
                                                          "radarr_url": radarr.url, "radarr_api_key": radarr.api_key}})
        tv = api.call("GET", f"/api/search/media?source=sonarr&id={series['id']}").json
        assert tv["media"]["sonarr_series_id"] == series["id"] and tv["media"]["tvdb_id"] == 259570
        [season] = tv["searches"]
        assert (season["query"], season["kind"], season["season"], season["missing_episodes"]) == (
            "Les Revenants S02", "tvsearch", 2, [1, 2, 3])
        assert season["tvdb_id"] == 259570 and season["titles"] == ["Les Revenants"]
        film = api.call("GET", f"/api/search/media?source=radarr&id={movie['id']}").json
        [search] = film["searches"]
        assert search["titles"] == ["Amélie", "Le Fabuleux Destin d'Amélie Poulain"] and search["tmdb_id"] == 194
        assert search["query"] == "Amélie 2001" and search["year"] == 2001
        missing = api.call("GET", "/api/search/media?source=radarr&id=999")
        assert missing.status_code == 404 and missing.json["error"]["code"] == "upstream_not_found"
        assert api.call("GET", "/api/search/media?source=x&id=1").status_code == 422


def test_a_media_search_uses_ids_where_the_indexer_can_and_accent_free_titles_elsewhere(api) -> None:
    with RadarrEmulator() as radarr, TorznabEmulator("Ids", "key-ids") as ids, \
            TorznabEmulator("TextOnly", "key-text", id_search=False) as text_only:
        movie = radarr.add_movie("Amélie", 2001, 194, original_title="Le Fabuleux Destin d'Amélie Poulain")
        ids.feed.add_release("Le.Fabuleux.Destin.d.Amelie.Poulain.2001.MULTi.1080p.BluRay.x264-GRP", tmdbid=194,
                             imdb=movie.get("imdbId"), categories=(2000,))
        ids.feed.add_release("Amelie.From.Montmartre.2001.FRENCH.720p.WEB.x264-OTHER", tmdbid=999,
                             categories=(2000,))  # same words, another film: an id search never returns it
        text_only.feed.add_release("Amelie.2001.FRENCH.720p.WEB.x264-GRP", categories=(2000,))
        values = {"radarr_url": radarr.url, "radarr_api_key": radarr.api_key, "service_timeout_s": 2,
                  "torznab_indexers": [{"name": "Ids", "url": ids.url, "api_key": "key-ids"},
                                       {"name": "TextOnly", "url": text_only.url, "api_key": "key-text"}]}
        assert api.call("PUT", "/api/settings", json={"values": values}).status_code == 200
        [search] = api.call("GET", f"/api/search/media?source=radarr&id={movie['id']}").json["searches"]
        body = {k: v for k, v in search.items() if k != "missing_episodes" and v is not None}
        answer = api.call("POST", "/api/search", json=body)
        assert answer.status_code == 200, answer.json
        names = sorted(r["name"] for r in answer.json["results"])
        assert names == ["Amelie.2001.FRENCH.720p.WEB.x264-GRP",
                         "Le.Fabuleux.Destin.d.Amelie.Poulain.2001.MULTi.1080p.BluRay.x264-GRP"]
        modes = {s["indexer"]: s["mode"] for s in answer.json["indexers"]}
        assert modes == {"Ids": "ids", "TextOnly": "text"}
        searched = [r for r in ids.requests if r.arg("t") == "movie"]
        assert searched and all(r.arg("tmdbid") == "194" and not r.arg("q") for r in searched)
        queries = [r.arg("q") for r in text_only.requests if r.arg("t") == "search"]
        assert "Amelie 2001" in queries and "Amélie 2001" in queries  # the accent-free form is what matched
        again = api.call("POST", "/api/search", json=body)
        assert len([r for r in ids.requests if r.arg("t") == "caps"]) == 1  # caps are remembered
        assert again.json["results"]
