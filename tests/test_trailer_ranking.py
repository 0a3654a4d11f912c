"""Trailer ranking: the right film in the right language first; look-alikes, wrong years, reviews and
lives lose. Inputs are shaped like yt-dlp's flat search entries and TMDB's /videos results."""

from __future__ import annotations

from app.trailers.ranking import detect_language, rank

BAD = ["review", "reaction", "fan made", "explained", "critique"]
HEAT = {"title": "Heat", "original_title": "Heat", "year": 1995}


def video(vid: str, title: str, *, channel: str = "Some channel", duration: int | None = 150, source: str = "youtube",
          official: bool = False, live: bool = False, iso: str | None = None) -> dict:
    return {"video_id": vid.ljust(11, "x")[:11], "url": f"https://www.youtube.com/watch?v={vid}", "title": title,
            "channel": channel, "duration_s": duration, "source": source, "official": official, "live": live,
            "iso_639_1": iso, "description": ""}


def test_language_markers() -> None:
    assert detect_language(video("a", "Heat (1995) Bande Annonce VF")) == "vf"
    assert detect_language(video("b", "HEAT - Bande-annonce VOSTFR")) == "vostfr"
    assert detect_language(video("c", "Heat (1995) Official Trailer")) == "vo"
    assert detect_language(video("d", "Heat", iso="fr")) == "vf"
    assert detect_language(video("e", "Heat sous-titré", iso="fr")) == "vostfr"
    assert detect_language(video("f", "Heat")) is None


def test_the_right_film_in_french_first() -> None:
    ranked = rank([
        video("vo", "Heat (1995) Official Trailer", channel="Warner Bros"),
        video("review", "Heat (1995) - Review and reaction"),
        video("remake", "Heat (2013) Bande Annonce VF"),  # another film with the same title
        video("other", "Heatwave (2022) bande annonce VF"),
        video("vostfr", "Heat (1995) bande annonce VOSTFR"),
        video("vf", "Heat (1995) bande annonce VF", channel="Bandes Annonces Officielles"),
        video("live", "Heat (1995) bande annonce VF live", live=True),
        video("long", "Heat (1995) film complet VF", duration=10_000),
    ], HEAT, bad_words=BAD, max_duration_s=600)
    order = [c["video_id"].rstrip("x") for c in ranked]
    assert order[:3] == ["vf", "vostfr", "vo"], order
    assert order.index("remake") > order.index("vo") and order.index("review") > order.index("vo")
    assert ranked[0]["score_parts"]["language"] == 40 and ranked[0]["score_parts"]["same_film"] > 0
    assert next(c for c in ranked if c["video_id"].startswith("remake"))["score_parts"]["same_film"] < 0
    assert next(c for c in ranked if c["video_id"].startswith("live"))["score_parts"]["kind"] == -100


def test_tmdb_official_trailer_beats_an_unknown_upload() -> None:
    ranked = rank([video("upload", "Heat trailer"),
                   video("tmdb", "Official Trailer", channel="TMDB", source="tmdb", official=True, duration=None,
                         iso="en")], HEAT, bad_words=BAD, max_duration_s=600)
    assert ranked[0]["video_id"].startswith("tmdb") and ranked[0]["score_parts"]["source"] == 25
