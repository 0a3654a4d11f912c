"""Release names: parsing (parsett), the French audio class (ours), scoring and filters.

Parsing uses parsett (PTT), measured against guessit on ``shared/corpus``: as
accurate on titles, seasons and episodes, and about 15 times faster. Its
handlers that MMS never reads (adult, PPV, bit depth, channels, size...) are
left out of our parser instance; the accuracy test shows no field changes.

French audio is MMS's own rule (neither parser tells MULTI from VOSTFR reliably):

=========  ====================================================================
MULTI      several audio tracks including French (``MULTI``, ``MULTi``; not ``Multi-Subs``)
VF2        both French dubs, France and Québec (``VF2``)
VFF        French dub (``VFF``, ``TRUEFRENCH``, ``FRENCH``, ``VF``, ``VFI``, ``VOF``)
VFQ        Québec French dub (``VFQ``, ``VOQ``, ``VQ``) without a France one
VOSTFR     original audio with French subtitles (``VOSTFR``, ``SUBFRENCH``, ``STFR``...): not French audio
VO         no French marker
=========  ====================================================================

Markers are only read outside the title (``The French Connection`` stays VO).
Scores are out of 100 (clamped to 0..100), weights from the settings.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from functools import cache
from multiprocessing import get_context
from typing import Any

from PTT import Parser, add_defaults

from app.utils.media.french_tags import french_tags

AUDIO_CLASSES = ("MULTI", "VF2", "VFF", "VFQ", "VOSTFR", "VO")
#: How French an audio class is (an upgrade or a follow never goes down this scale).
FRENCH_RANK = {"VO": 0, "VOSTFR": 1, "VFQ": 2, "VFF": 2, "VF2": 3, "MULTI": 4}
#: Resolutions in order (what a release name or ffprobe says; below 720p is SD).
RESOLUTION_RANK = {"SD": 0, "480p": 0, "576p": 0, "720p": 1, "1080p": 2, "2160p": 3}

#: parsett handlers whose results MMS never uses (measured: no change to any field we read).
SKIPPED_HANDLERS = frozenset({"adult", "ppv", "channels", "bit_depth", "upscaled", "documentary", "commentary",
                              "size", "torrent", "hardcoded", "retail", "bitrate", "trash", "3d"})

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")
_FILE_RE = re.compile(r"\.(?:mkv|mp4|avi|m4v|ts|m2ts|wmv|mov|mpg|srt|ass|nfo|iso)$", re.I)
_MULTI = {"MULTI"}
_VF2 = {"VF2"}
_VFQ = {"VFQ", "VOQ", "VQ"}
_VFF = {"VFF", "TRUEFRENCH", "FRENCH", "VF", "VFI", "VOF", "VFB", "FRA", "FRE", "FR"}
_VOSTFR = {"VOSTFR", "SUBFRENCH", "STFR", "SUBFR", "FRSUB", "FRSUBS", "VOSTF", "FASTSUB"}
#: Other audio languages: beside a French dub they make a MULTI ("VO+VFF", "FR EN", "ENG-FRE").
_OTHER_AUDIO = {"EN", "ENG", "ENGLISH", "VO", "VOA", "ITA", "ITALIAN", "GER", "GERMAN", "DEU", "SPA", "SPANISH",
                "ESP", "JAP", "JPN", "RUS", "KOR"}
#: Short codes that are also words ("En attendant"): other audio only next to another language code.
_WEAK_OTHER = {"EN", "VO"}
_SUB_WORDS = {"SUB", "SUBS", "SUBBED", "SUBTITLE", "SUBTITLES"}
#: French words that also appear in titles ("The French Connection", "French Kiss").
_AMBIGUOUS = {"FRENCH", "FR", "FRA", "FRE", "VF"}

_SOURCE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("CAM", re.compile(r"\b(?:HD)?CAM(?:RIP)?\b|\bHQCAM\b", re.I)),
    ("TS", re.compile(r"\b(?:HD)?(?:TS|TELESYNC|TC|TELECINE)\b", re.I)),
    ("REMUX", re.compile(r"\bREMUX\b|\bBD-?REMUX\b", re.I)),
    ("BluRay", re.compile(r"\bBLU-?RAY\b|\bBD(?:RIP)?\b|\bBRRIP\b|\bBDMV\b|\bUHD\.?BLU|\bHDLIGHT\b|\bMHD\b", re.I)),
    ("WEB-DL", re.compile(r"\bWEB-?DL\b|\bWEB\b(?!-?RIP)|\bAMZN\b|\bNF\b|\bDSNP\b|\bHMAX\b", re.I)),
    ("WEBRip", re.compile(r"\bWEB-?RIP\b", re.I)),
    ("HDTV", re.compile(r"\bHDTV\b|\bPDTV\b|\bTVRIP\b|\bHDTVRIP\b|\bDSR\b", re.I)),
    ("DVDRip", re.compile(r"\bDVD-?RIP\b|\bDVD(?:5|9|R)?\b|\bR5\b", re.I)),
)
_QUALITY_TO_SOURCE = {"bluray remux": "REMUX", "remux": "REMUX", "bluray": "BluRay", "brrip": "BluRay",
                      "bdrip": "BluRay", "uhdrip": "BluRay", "web": "WEB-DL", "web-dl": "WEB-DL", "webrip": "WEBRip",
                      "webmux": "WEB-DL", "hdtv": "HDTV", "hdtvrip": "HDTV", "pdtv": "HDTV", "tvrip": "HDTV",
                      "dvdrip": "DVDRip", "dvd": "DVDRip", "cam": "CAM", "telesync": "TS", "telecine": "TS",
                      "scr": "DVDRip", "screener": "DVDRip"}
_CODECS = {"hevc": "x265", "x265": "x265", "h265": "x265", "avc": "x264", "x264": "x264", "h264": "x264",
           "av1": "AV1", "xvid": "XviD", "divx": "XviD", "mpeg": "MPEG2"}


@dataclass(frozen=True)
class ParsedRelease:
    """A release name, parsed. ``episodes`` empty with ``season`` set means a season pack;
    ``resolution`` like ``1080p``; ``source`` one of REMUX, BluRay, WEB-DL, WEBRip, HDTV, DVDRip, CAM, TS;
    ``codec`` one of x264, x265, AV1, XviD; ``audio_class`` one of :data:`AUDIO_CLASSES`."""

    name: str
    title: str
    year: int | None
    season: int | None
    seasons: tuple[int, ...]
    episodes: tuple[int, ...]
    season_pack: bool
    resolution: str | None
    source: str | None
    codec: str | None
    hdr: tuple[str, ...]
    audio: tuple[str, ...]
    audio_class: str
    languages: tuple[str, ...]
    group: str | None
    proper: bool = False
    repack: bool = False
    complete: bool = False
    #: TRaSH-Guides French tags (:mod:`app.utils.media.french_tags`): ``("MULTi", "VFF")``...
    french_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Score:
    """A release's score out of 100 and its parts (each in points)."""

    total: int
    audio: int
    video: int
    source: int
    reliability: int
    labels: dict[str, str] = field(default_factory=dict)


