"""Grab an approved request: searched on the indexers and sent to the seedbox's client through the same
send + pending map as a manual grab (setting ``request_fulfilment`` = ``pipeline``), or handed to Radarr /
Sonarr, which search and download on their own (``arr``).

Pipeline: a movie gets the best release (search order: the ranking of the settings) whose parsed title is
the movie's (French or original title), whose year is within one of the movie's and whose score reaches
``request_min_score``; a series gets, for each season asked, the best season pack of that season. A season
with no acceptable pack is taken episode by episode: each episode aired so far (TheTVDB or TMDB,
:func:`app.follows.airtimes.episodes`) gets its best single-episode release from the season's search, else
from a search of its own, as Sonarr does (a multi-episode release covers all its episodes). What could not
be found (``S02``, ``S01E05``) is named in the request's reason; the request fails when nothing was grabbed.
Every outcome is recorded on the request; nothing here raises to the caller.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app

from app.extensions import managers
from app.follows import airtimes
from app.i18n import say
from app.media_requests import store as requests_store
from app.media_requests.store import RequestRefused, move
from app.search.service import NoIndexerAnswered, SearchParams, search_answered
from app.seedbox.service import SendError, SendItem, send_one
from app.utils.clients.errors import UpstreamError
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.media.releases import parse_release
from app.utils.messages import N_
from app.utils.stores.mapping_manager import Mapping, MappingError
from app.utils.text import fold

log = logging.getLogger(__name__)
#: Grabs running at once (each searches every indexer).
WORKERS = 2
#: Episode searches per season without a pack, for episodes its season search did not list (a daily show's
#: season stays a bounded cost); the episodes past it are named as not found.
EPISODE_SEARCHES = 40


def _pool(app: Flask) -> ThreadPoolExecutor:
    pool = app.extensions.get("mms_request_pool")
    if pool is None:
        pool = app.extensions["mms_request_pool"] = ThreadPoolExecutor(WORKERS, thread_name_prefix="request")
    return pool


def start(request_id: str) -> None:
    """Grab the request in the background (a worker thread in the app's context)."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            grab(request_id)
    _pool(app).submit(run)


def shutdown(app: Flask) -> None:
    """Wait for the running grabs and stop the workers (app shutdown)."""
    pool = app.extensions.pop("mms_request_pool", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _fail(request_id: str, msgid: str, **params: Any) -> dict[str, Any]:
    def apply(record: dict[str, Any]) -> None:
        record["reason"] = {"msgid": msgid, "params": params}
        move(record, "failed", "mms", record["reason"])
    return requests_store.change(request_id, apply)


def grab(request_id: str) -> dict[str, Any]:
    """Grab one approved request now (see the module docstring); the request after. Never raises for an
    upstream failure: the request becomes ``failed`` with the reason."""
    record = requests_store.get(request_id)
    if record["state"] != "approved":
        return record
    settings = managers().settings.load()
    try:
        if settings.request_fulfilment == "arr":
            return _hand_to_arr(record, settings)
        return _grab_releases(record, settings)
    except NoIndexerAnswered as exc:  # kept by its message id: each reader sees it in their language
        return _fail(request_id, exc.msgid, **exc.params)
    except UpstreamError as exc:
        return _fail(request_id, N_("%(reason)s"), reason=say(exc))
    except Exception as exc:
        log.exception("request %s could not be grabbed", request_id)
        return _fail(request_id, N_("%(reason)s"), reason=str(exc))


def _titles(record: dict[str, Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (record["title"], record.get("original_title")) if t))


def _acceptable(row: dict[str, Any], record: dict[str, Any], min_score: int, season: int | None,
                episode: int | None = None) -> bool:
    """Whether a search result is the request's movie, season pack (``season``) or episode (``episode``),
    with a score of at least ``min_score``."""
    parsed = parse_release(row["name"])
    if fold(parsed.title) not in {fold(t) for t in _titles(record)} or row["score"] < min_score:
        return False
    if season is None:
        return parsed.season is None and not (parsed.year and record.get("year")
                                              and abs(parsed.year - record["year"]) > 1)
    if episode is not None:
        return not parsed.season_pack and parsed.season == season and episode in parsed.episodes
    return parsed.season_pack and parsed.season == season


def _send(row: dict[str, Any], mapping: Mapping, settings: Any) -> tuple[dict[str, Any] | None, str | None]:
    entries = managers().mapping.all_shared()
    if row.get("info_hash") and row["info_hash"].upper() in entries:
        return {"info_hash": row["info_hash"].upper(), "release": row["name"]}, None
    try:
        sent = send_one(SendItem(result_id=row["id"]), mapping, settings=settings, confirm=True)
    except (SendError, MappingError) as exc:
        return None, say(exc) if isinstance(exc, SendError) else str(exc)
    return {"info_hash": sent["info_hash"], "release": row["name"]}, None


def _search(record: dict[str, Any], season: int | None, episode: int | None = None) -> dict[str, Any]:
    """The search for the request's movie, one season or one episode (:func:`search_answered`)."""
    return search_answered(SearchParams(
        kind="movie" if season is None else "tvsearch", titles=_titles(record), year=record.get("year"),
        season=season, episode=episode, tmdb_id=record["tmdb_id"], imdb_id=record.get("imdb_id") or None,
        tvdb_id=record.get("tvdb_id") if season is not None else None))


def _mapping(record: dict[str, Any], season: int | None, episodes: tuple[int, ...] = ()) -> Mapping:
    return Mapping(media_type="movie" if season is None else "tv", title=record["title"], year=record.get("year"),
                   tmdb_id=record["tmdb_id"], tvdb_id=record.get("tvdb_id"), imdb_id=record.get("imdb_id"),
                   season=season, episodes=episodes)


def aired_episodes(record: dict[str, Any], season: int, settings: Any) -> list[int]:
    """The numbers of the season's episodes aired so far (TheTVDB, else TMDB). Raises ``UpstreamError`` or
    :class:`app.follows.airtimes.NoSource`."""
    found, _source = airtimes.episodes({"tmdb_id": record["tmdb_id"], "tvdb_id": record.get("tvdb_id")}, settings)
    now = datetime.now(UTC)
    return sorted({e["episode"] for e in found if e["season"] == season and e["air"] is not None
                   and e["air"] <= now})


def _grab_episodes(record: dict[str, Any], season: int, season_results: list[dict[str, Any]], settings: Any,
                   grabs: list[dict[str, Any]], missing: list[str], errors: list[str]) -> None:
    """A season without an acceptable pack, episode by episode: each episode's release is taken from the
    season's search (``season_results``: indexers answer a season search with its episodes too), and only an
    episode not in it is searched on its own (at most :data:`EPISODE_SEARCHES`). Each episode on its own: a
    search or a send that fails names the episode and goes on."""
    try:
        numbers = aired_episodes(record, season, settings)
    except (UpstreamError, airtimes.NoSource) as exc:
        log.info("episodes of %s season %s unknown: %s", record["title"], season, exc)
        numbers = []
    if not numbers:
        missing.append(f"S{season:02d}")
        return
    covered: set[int] = set()
    absent: list[int] = []
    searches = 0
    for episode in numbers:
        if episode in covered:
            continue
        row = next((r for r in season_results
                    if _acceptable(r, record, settings.request_min_score, season, episode)), None)
        if row is None and searches < EPISODE_SEARCHES:
            searches += 1
            try:
                answer = _search(record, season, episode)
            except (NoIndexerAnswered, UpstreamError) as exc:
                log.info("search of %s S%02dE%02d failed: %s", record["title"], season, episode, exc)
                answer = {"results": []}
            row = next((r for r in answer["results"]
                        if _acceptable(r, record, settings.request_min_score, season, episode)), None)
        if row is None:
            absent.append(episode)
            continue
        episodes = tuple(e for e in parse_release(row["name"]).episodes if e in numbers) or (episode,)
        grabbed, error = _send(row, _mapping(record, season, episodes), settings)
        if grabbed:
            covered.update(episodes)
            grabs.append({**grabbed, "season": season, "episodes": list(episodes)})
        else:
            errors.append(error or "")
            absent.append(episode)
    if absent:
        missing.append(f"S{season:02d}" if not covered else episode_ranges(season, absent))


def episode_ranges(season: int, episodes: list[int]) -> str:
    """Episodes as a short label: ``S01E04-E06, S01E09`` for season 1, episodes [4, 5, 6, 9]."""
    runs: list[list[int]] = []
    for number in sorted(set(episodes)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"S{season:02d}E{r[0]:02d}" + (f"-E{r[-1]:02d}" if len(r) > 1 else "") for r in runs)


def _grab_releases(record: dict[str, Any], settings: Any) -> dict[str, Any]:
    grabs: list[dict[str, Any]] = []
    missing: list[str] = []
    errors: list[str] = []
    targets: list[int | None] = [None] if record["kind"] == "movie" else list(record["seasons"])
    for season in targets:
        answer = _search(record, season)
        row = next((r for r in answer["results"] if _acceptable(r, record, settings.request_min_score, season)),
                   None)
        if row is None and season is not None:
            _grab_episodes(record, season, answer["results"], settings, grabs, missing, errors)
            continue
        if row is None:
            missing.append(record["title"])
            continue
        grabbed, error = _send(row, _mapping(record, season), settings)
        if grabbed:
            grabs.append({**grabbed, "season": season})
        else:
            errors.append(error or "")
    if not grabs:
        if errors:
            return _fail(record["id"], N_("the release could not be sent: %(reason)s"), reason="; ".join(errors))
        if record["kind"] == "movie":
            return _fail(record["id"], N_("no release with a score of %(score)d or more was found"),
                         score=settings.request_min_score)
        return _fail(record["id"], N_("no season pack or episode with a score of %(score)d or more for %(missing)s"),
                     score=settings.request_min_score, missing=", ".join(missing))

    def apply(stored: dict[str, Any]) -> None:
        stored["via"], stored["grabs"] = "pipeline", grabs
        stored["reason"] = {"msgid": N_("no release found for %(missing)s"),
                            "params": {"missing": ", ".join(missing)}} if missing else None
        move(stored, "grabbed", "mms", {"msgid": N_("%(count)d release(s) sent: %(releases)s"),
                                        "params": {"count": len(grabs),
                                                   "releases": ", ".join(g["release"] for g in grabs)}})
    return requests_store.change(record["id"], apply)


def _addable(client: Any, term: str, same: Any, unknown: str) -> tuple[Any, str, int]:
    """The lookup result for ``term`` that ``same`` accepts, with the first root folder and quality profile of
    Radarr / Sonarr; :class:`RequestRefused` with ``unknown`` (or the missing setup) otherwise."""
    found = [item for item in client.lookup(term) if same(item)]
    if not found:
        raise RequestRefused(unknown)
    folders, profiles = client.root_folders(), client.quality_profiles()
    if not folders or not profiles:
        raise RequestRefused(N_("%(service)s has no root folder or quality profile"), service=client.SERVICE)
    return found[0], folders[0].path, profiles[0].id


def _hand_to_arr(record: dict[str, Any], settings: Any) -> dict[str, Any]:
    try:
        via, arr_id = _radarr(record, settings) if record["kind"] == "movie" else _sonarr(record, settings)
    except RequestRefused as exc:
        return _fail(record["id"], exc.msgid, **exc.params)

    def apply(stored: dict[str, Any]) -> None:
        stored["via"], stored["arr_id"], stored["reason"] = via, arr_id, None
        move(stored, "grabbed", "mms", {"msgid": N_("handed to %(service)s"),
                                        "params": {"service": via.capitalize()}})
    return requests_store.change(record["id"], apply)


def _radarr(record: dict[str, Any], settings: Any) -> tuple[str, int]:
    """Search the movie in Radarr (added first, with its search on, when Radarr does not have it)."""
    if not (settings.radarr_url and settings.radarr_api_key):
        raise RequestRefused(N_("Radarr is not configured"))
    radarr = RadarrClient.from_settings(settings)
    existing = radarr.movies(tmdb_id=record["tmdb_id"])
    if existing:
        radarr.search_movie(existing[0].id)
        return "radarr", existing[0].id
    found, root, profile = _addable(radarr, f"tmdb:{record['tmdb_id']}", lambda m: m.tmdb_id == record["tmdb_id"],
                                    N_("Radarr does not know this movie"))
    return "radarr", radarr.add_movie(found, root_folder_path=root, quality_profile_id=profile, search=True).id


def _sonarr(record: dict[str, Any], settings: Any) -> tuple[str, int]:
    """Monitor and search the requested seasons in Sonarr (the series added first when Sonarr does not have
    it, with only those seasons monitored)."""
    if not (settings.sonarr_url and settings.sonarr_api_key):
        raise RequestRefused(N_("Sonarr is not configured"))
    if not record.get("tvdb_id"):
        raise RequestRefused(N_("TMDB gives no TheTVDB id for this series: Sonarr cannot add it"))
    sonarr = SonarrClient.from_settings(settings)
    existing = [s for s in sonarr.series_list() if s.tvdb_id == record["tvdb_id"]]
    if existing:
        series = sonarr.monitor_seasons(existing[0].id, record["seasons"])
        for season in record["seasons"]:
            sonarr.search_season(series.id, season)
        return "sonarr", series.id
    found, root, profile = _addable(sonarr, f"tvdb:{record['tvdb_id']}", lambda s: s.tvdb_id == record["tvdb_id"],
                                    N_("Sonarr does not know this series"))
    return "sonarr", sonarr.add_series(found, root_folder_path=root, quality_profile_id=profile, search_missing=True,
                                       seasons=record["seasons"]).id
