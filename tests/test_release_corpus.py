"""Parsing accuracy over ``shared/corpus`` (its README says what each file expects).

Prints the share of names whose title, year, season, episode, resolution, codec and French audio
class are all right, per corpus, and holds them above floors; MULTI vs VOSTFR vs French audio
must never be confused on the corpus's French names (our rule: the one in releases.py).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from app.utils.media.releases import parse_release

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FR_AUDIO_TAGS = {"VFF", "TRUEFRENCH", "FRENCH", "VF", "VFI", "VOF", "VFB", "VFQ", "VF2"}
SUB_TAGS = {"VOSTFR", "SUBFRENCH", "STFR", "SUBFR", "FRSUB", "FRSUBS", "VOST", "FASTSUB"}
CODECS = {"h.264": "x264", "h264": "x264", "x264": "x264", "avc": "x264", "h.265": "x265", "h265": "x265",
          "x265": "x265", "hevc": "x265", "xvid": "XviD", "divx": "XviD", "av1": "AV1"}


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower().replace("&", "and"))


#: Names where a source's label contradicts our rule, with the reason (our class is kept).
DISAGREEMENTS = {
    "Elektra 2005 [J.Garner, T.Stamp] BRRIP-H264-720P & AC3-5.1-VFF-STFR [Calinos1]":
        "thcolin labels VFF + STFR (French dub + French subtitles) MULTI; one audio track is VFF for us",
}


def _family(audio_class: str) -> str:
    return "FR" if audio_class in ("VFF", "VFQ", "VF2") else audio_class


def _expected_class(record: dict) -> str | None:
    """What our rule expects for a French record, using its source's language expectation."""
    tags = set(record["french_tags"])
    expected = record.get("expected_language") or {}
    languages = set(expected.get("languages") or [])
    subtitles = set(expected.get("subtitle_languages") or [])
    upper = record["name"].upper()
    if "MULTI" in tags and ("multi" in languages or not expected or "fr" in languages):
        return "MULTI"
    if "fr" in languages and languages - {"fr", "multi", "unknown"}:
        return "MULTI"  # French and another audio language: several tracks
    if tags & FR_AUDIO_TAGS and ("fr" in languages or "SUBFORCED" in upper):
        return "FR"  # our rule: FRENCH.SUBFORCED is French audio with forced subtitles
    if tags & SUB_TAGS and not tags & FR_AUDIO_TAGS:
        return "VOSTFR"
    if "fr" in subtitles and "fr" not in languages:
        return "VOSTFR"
    return None


def _cases() -> dict[str, list[dict]]:
    """Per corpus: ``{"name", "title", "year", "season", "episode", "resolution", "codec", "class"}``."""
    french = json.loads((CORPUS / "french" / "french_releases.json").read_text())["records"]
    cases: dict[str, list[dict]] = {"french": [], "thcolin": [], "guessit-episodes": [], "guessit-movies": []}
    seen: set[str] = set()
    for record in french:
        if record["name"] in seen or not record["strong_french_marker"]:
            continue
        seen.add(record["name"])
        cases["french"].append({"name": record["name"], "class": _expected_class(record)})
    for name, entry in json.loads((CORPUS / "thcolin" / "releases.json").read_text()).items():
        language = (entry.get("language") or "").upper()
        klass = {"MULTI": "MULTI", "VOSTFR": "VOSTFR", "FRENCH": "FR", "TRUEFRENCH": "FR"}.get(language)
        cases["thcolin"].append({"name": name, "title": entry.get("title"), "season": entry.get("season"),
                                 "episode": entry.get("episode"), "resolution": entry.get("resolution"),
                                 "codec": CODECS.get((entry.get("encoding") or "").lower()), "class": klass})
    for kind in ("episodes", "movies"):
        data = yaml.safe_load((CORPUS / "guessit" / f"{kind}.yml").read_text())
        for name, entry in data.items():
            if name == "__default__" or name.startswith("-") or not isinstance(entry, dict) or entry.get("options"):
                continue
            if entry.get("type") not in (None, "episode" if kind == "episodes" else "movie"):
                continue
            episode = entry.get("episode")
            season = entry.get("season")
            cases[f"guessit-{kind}"].append({
                "name": name, "title": entry.get("title"), "year": entry.get("year"),
                "season": season if isinstance(season, int) else None,
                "episode": episode if isinstance(episode, int) else None,
                "resolution": entry.get("screen_size") if entry.get("screen_size") in ("480p", "576p", "720p",
                                                                                        "1080p", "2160p") else None,
                "codec": CODECS.get(str(entry.get("video_codec") or "").lower())})
    return cases


def _check(case: dict) -> dict[str, bool]:
    parsed = parse_release(case["name"])
    results = {}
    if case.get("title"):
        results["title"] = _norm(parsed.title) == _norm(case["title"])
    if case.get("year"):
        results["year"] = parsed.year == case["year"]
    if case.get("season") is not None:
        results["season"] = case["season"] in parsed.seasons
    if case.get("episode") is not None:
        results["episode"] = case["episode"] in parsed.episodes
    if case.get("resolution"):
        results["resolution"] = parsed.resolution == case["resolution"]
    if case.get("codec"):
        results["codec"] = parsed.codec == case["codec"]
    if case.get("class"):
        results["class"] = _family(parsed.audio_class) == case["class"]
    return results


#: Floors under the shares measured when this test was written (they may only go up).
FLOORS = {"french": 0.98, "thcolin": 0.84, "guessit-episodes": 0.70, "guessit-movies": 0.68}


@pytest.fixture(scope="module")
def report() -> dict[str, tuple[int, int, Counter]]:
    out = {}
    for corpus, cases in _cases().items():
        ok = 0
        misses: Counter = Counter()
        for case in cases:
            results = _check(case)
            if all(results.values()):
                ok += 1
            misses.update(k for k, v in results.items() if not v)
        out[corpus] = (ok, len(cases), misses)
        print(f"\n{corpus}: {ok}/{len(cases)} all fields right ({ok / len(cases):.1%}); misses by field {dict(misses)}")
    return out


@pytest.mark.parametrize("corpus", sorted(FLOORS))
def test_share_of_names_fully_right(report, corpus) -> None:
    ok, total, _ = report[corpus]
    assert total > 100
    assert ok / total >= FLOORS[corpus], (corpus, ok, total)


def test_multi_vostfr_french_audio_never_confused() -> None:
    confusions = Counter()
    checked = 0
    for case in _cases()["french"] + _cases()["thcolin"]:
        if not case.get("class") or case["name"] in DISAGREEMENTS:
            continue
        checked += 1
        got = _family(parse_release(case["name"]).audio_class)
        if got != case["class"] and got != "VO" and case["class"] != "VO":
            confusions[(case["class"], got, case["name"])] += 1
    assert checked > 400
    assert confusions == Counter()