DEFAULT_WEIGHTS: dict[str, Any] = {
    "audio": {"MULTI": 40, "VF2": 35, "VFF": 30, "VFQ": 30, "VOSTFR": 20, "VO": 10},
    "video": {"4K_HDR": 35, "4K": 30, "1080p_HEVC": 25, "1080p": 20, "720p": 10, "SD": 0},
    "source": {"REMUX": 15, "BluRay": 15, "WEB-DL": 12, "WEBRip": 10, "HDTV": 5, "DVDRip": 2, "CAM": -50, "TS": -50,
               "unknown": 0},
    "reliability": [[50, 10], [20, 7], [10, 5], [0, 2]],
}


@cache
def _parser() -> Parser:
    parser = Parser()
    add_defaults(parser)
    parser.handlers = [h for h in parser.handlers if getattr(h, "handler_name", "") not in SKIPPED_HANDLERS]
    return parser


def _french_class(name: str, title: str) -> str:
    """The audio class from the release's markers (see the module docstring).

    Unambiguous markers (VOSTFR, TRUEFRENCH, VFF, MULTI...) count anywhere; words that can be part of a
    title (FRENCH, FR, VF) only count after the title, so "The French Connection" stays VO.
    """
    tokens = [t.upper() for t in _TOKEN_RE.findall(name)]
    title_tokens = [t.upper() for t in _TOKEN_RE.findall(title)]
    start = 0
    while start < len(tokens) and start < len(title_tokens) and tokens[start] == title_tokens[start]:
        start += 1
    found: set[str] = set()
    other_audio = False
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        previous = tokens[i - 1] if i else ""
        in_title = i < start
        subtitle_context = following in _SUB_WORDS or previous in ("SUB", "ST", "SUBS")
        if token in _OTHER_AUDIO:
            near_language = bool({previous, following} & (_OTHER_AUDIO | _VFF | _VFQ | _VF2))
            if not in_title and not subtitle_context and (token not in _WEAK_OTHER or near_language):
                other_audio = True
        elif token in _MULTI:
            if not following.startswith(("SUB", "LANG")):
                found.add("MULTI")
        elif token in _VF2:
            found.add("VF2")
        elif token in _VFQ:
            if token == "VQ" and in_title:
                continue
            found.add("VFQ")
        elif token in _VOSTFR or (token == "VOST" and following in ("FR", "FRE", "FRENCH")):
            found.add("VOSTFR")
        elif token in _VFF:
            if token in _AMBIGUOUS and in_title:
                continue
            if subtitle_context:
                found.add("VOSTFR")  # "FR sub", "sub FR": French subtitles
            else:
                found.add("VFF")
    if "MULTI" in found or (other_audio and found & {"VFF", "VFQ", "VF2"}):
        return "MULTI"
    if "VF2" in found or {"VFF", "VFQ"} <= found:
        return "VF2"
    if "VFF" in found:
        return "VFF"
    if "VFQ" in found:
        return "VFQ"
    if "VOSTFR" in found:
        return "VOSTFR"
    return "VO"


