"""When a followed episode is searched: at air + 2 h, then every 2 h until air + 48 h, then once a day until
air + 7 days; never before air + 2 h (what is out before is a fake or a leak of another episode)."""

from __future__ import annotations

from datetime import datetime, timedelta

FIRST = timedelta(hours=2)
FAST_EVERY, FAST_UNTIL = timedelta(hours=2), timedelta(hours=48)
SLOW_EVERY, GIVE_UP = timedelta(days=1), timedelta(days=7)


def check_times(air: datetime) -> list[datetime]:
    """Every planned check of an episode airing at ``air`` (aware UTC), in order."""
    times, at = [], air + FIRST
    while at <= air + FAST_UNTIL:
        times.append(at)
        at += FAST_EVERY
    at = air + FAST_UNTIL + SLOW_EVERY
    while at <= air + GIVE_UP:
        times.append(at)
        at += SLOW_EVERY
    return times


def due(air: datetime, last_check: datetime | None, now: datetime) -> bool:
    """Whether a check is due at ``now``: a planned time has passed since the last check."""
    passed = [t for t in check_times(air) if t <= now]
    return bool(passed) and (last_check is None or last_check < passed[-1])


def next_check(air: datetime, now: datetime) -> datetime | None:
    """The next planned check after ``now`` (``None`` once the week is over)."""
    return next((t for t in check_times(air) if t > now), None)


def phase(air: datetime | None, now: datetime) -> str:
    """``unknown`` (no air time), ``to_air``, ``aired`` (within the first 48 h), ``late`` (48 h to 7 days),
    ``over`` (past the week of checks)."""
    if air is None:
        return "unknown"
    if now < air:
        return "to_air"
    if now <= air + FAST_UNTIL:
        return "aired"
    return "late" if now <= air + GIVE_UP else "over"
