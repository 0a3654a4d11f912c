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
