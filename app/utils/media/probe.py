"""What a media file on disk really holds, from ffprobe: its audio languages as a French audio class, its
resolution, codec, HDR and bitrate. The release name may lie; the file does not.

``ffprobe -v error -print_format json -show_format -show_streams FILE`` (FFmpeg's ffprobe documentation,
"writers: json"); languages are the streams' ``tags.language`` (ISO 639-2: ``fre``/``fra``, Matroska may also
carry ``language_ietf`` ``fr-CA``) and their titles (``VFQ``, ``Québec``...).

Audio classes, as the release names' (:mod:`app.utils.media.releases`):

=========  =========================================================================
MULTI      a French audio track and an audio track in another language
VF2        two French tracks, one of them from Québec
VFF        French audio only (France, or not said)
VFQ        French audio only, from Québec
VOSTFR     no French audio, a French subtitle track
VO         neither
=========  =========================================================================
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

#: Seconds one ffprobe may take (a file on a slow mount answers in well under this).
PROBE_TIMEOUT_S = 60
FRENCH_CODES = frozenset({"fre", "fra", "fr"})
#: Languages that say nothing: a track marked so is not counted as "another language".
UNKNOWN_CODES = frozenset({"", "und", "unk", "mul", "zxx", "mis"})
_QUEBEC = re.compile(r"\b(VFQ|VOQ|VQ|qu[eé]bec|canad(a|ien|ian)|fr-CA)\b", re.I)
CODECS = {"h264": "x264", "hevc": "x265", "av1": "AV1", "mpeg4": "XviD", "msmpeg4v3": "XviD", "mpeg2video": "MPEG2",
          "vc1": "VC-1", "vp9": "VP9"}


class ProbeFailed(RuntimeError):
    """ffprobe could not read the file (missing, not media, timed out); the message says why."""


@dataclass(frozen=True)
class FileQuality:
    """A media file as measured: ``audio_class`` (see the module), ``audio_languages`` / ``subtitle_languages``
    (ISO 639-2 codes, track order, ``und`` when unsaid), ``resolution`` (``2160p``, ``1080p``, ``720p``,
    ``SD``), ``width``/``height`` (pixels), ``codec`` (``x264``, ``x265``, ``AV1``...), ``hdr`` (``DV``,
    ``HDR10``, ``HLG`` or ``""``), ``bitrate`` (bits per second), ``duration`` (seconds)."""

    audio_class: str
    audio_languages: tuple[str, ...]
    subtitle_languages: tuple[str, ...]
    resolution: str
    width: int
    height: int
    codec: str
    hdr: str
    bitrate: int
    duration: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (lists for tuples)."""
        data = asdict(self)
        data["audio_languages"], data["subtitle_languages"] = list(self.audio_languages), list(self.subtitle_languages)
        return data


def _language(stream: dict[str, Any]) -> str:
    tags = {k.lower(): str(v) for k, v in (stream.get("tags") or {}).items()}
    code = tags.get("language", "").lower()
    if code in FRENCH_CODES or tags.get("language_ietf", "").lower().startswith("fr"):
        return "fre"
    return code or "und"


def _quebec(stream: dict[str, Any]) -> bool:
    tags = {k.lower(): str(v) for k, v in (stream.get("tags") or {}).items()}
    return bool(_QUEBEC.search(" ".join((tags.get("title", ""), tags.get("language_ietf", "")))))


def _resolution(width: int, height: int) -> str:
    """By width first (a 2.39:1 "1080p" film is 1920×800), then height."""
    if width >= 3200 or height >= 1600:
        return "2160p"
    if width >= 1800 or height >= 1000:
        return "1080p"
    if width >= 1200 or height >= 700:
        return "720p"
    return "SD"


def _hdr(video: dict[str, Any]) -> str:
    side = " ".join(str(d.get("side_data_type", "")) for d in video.get("side_data_list") or [])
    if "DOVI" in side.upper() or "dolby vision" in side.lower():
        return "DV"
    transfer = video.get("color_transfer", "")
    if transfer == "smpte2084":
        return "HDR10"
    if transfer == "arib-std-b67":
        return "HLG"
    return ""


def classify(info: dict[str, Any]) -> FileQuality:
    """The :class:`FileQuality` of ffprobe's JSON output (``streams`` and ``format``). Cover art (an attached
    picture) is not the video stream."""
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), {})
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    subtitles = [s for s in streams if s.get("codec_type") == "subtitle"]
    audio_languages = tuple(_language(s) for s in audio)
    subtitle_languages = tuple(_language(s) for s in subtitles)
    french = [s for s, code in zip(audio, audio_languages, strict=True) if code == "fre"]
    others = [code for code in audio_languages if code not in ("fre", *UNKNOWN_CODES)]
    if french and others:
        audio_class = "MULTI"
    elif french:
        quebec = [_quebec(s) for s in french]
        audio_class = "VF2" if any(quebec) and not all(quebec) else "VFQ" if all(quebec) else "VFF"
    elif "fre" in subtitle_languages:
        audio_class = "VOSTFR"
    else:
        audio_class = "VO"
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    fmt = info.get("format") or {}
    try:
        duration = float(fmt.get("duration") or 0)
    except ValueError:
        duration = 0.0
    return FileQuality(
        audio_class=audio_class, audio_languages=audio_languages, subtitle_languages=subtitle_languages,
        resolution=_resolution(width, height) if video else "", width=width, height=height,
        codec=CODECS.get(str(video.get("codec_name", "")), str(video.get("codec_name", ""))), hdr=_hdr(video),
        bitrate=int(fmt.get("bit_rate") or 0) if str(fmt.get("bit_rate") or "0").isdigit() else 0,
        duration=duration)


def probe(path: str, timeout: float = PROBE_TIMEOUT_S) -> FileQuality:
    """Run ffprobe on ``path`` and classify it. Raises :class:`ProbeFailed` (ffprobe's first error line, or
    the timeout)."""
    try:
        result = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                                 "--", path], capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeFailed(f"ffprobe took more than {timeout:.0f} s") from None
    except OSError as exc:
        raise ProbeFailed(f"ffprobe cannot run ({exc.strerror})") from None
    if result.returncode != 0:
        first = (result.stderr.decode("utf-8", "replace").strip().splitlines() or ["unreadable"])[0]
        raise ProbeFailed(first[:300])
    try:
        info = json.loads(result.stdout)
    except ValueError:
        raise ProbeFailed("ffprobe's output is not JSON") from None
    if not any(s.get("codec_type") in ("video", "audio") for s in info.get("streams") or []):
        raise ProbeFailed("no audio or video stream")
    return classify(info)