def _source(name: str, quality: str | None) -> str | None:
    for label, pattern in _SOURCE_PATTERNS[:3]:  # CAM, TS and REMUX win over what parsett says
        if pattern.search(name):
            return label
    if quality:
        key = quality.lower()
        if key in _QUALITY_TO_SOURCE:
            return _QUALITY_TO_SOURCE[key]
        for part, label in _QUALITY_TO_SOURCE.items():
            if part in key:
                return label
    for label, pattern in _SOURCE_PATTERNS[3:]:
        if pattern.search(name):
            return label
    return None


def _resolution(raw: str | None, name: str) -> str | None:
    if raw:
        raw = raw.lower()
        if raw in ("4k", "2160p", "uhd"):
            return "2160p"
        if raw.endswith("p") and raw[:-1].isdigit():
            return raw
        if raw in ("1080i", "720i"):
            return raw[:-1] + "p"
    if re.search(r"\b(?:UHD|4K)\b", name, re.I):
        return "2160p"
    return None


#: Longest release name parsed, in characters: real names stay far below; a longer one is cut before
#: parsing (the parser's cost grows fast with length: 20,000 characters took 40 s).
MAX_NAME_CHARS = 512


#: Parsed names kept (each a few hundred bytes): searches and pages parse the same names again and again.
PARSE_CACHE_SIZE = 8192


def parse_release(name: str) -> ParsedRelease:
    """Parse one release name (a torrent title, a file name or a path: its last part), cut to
    :data:`MAX_NAME_CHARS` characters first. Never raises on text. Results are immutable and the last
    :data:`PARSE_CACHE_SIZE` are kept (``functools.lru_cache``)."""
    return _parse_release(name)


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_release(name: str) -> ParsedRelease:
    if len(name) > MAX_NAME_CHARS:
        name = name[-MAX_NAME_CHARS:] if ("/" in name or "\\" in name) else name[:MAX_NAME_CHARS]
    base = name
    if "/" in name or "\\" in name:
        last = name.replace("\\", "/").rsplit("/", 1)[-1]
        if _FILE_RE.search(last):  # a file path: the file name tells (torrent titles may hold "VF / VOSTFR")
            base = last
    raw = _parser().parse(base)
    title = raw.get("title") or ""
    seasons = tuple(raw.get("seasons") or ())
    episodes = tuple(raw.get("episodes") or ())
    codec = _CODECS.get(str(raw.get("codec") or "").lower())
    languages = tuple(dict.fromkeys(raw.get("languages") or ()))
    audio_class = _french_class(base, title)
    if audio_class in ("MULTI", "VF2", "VFF", "VFQ") and "fr" not in languages:
        languages = ("fr", *languages)
    if audio_class == "VOSTFR":
        languages = tuple(code for code in languages if code != "fr")
    return ParsedRelease(
        name=name, title=title, year=raw.get("year"), season=seasons[0] if len(seasons) == 1 else None,
        seasons=seasons, episodes=episodes, season_pack=bool(seasons) and not episodes,
        resolution=_resolution(raw.get("resolution"), base), source=_source(base, raw.get("quality")), codec=codec,
        hdr=tuple(raw.get("hdr") or ()), audio=tuple(raw.get("audio") or ()), audio_class=audio_class,
        languages=languages, group=raw.get("group"), proper=bool(raw.get("proper")), repack=bool(raw.get("repack")),
        complete=bool(raw.get("complete")), french_tags=french_tags(base, title),
    )


# -- scoring ---------------------------------------------------------------------------------------
def _video_key(parsed: ParsedRelease) -> str:
    resolution = parsed.resolution or ""
    if resolution == "2160p":
        return "4K_HDR" if parsed.hdr else "4K"
    if resolution == "1080p":
        return "1080p_HEVC" if parsed.codec in ("x265", "AV1") else "1080p"
    if resolution == "720p":
        return "720p"
    return "SD"


