"""Videos through yt-dlp: YouTube searches (flat, one request) and downloads remuxed to MKV.

Sources: yt-dlp's README (``extract_info``, ``extract_flat``, format selection, ``FFmpegVideoRemuxer``,
``FFmpegEmbedSubtitle``, ``cookiefile``) and the fields it documents for flat search entries (``id``,
``url``, ``title``, ``channel``, ``duration``, ``live_status``, ``thumbnails``, ``description``). Every
yt-dlp failure becomes one of :mod:`app.utils.clients.errors`: the bot check ->
:class:`UpstreamBotCheck`, HTTP 429 -> :class:`UpstreamUnavailable`, private/removed/age-restricted ->
:class:`VideoUnavailable`, no answer in time -> :class:`UpstreamTimeout`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yt_dlp
from yt_dlp.utils import DownloadError, YoutubeDLError, match_filter_func

from app.utils.clients.errors import (
    UpstreamBotCheck,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
    VideoUnavailable,
)

SERVICE = "YouTube"
#: A YouTube video id: 11 characters of [A-Za-z0-9_-].
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
#: Hosts a pasted YouTube link may have.
YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtube-nocookie.com",
                           "youtube-nocookie.com", "music.youtube.com"})
#: Seconds yt-dlp waits on a socket.
SOCKET_TIMEOUT_S = 30.0
#: yt-dlp's format selection for a trailer: the best video up to 1080p with the best audio, else one file.
TRAILER_FORMAT = "bv*[height<=1080]+ba/b[height<=1080]/bv*+ba/b"


def video_id(link: str) -> str:
    """The video id of a YouTube link (``watch?v=``, ``youtu.be/``, ``/embed/``, ``/shorts/``) or of a bare
    id; ``ValueError`` for anything else."""
    text = link.strip()
    if VIDEO_ID.match(text):
        return text
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or host not in YOUTUBE_HOSTS:
        raise ValueError("not a YouTube link")
    if host.endswith("youtu.be"):
        candidate = parts.path.strip("/").split("/")[0]
    elif parts.path == "/watch":
        candidate = (parse_qs(parts.query).get("v") or [""])[0]
    else:
        match = re.match(r"^/(?:embed|shorts|v|live)/([^/?#]+)", parts.path)
        candidate = match.group(1) if match else ""
    if not VIDEO_ID.match(candidate):
        raise ValueError("not a YouTube video link")
    return candidate


def watch_url(video: str) -> str:
    """``https://www.youtube.com/watch?v=<id>``."""
    return f"https://www.youtube.com/watch?v={video}"


def classify(exc: Exception) -> UpstreamError:
    """The typed error for a yt-dlp failure, from the text yt-dlp raises."""
    text = str(exc)
    lowered = text.lower()
    if "confirm you" in lowered and "not a bot" in lowered:
        return UpstreamBotCheck(SERVICE, "YouTube asks to confirm you are not a bot", setting="TRAILER_COOKIES_FILE")
    if "429" in text or "too many requests" in lowered:
        return UpstreamUnavailable(SERVICE, "too many requests (HTTP 429): wait and try again later")
    if any(m in lowered for m in ("sign in to confirm your age", "age-restricted", "inappropriate for some users")):
        return VideoUnavailable(SERVICE, "age_restricted", "the video is age-restricted")
    if "private video" in lowered:
        return VideoUnavailable(SERVICE, "private", "the video is private")
    if "video unavailable" in lowered or "has been removed" in lowered or "no longer available" in lowered:
        return VideoUnavailable(SERVICE, "removed", "the video is no longer available")
    if "timed out" in lowered or "timeout" in lowered:
        return UpstreamTimeout(SERVICE, "no answer in time")
    if "file is larger than max-filesize" in lowered or "larger than max-filesize" in lowered:
        return VideoUnavailable(SERVICE, "too_large", "the video is larger than the limit")
    return UpstreamUnavailable(SERVICE, text.removeprefix("ERROR: ")[:300])


def media_duration(path: Path) -> float | None:
    """A media file's duration in seconds (ffprobe), ``None`` when it cannot be read."""
    try:
        found = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                str(path)], capture_output=True, text=True, timeout=60, check=False)
        return float(found.stdout.strip())
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


