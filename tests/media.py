"""Small real media files made by ffmpeg for the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_video(path: Path, seconds: float = 1.0, size: str = "160x120") -> Path:
    """A valid H.264/AAC file (container from the extension: .mkv, .mp4)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(seconds), "-c:v", "libx264",
                    "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def make_tagged_video(path: Path, *, audio: list[tuple[str, str]], subtitles: list[str] = (),
                      size: str = "160x120", codec: str = "libx264", hdr: bool = False,
                      seconds: float = 0.5) -> Path:
    """A Matroska/MP4 file with one video stream (``codec``; ``hdr`` marks it PQ/BT.2020 as HDR10 files are),
    one audio stream per ``(language, title)`` of ``audio`` (ISO 639-2 codes) and one SubRip subtitle stream
    per language of ``subtitles``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    command = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25"]
    for n, _track in enumerate(audio):
        command += ["-f", "lavfi", "-i", f"sine=frequency={440 + 110 * n}"]
    srt = path.with_suffix(".input.srt")
    if subtitles:
        srt.write_text("1\n00:00:00,000 --> 00:00:00,400\nBonjour\n", encoding="utf-8")
    for _language in subtitles:
        command += ["-i", str(srt)]
    command += ["-map", "0:v"]
    for n in range(len(audio)):
        command += ["-map", f"{n + 1}:a"]
    for n in range(len(subtitles)):
        command += ["-map", f"{len(audio) + 1 + n}:s"]
    command += ["-t", str(seconds), "-c:v", codec, "-preset", "ultrafast", "-c:a", "aac", "-c:s", "srt"]
    if codec == "libx265":
        command += ["-x265-params", "log-level=none"]
    if hdr:
        command += ["-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"]
    for n, (language, title) in enumerate(audio):
        command += [f"-metadata:s:a:{n}", f"language={language}"]
        if title:
            command += [f"-metadata:s:a:{n}", f"title={title}"]
    for n, language in enumerate(subtitles):
        command += [f"-metadata:s:s:{n}", f"language={language}"]
    subprocess.run([*command, str(path)], check=True)
    srt.unlink(missing_ok=True)
    return path
