"""Plex naming and staging-file rules for the built-in import (no Flask, no I/O beyond what is named).

Plex's conventions (support.plex.tv, "Naming and organizing your Movie / TV Show files"):
``Movies/Title (Year) {tmdb-ID}/Title (Year) - 1080p.mkv`` and
``TV Shows/Show (Year) {tvdb-ID}/Season 01/Show (Year) - S01E02 - Episode Title.mkv``;
multi-episode files ``S01E01-E02``; subtitles beside the video with a language suffix
(``.fr.srt``, ``.en.forced.srt``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

VIDEO_EXTENSIONS = frozenset({".mkv", ".mp4", ".avi", ".m4v", ".ts", ".m2ts", ".mov", ".wmv", ".mpg", ".webm"})
SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".sub", ".idx", ".sup", ".vtt"})
ARCHIVE_RE = re.compile(r"\.(?:rar|zip|7z|r\d\d)$", re.I)
#: A video below this size (bytes) whose name says sample is skipped.
SAMPLE_MAX_BYTES = 300 * 1024 * 1024
_SAMPLE_RE = re.compile(r"(?:^|[\W_])sample(?:[\W_]|$)", re.I)
_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_LANGUAGE_CODES = {
    "fr": "fr", "fre": "fr", "fra": "fr", "french": "fr", "francais": "fr", "vf": "fr", "vff": "fr", "vfq": "fr",
    "en": "en", "eng": "en", "english": "en", "vo": "en", "de": "de", "ger": "de", "deu": "de", "es": "es",
    "spa": "es", "it": "it", "ita": "it",
}


@dataclass(frozen=True)
class StagedFiles:
    """What a staging folder holds: videos to import, subtitles, skipped samples/junk, archives."""

    videos: tuple[Path, ...]
    subtitles: tuple[Path, ...]
    skipped: tuple[Path, ...]
    archives: tuple[Path, ...]


def classify(files: list[Path]) -> StagedFiles:
    """Sort staged files: videos, subtitles, samples and junk (skipped), archives (reported, not extracted)."""
    videos, subtitles, skipped, archives = [], [], [], []
    for path in sorted(files):
        suffix = path.suffix.lower()
        if suffix in (".part", ".json") or path.name.endswith(".part.json"):
            skipped.append(path)
        elif ARCHIVE_RE.search(path.name):
            archives.append(path)
        elif suffix in VIDEO_EXTENSIONS:
            if _SAMPLE_RE.search(path.stem) and path.stat().st_size < SAMPLE_MAX_BYTES:
                skipped.append(path)
            else:
                videos.append(path)
        elif suffix in SUBTITLE_EXTENSIONS:
            subtitles.append(path)
        else:
            skipped.append(path)  # .nfo, .txt, .jpg...
    return StagedFiles(tuple(videos), tuple(subtitles), tuple(skipped), tuple(archives))


def clean(text: str) -> str:
    """A name safe on every filesystem Plex reads (no ``<>:"/\\|?*``), spaces collapsed."""
    return re.sub(r"\s+", " ", _ILLEGAL.sub("", text)).strip().rstrip(".")


def movie_folder(title: str, year: int | None, tmdb_id: int | None) -> str:
    """``Title (Year) {tmdb-ID}``."""
    name = f"{clean(title)} ({year})" if year else clean(title)
    return f"{name} {{tmdb-{tmdb_id}}}" if tmdb_id else name


def movie_file(title: str, year: int | None, resolution: str | None, extension: str) -> str:
    """``Title (Year) - 1080p.mkv``."""
    name = f"{clean(title)} ({year})" if year else clean(title)
    return f"{name}{f' - {resolution}' if resolution else ''}{extension.lower()}"


def show_folder(title: str, year: int | None, tvdb_id: int | None) -> str:
    """``Show (Year) {tvdb-ID}``."""
    name = f"{clean(title)} ({year})" if year else clean(title)
    return f"{name} {{tvdb-{tvdb_id}}}" if tvdb_id else name


def season_folder(season: int) -> str:
    """``Season 01`` (``Specials`` for season 0)."""
    return "Specials" if season == 0 else f"Season {season:02d}"


def episode_file(show: str, year: int | None, season: int, episodes: list[int], titles: list[str],
                 extension: str) -> str:
    """``Show (Year) - S01E02 - Title.mkv``; several episodes: ``S01E01-E02 - Title 1 & Title 2``."""
    name = f"{clean(show)} ({year})" if year else clean(show)
    numbers = f"S{season:02d}E{episodes[0]:02d}" + (f"-E{episodes[-1]:02d}" if len(episodes) > 1 else "")
    title = " & ".join(t for t in (clean(t) for t in titles) if t)
    return f"{name} - {numbers}{f' - {title}' if title else ''}{extension.lower()}"


def subtitle_suffix(subtitle: Path) -> str:
    """The language part of a subtitle name for Plex: ``.fr``, ``.en.forced``, ``.fr.sdh`` or ``""``."""
    tokens = [t.lower() for t in re.split(r"[\W_]+", subtitle.stem) if t]
    language = next((_LANGUAGE_CODES[t] for t in reversed(tokens) if t in _LANGUAGE_CODES), None)
    flags = [f for f in ("forced", "sdh") if f in tokens]
    return "".join(f".{part}" for part in ([language] if language else []) + flags)