class _Quiet:
    """yt-dlp's logger: nothing on stdout; errors kept for the exception."""

    def debug(self, msg: str) -> None:
        """Ignored."""

    def info(self, msg: str) -> None:
        """Ignored."""

    def warning(self, msg: str) -> None:
        """Ignored."""

    def error(self, msg: str) -> None:
        """Ignored (yt-dlp raises with the same text)."""


class YouTubeClient:
    """yt-dlp with MMS's limits: ``cookiefile`` (a signed-in browser's cookies, for the bot check),
    socket timeout in seconds."""

    def __init__(self, cookiefile: str | None = None, timeout: float = SOCKET_TIMEOUT_S):
        self.cookiefile = cookiefile or None
        self.timeout = timeout

    def _options(self, **extra: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"quiet": True, "no_warnings": True, "noprogress": True, "logger": _Quiet(),
                                   "socket_timeout": self.timeout, "noplaylist": True}
        if self.cookiefile:
            options["cookiefile"] = self.cookiefile
        options.update(extra)
        return options

    def search(self, query: str, count: int = 8) -> list[dict[str, Any]]:
        """``ytsearchN:<query>`` with ``extract_flat="in_playlist"``: the flat entries (title, channel,
        duration, live status) in one request. Raises the typed errors."""
        try:
            with yt_dlp.YoutubeDL(self._options(extract_flat="in_playlist", skip_download=True)) as ydl:
                found = ydl.extract_info(f"ytsearch{int(count)}:{query}", download=False)
        except (DownloadError, YoutubeDLError, OSError) as exc:
            raise classify(exc) from None
        return [e for e in (found or {}).get("entries") or [] if isinstance(e, dict)]

    def download(self, url: str, folder: Path, name: str, *, max_bytes: int, max_duration_s: int | None = None,
                 on_progress: Callable[[int, int | None], None] | None = None) -> Path:
        """Download ``url`` into ``folder`` as ``name`` + ``.mkv``: :data:`TRAILER_FORMAT`, remuxed to MKV,
        French subtitles embedded when the video has them. yt-dlp works in a hidden folder of ``folder`` (its
        own ``.part`` files) and the result is renamed in place at the end, so a failure leaves nothing.
        ``max_bytes`` caps each stream; a video longer than ``max_duration_s`` (seconds) is refused before any
        byte is fetched when the site says its duration, else after the download (ffprobe), the file then
        removed. Returns the final path; raises the typed errors."""
        work = folder / f".mms-trailer-{uuid.uuid4().hex[:8]}"
        work.mkdir(parents=True)
        target = folder / f"{name}.mkv"

        def hook(status: dict[str, Any]) -> None:
            if on_progress and status.get("status") == "downloading":
                on_progress(int(status.get("downloaded_bytes") or 0),
                            status.get("total_bytes") or status.get("total_bytes_estimate"))

        options = self._options(
            format=TRAILER_FORMAT, merge_output_format="mkv", outtmpl=str(work / "video.%(ext)s"),
            writesubtitles=True, subtitleslangs=["fr", "fr-FR"], max_filesize=max_bytes, progress_hooks=[hook],
            postprocessors=[{"key": "FFmpegVideoRemuxer", "preferedformat": "mkv"},
                            {"key": "FFmpegEmbedSubtitle", "already_have_subtitle": False}])
        if max_duration_s:
            options["match_filter"] = match_filter_func(f"duration <=? {int(max_duration_s)}")  # unknown passes
        try:
            with yt_dlp.YoutubeDL(options) as ydl:
                ydl.download([url])
            produced = [p for p in work.iterdir() if p.suffix == ".mkv"]
            if not produced:
                raise VideoUnavailable(SERVICE, "too_large", "nothing was downloaded (longer or larger than the "
                                                             "limits)")
            duration = media_duration(produced[0])
            if max_duration_s and duration is not None and duration > max_duration_s:
                raise VideoUnavailable(SERVICE, "too_long", f"the video lasts {duration:.0f} s, longer than "
                                                            f"{int(max_duration_s)} s")
            produced[0].replace(target)
        except (DownloadError, YoutubeDLError, OSError) as exc:
            raise classify(exc) from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return target
