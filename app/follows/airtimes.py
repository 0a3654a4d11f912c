"""When each episode of a followed series airs, in UTC.

Sources, best first: Sonarr's ``airDateUtc`` when Sonarr knows the series (it carries the hour); else
TheTVDB (``GET /series/{id}/episodes/default``: ``aired`` date; ``GET /series/{id}/extended``: ``airsTime``
in the network's local time and ``originalCountry``, from which the time zone is taken); else TMDB
(``/tv/{id}/season/{n}``: ``air_date``, the evening of that day, 20:00 local). The original network's time
zone is the country's main one (a US network airs on Eastern time).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from app.utils.clients.errors import UpstreamError
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.tvdb import TvdbClient
from app.utils.messages import N_, Refusal

#: ISO 3166-1 alpha-3 (TheTVDB's ``originalCountry``) -> the time zone its networks air in.
COUNTRY_ZONES = {"fra": "Europe/Paris", "bel": "Europe/Brussels", "che": "Europe/Zurich", "can": "America/Toronto",
                 "usa": "America/New_York", "gbr": "Europe/London", "irl": "Europe/Dublin", "deu": "Europe/Berlin",
                 "esp": "Europe/Madrid", "ita": "Europe/Rome", "nld": "Europe/Amsterdam", "swe": "Europe/Stockholm",
                 "nor": "Europe/Oslo", "dnk": "Europe/Copenhagen", "jpn": "Asia/Tokyo", "kor": "Asia/Seoul",
                 "aus": "Australia/Sydney", "bra": "America/Sao_Paulo", "mex": "America/Mexico_City"}
DEFAULT_ZONE = "Europe/Paris"
EVENING = time(20, 0)


class NoSource(Refusal):
    """No configured service can give the series' episodes."""

    code = "no_air_times"
    status = 422


def local_air(day: str, at: str | None, country: str | None) -> datetime | None:
    """``day`` (``YYYY-MM-DD``) at ``at`` (``HH:MM``, else 20:00) in the country's zone, as aware UTC."""
    try:
        date = datetime.strptime(day[:10], "%Y-%m-%d").date()
    except (TypeError, ValueError):
        return None
    try:
        hour = datetime.strptime((at or "").strip()[:5], "%H:%M").time() if at else EVENING
    except ValueError:
        hour = EVENING
    zone = ZoneInfo(COUNTRY_ZONES.get((country or "").lower(), DEFAULT_ZONE))
    return datetime.combine(date, hour, tzinfo=zone).astimezone(UTC)


def _from_sonarr(follow: dict[str, Any], settings: Any) -> list[dict[str, Any]] | None:
    if not (follow.get("sonarr_series_id") and settings.sonarr_url and settings.sonarr_api_key):
        return None
    found = SonarrClient.from_settings(settings).episodes(follow["sonarr_series_id"])
    return [{"season": e.season_number, "episode": e.episode_number, "title": e.title or "",
             "air": datetime.fromisoformat(e.air_date_utc.replace("Z", "+00:00")) if e.air_date_utc else None,
             "runtime": e.runtime} for e in found if e.season_number > 0]


def _from_tvdb(follow: dict[str, Any], settings: Any) -> list[dict[str, Any]] | None:
    if not (follow.get("tvdb_id") and settings.tvdb_api_key):
        return None
    client = TvdbClient.from_settings(settings)
    series = client.series(follow["tvdb_id"])
    return [{"season": e.season_number, "episode": e.number, "title": e.name,
             "air": local_air(e.aired, series.airs_time, series.country) if e.aired else None,
             "runtime": e.runtime or series.runtime} for e in client.episodes(follow["tvdb_id"])
            if e.season_number > 0]


def _from_tmdb(follow: dict[str, Any], settings: Any) -> list[dict[str, Any]] | None:
    if not (follow.get("tmdb_id") and settings.tmdb_api_key):
        return None
    client = TmdbClient.from_settings(settings)
    show = client.tv(follow["tmdb_id"])
    out = []
    for number in sorted({s.get("season_number") for s in show.seasons if s.get("season_number")}):
        season = client.season(follow["tmdb_id"], number)
        out += [{"season": number, "episode": e.episode_number, "title": e.name,
                 "air": local_air(e.air_date, None, None) if e.air_date else None, "runtime": None}
                for e in season.episodes]
    return out


#: The sources, best first: (name, reader returning the episodes or None when it cannot be asked).
SOURCES = (("sonarr", _from_sonarr), ("tvdb", _from_tvdb), ("tmdb", _from_tmdb))


def episodes(follow: dict[str, Any], settings: Any) -> tuple[list[dict[str, Any]], str]:
    """The series' episodes ``[{"season", "episode", "title", "air" (aware UTC or None), "runtime" (min)}]``
    and the source used (``sonarr``, ``tvdb``, ``tmdb``: the first that can be asked and answers). Raises the
    first ``UpstreamError`` when every source asked fails, :class:`NoSource` when none can be asked."""
    errors: list[UpstreamError] = []
    for name, read in SOURCES:
        try:
            found = read(follow, settings)
        except UpstreamError as exc:
            errors.append(exc)
            continue
        if found is not None:
            return found, name
    if errors:
        raise errors[0]
    raise NoSource(N_("nothing can give this series' air times: set TheTVDB, TMDB or Sonarr"))
