"""Releases a follow refuses before anything else: fakes published before the air time, sizes no real
episode of that runtime and resolution has, executables and archives.

Plausible sizes come from the bitrates real releases use (video + audio, megabits per second) at each
resolution; a release outside ``[runtime × low, runtime × high]`` per episode is refused. The bounds are wide
on purpose: they catch the 40 MB "1080p" fake and the 60 GB "episode", not an unusual encode.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from app.utils.messages import N_

#: Resolution -> (lowest, highest) plausible bitrate in megabits per second.
BITRATES = {"2160p": (4.0, 90.0), "1080p": (1.2, 40.0), "720p": (0.6, 15.0), None: (0.3, 10.0)}
#: A release published this long before the air time may be a time-zone rounding, not a fake.
TOLERANCE = timedelta(minutes=15)
_DANGEROUS = re.compile(r"\.(exe|scr|bat|cmd|com|lnk|msi|vbs|js|jar|apk|zip|rar|7z)$|\b(exe|password|keygen)\b",
                        re.I)


def size_range(runtime_min: int, resolution: str | None, episodes: int = 1) -> tuple[int, int]:
    """(lowest, highest) plausible size in bytes of ``episodes`` episodes of ``runtime_min`` minutes."""
    low, high = BITRATES.get(resolution, BITRATES[None])
    seconds = max(1, runtime_min) * 60 * max(1, episodes)
    return int(seconds * low * 1e6 / 8), int(seconds * high * 1e6 / 8)


def refusal(name: str, size: int | None, published: datetime | None, air: datetime | None, runtime_min: int | None,
            resolution: str | None, episodes: int = 1) -> tuple[str, dict] | None:
    """Why a release is a likely fake, as ``(msgid, params)`` (English, ``N_``-marked; ``size`` params in
    bytes), or ``None``. ``published`` and ``air`` are aware datetimes; ``episodes`` the number the release
    holds (a season pack: the season's count)."""
    if _DANGEROUS.search(name.strip()):
        return N_("executable or archive"), {}
    if air is not None and published is not None and published < air - TOLERANCE:
        return N_("published %(minutes)s min before the episode aired"), {
            "minutes": int((air - published).total_seconds() // 60)}
    if size and runtime_min:
        low, high = size_range(runtime_min, resolution, episodes)
        params = {"size": int(size), "episodes": episodes, "runtime": runtime_min, "resolution": resolution or "SD"}
        if size < low:
            return N_("%(size)s is too small for %(episodes)s × %(runtime)s min in %(resolution)s"), params
        if size > high:
            return N_("%(size)s is too large for %(episodes)s × %(runtime)s min in %(resolution)s"), params
    return None