def score_release(parsed: ParsedRelease, seeders: int | None, weights: dict[str, Any] | None = None) -> Score:
    """Score out of 100: audio + video + source + reliability (seeders), clamped to 0..100."""
    w = weights or DEFAULT_WEIGHTS
    audio = int(w["audio"].get(parsed.audio_class, 0))
    video_key = _video_key(parsed)
    video = int(w["video"].get(video_key, 0))
    source_key = parsed.source or "unknown"
    source = int(w["source"].get(source_key, 0))
    reliability = 0
    for threshold, points in w["reliability"]:
        if (seeders or 0) > threshold or threshold == 0:
            reliability = int(points)
            break
    total = max(0, min(100, audio + video + source + reliability))
    labels = {"audio": parsed.audio_class, "video": video_key, "source": source_key,
              "reliability": f"{seeders or 0} seeders"}
    return Score(total, audio, video, source, reliability, labels)


def rank_key(parsed: ParsedRelease, score: Score, language_first: bool) -> tuple[int, int]:
    """Sort key, best first when sorted in reverse: the score, or the audio points then the score."""
    return (score.audio, score.total) if language_first else (score.total, score.audio)


# -- filters ----------------------------------------------------------------------------------------
def _alias_pattern(tokens: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in tokens)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.I)


def matches_filters(parsed: ParsedRelease, filters: dict[str, Any], aliases: dict[str, dict[str, list[str]]],
                    *, seeders: int | None = None, size: int | None = None) -> bool:
    """Whether a release passes ``filters``: ``{"quality"|"language"|"codec"|"source": [alias...],
    "min_seeders": int, "min_size"/"max_size": bytes}``. An alias matches when one of its tokens
    (settings, e.g. ``4K`` = 2160p|UHD|4K) stands in the name; the language filter also accepts
    the parsed audio class itself."""
    for category in ("quality", "language", "codec", "source"):
        wanted = filters.get(category) or []
        if not wanted:
            continue
        ok = False
        for alias in wanted:
            if category == "language" and alias == parsed.audio_class:
                ok = True
                break
            tokens = aliases.get(category, {}).get(alias)
            if tokens and _alias_pattern(tuple(tokens)).search(parsed.name):
                if category == "language" and parsed.audio_class not in (alias, "VO") and alias == "VO":
                    continue
                ok = True
                break
        if not ok:
            return False
    if filters.get("min_seeders") is not None and (seeders or 0) < int(filters["min_seeders"]):
        return False
    if filters.get("min_size") is not None and (size or 0) < int(filters["min_size"]):
        return False
    return not (filters.get("max_size") is not None and (size or 0) > int(filters["max_size"]))


# -- batches -----------------------------------------------------------------------------------------
#: Batches at least this long are parsed in worker processes (one per core).
PARALLEL_THRESHOLD = 400
_pool: ProcessPoolExecutor | None = None


def _worker_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=max(2, os.cpu_count() or 2), mp_context=get_context("forkserver"),
                                    initializer=_parser)
    return _pool


def _parse_chunk(names: list[str]) -> list[ParsedRelease]:
    return [parse_release(n) for n in names]


def parse_many(names: Iterable[str], parallel: bool | None = None) -> list[ParsedRelease]:
    """Parse many names, in order; large batches go to worker processes (``parallel=None``: by size)."""
    names = list(names)
    if parallel is None:
        parallel = len(names) >= PARALLEL_THRESHOLD
    if not parallel or len(names) < 2:
        return _parse_chunk(names)
    workers = max(2, os.cpu_count() or 2)
    size = max(50, len(names) // (workers * 4) + 1)
    chunks = [names[i:i + size] for i in range(0, len(names), size)]
    out: list[ParsedRelease] = []
    for part in _worker_pool().map(_parse_chunk, chunks):
        out.extend(part)
    return out


def shutdown_workers() -> None:
    """Stop the worker processes (tests, shutdown)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


_PARSED_FIELDS = tuple(f.name for f in fields(ParsedRelease))


def describe(parsed: ParsedRelease, score: Score) -> dict[str, Any]:
    """The API shape of one parsed and scored release (``POST /api/releases/parse``)."""
    # field by field (dataclasses.asdict deep-copies recursively: most of a 10-name parse's time)
    data = {name: getattr(parsed, name) for name in _PARSED_FIELDS}
    for name in ("episodes", "seasons", "hdr", "audio", "languages", "french_tags"):
        data[name] = list(data[name])
    data["score"] = score.total
    data["score_breakdown"] = {"audio": score.audio, "video": score.video, "source": score.source,
                               "reliability": score.reliability, "labels": score.labels}
    return data
