"""Which video is the right trailer: a score from parts the UI shows one by one.

Parts (points): ``language`` (VF 40, VOSTFR 25, VO 10: read from TMDB's ``iso_639_1`` and the title and
description markers), ``same_film`` (the title found in the video's title, up to 30; another year named in
it: -40), ``source`` (TMDB 15, official 10, a channel saying "officiel"/"official" 5), ``duration`` (30 s to
the maximum: 10, outside: -30), ``kind`` (a live, an upcoming or a short: -100), ``bad_words`` (-60 for a
review, a reaction, a fan edit... from the settings). A candidate is a dict: ``video_id``, ``url``,
``title``, ``channel``, ``thumbnail``, ``duration_s``, ``language``, ``source``, ``official``, ``live``,
``description``. TMDB's videos are the film's own: they count as the same film.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from app.utils.text import fold

LANGUAGE_POINTS = {"vf": 40, "vostfr": 25, "vo": 10}
_VOSTFR = re.compile(r"\bvost(?:fr)?\b|sous[- ]titr|subtitulad|\bsub fr\b")
_VF = re.compile(r"\bvf[fqi]?\b|version francaise|\bfrancais\b|\bdouble(?:e|s)?\b|\bfrench\b|bande[- ]annonce")
_YEAR = re.compile(r"\b(19[0-9]{2}|20[0-9]{2})\b")
_OFFICIAL = re.compile(r"offici[ae]l")


def detect_language(candidate: dict[str, Any]) -> str | None:
    """``vf``, ``vostfr``, ``vo`` or ``None`` (unknown): TMDB's ``iso_639_1`` when it has one (``fr`` is
    French audio unless the title says VOSTFR), else the title and description markers."""
    text = fold(f"{candidate.get('title') or ''} {candidate.get('description') or ''}")
    if _VOSTFR.search(text):
        return "vostfr"
    iso = (candidate.get("iso_639_1") or "").lower()
    if iso == "fr" or _VF.search(text):
        return "vf"
    if iso or re.search(r"\btrailer\b|\bofficial\b", text):
        return "vo"
    return None


def score(candidate: dict[str, Any], media: dict[str, Any], *, bad_words: list[str],
          max_duration_s: int) -> tuple[int, dict[str, int]]:
    """``(total, parts)`` for a candidate of ``media`` (``title``, ``original_title``, ``year``)."""
    parts: dict[str, int] = {}
    language = candidate.get("language") or detect_language(candidate)
    parts["language"] = LANGUAGE_POINTS.get(language or "", 0)

    video_title = fold(candidate.get("title") or "")
    titles = [fold(t) for t in (media.get("title"), media.get("original_title")) if t]
    if candidate.get("source") == "tmdb" or any(t and t in video_title for t in titles):
        same = 30  # TMDB lists the film's own videos
    else:
        same = int(30 * max((SequenceMatcher(None, t, video_title).ratio() for t in titles), default=0) - 10)
    years = {int(y) for y in _YEAR.findall(video_title)}
    year = media.get("year")
    if year and years:
        same += 10 if any(abs(y - int(year)) <= 1 for y in years) else -40
    parts["same_film"] = same

    source = 15 if candidate.get("source") == "tmdb" else 0
    if candidate.get("official"):
        source += 10
    if _OFFICIAL.search(fold(candidate.get("channel") or "")):
        source += 5
    parts["source"] = source

    duration = candidate.get("duration_s")
    parts["duration"] = 0 if not duration else 10 if 30 <= duration <= max_duration_s else -30
    parts["kind"] = -100 if candidate.get("live") or "/shorts/" in (candidate.get("url") or "") else 0
    text = fold(f"{candidate.get('title') or ''} {candidate.get('description') or ''}")
    parts["bad_words"] = -60 if any(fold(w) in text for w in bad_words if w.strip()) else 0
    return sum(parts.values()), parts


def rank(candidates: list[dict[str, Any]], media: dict[str, Any], *, bad_words: list[str],
         max_duration_s: int) -> list[dict[str, Any]]:
    """Candidates with ``language``, ``score`` and ``score_parts`` set, best first; one entry per video."""
    seen: set[str] = set()
    out = []
    for candidate in candidates:
        if candidate["video_id"] in seen:
            continue
        seen.add(candidate["video_id"])
        total, parts = score(candidate, media, bad_words=bad_words, max_duration_s=max_duration_s)
        out.append({**candidate, "language": candidate.get("language") or detect_language(candidate),
                    "score": total, "score_parts": parts})
    return sorted(out, key=lambda c: -c["score"])
