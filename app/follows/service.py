"""Followed series: each new episode searched from its air time (:mod:`app.follows.schedule`), fakes refused
(:mod:`app.follows.fakes`), the best release above the follow's threshold grabbed through the same
send-to-client + pending map as a manual grab (or only reported, for a follow that watches). Every check is
logged on the follow: what was found and why each release was refused.

``follows.json``: ``{"follows": {id: follow}}``; a follow holds its settings, its episodes with their air
time (refreshed at most every :data:`REFRESH_EVERY`), what was grabbed, and the last :data:`LOG_KEPT` checks.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.extensions import managers
from app.follows import airtimes, fakes, schedule
from app.i18n import say
from app.jobs import JobResult
from app.search.service import NoIndexerAnswered, SearchParams, result_cache, search_answered
from app.seedbox.service import SendError, SendItem, send_one
from app.utils.clients.errors import UpstreamError
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tvdb import TvdbClient
from app.utils.media.releases import FRENCH_RANK, RESOLUTION_RANK, parse_release
from app.utils.messages import N_, Refusal
from app.utils.stores.json_store import JsonStore
from app.utils.stores.mapping_manager import Mapping, detail_message
from app.utils.text import fold

FOLLOWS_FILE = "follows.json"
LOG_KEPT = 100
REFRESH_EVERY = timedelta(hours=12)


class FollowRefused(Refusal):
    """A follow action that cannot be done (unknown follow, already followed...)."""

    code = "follow_refused"
    status = 409


class FollowSettings(BaseModel):
    """What a follow accepts: ``audio`` classes accepted now (VOSTFR at first, the upgrade rules bring the
    dub later), resolutions from ``min_resolution`` to ``max_resolution``, ``codec`` preference (``any``,
    ``x265``: x265/AV1 first), ``min_score`` (out of 100), ``mode`` (``grab``, or ``watch``: report only)."""

    audio: list[Literal["MULTI", "VF2", "VFF", "VFQ", "VOSTFR", "VO"]] = Field(
        default_factory=lambda: ["MULTI", "VF2", "VFF", "VFQ", "VOSTFR"], min_length=1, max_length=6)
    min_resolution: Literal["SD", "720p", "1080p", "2160p"] = "720p"
    max_resolution: Literal["SD", "720p", "1080p", "2160p"] = "1080p"
    codec: Literal["any", "x265"] = "any"
    min_score: int = Field(default=40, ge=0, le=100)
    mode: Literal["grab", "watch"] = "grab"


class NewFollow(FollowSettings):
    """A series to follow: its TVDB id (or TMDB id), title and year, and Sonarr's id when Sonarr has it."""

    title: str = Field(min_length=1, max_length=200)
    year: int | None = Field(default=None, ge=1900, le=2100)
    tvdb_id: int | None = Field(default=None, ge=1)
    tmdb_id: int | None = Field(default=None, ge=1)
    sonarr_series_id: int | None = Field(default=None, ge=1)


def store() -> JsonStore:
    """``instance/follows.json``."""
    return managers().extra_store(FOLLOWS_FILE)


def _follows() -> dict[str, dict[str, Any]]:
    data = store().read() if store().exists() else None
    return (data or {}).get("follows", {}) if isinstance(data, dict) else {}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def follows() -> list[dict[str, Any]]:
    """Every follow, by title."""
    return sorted(_follows().values(), key=lambda f: fold(f["title"]))


def get(follow_id: str) -> dict[str, Any]:
    """One follow; :class:`FollowRefused` (404) when unknown."""
    found = _follows().get(follow_id)
    if found is None:
        raise FollowRefused(N_("no follow %(id)s"), id=follow_id, status=404)
    return found


def add(new: NewFollow) -> dict[str, Any]:
    """Follow a series (refused when it is followed already: same TVDB or TMDB id)."""
    if not (new.tvdb_id or new.tmdb_id or new.sonarr_series_id):
        raise FollowRefused(N_("a follow needs a TVDB id, a TMDB id or a Sonarr series"), status=422)
    for existing in _follows().values():
        if (new.tvdb_id and existing.get("tvdb_id") == new.tvdb_id) or \
                (new.tmdb_id and existing.get("tmdb_id") == new.tmdb_id):
            raise FollowRefused(N_("%(title)s is followed already"), title=existing["title"])
    follow = {**new.model_dump(), "id": secrets.token_hex(4), "created_at": _iso(datetime.now(UTC)),
              "episodes": {}, "refreshed_at": None, "source": None, "log": [], "error": None}

    def apply(data: Any) -> None:
        data.setdefault("follows", {})[follow["id"]] = follow
    store().update(apply)
    return follow


def update(follow_id: str, values: FollowSettings) -> dict[str, Any]:
    """Change what a follow accepts."""
    get(follow_id)

    def apply(data: Any) -> dict[str, Any]:
        data["follows"][follow_id].update(values.model_dump())
        return data["follows"][follow_id]
    return store().update(apply)


def remove(follow_id: str) -> None:
    """Stop following (what was grabbed stays in the pipeline)."""
    get(follow_id)
    store().update(lambda data: data["follows"].pop(follow_id))


def import_sonarr(settings: Any | None = None) -> dict[str, int]:
    """Follow every series Sonarr monitors and MMS does not follow yet: ``{"added", "known"}``. Raises the
    Sonarr client's ``UpstreamError``."""
    settings = settings or managers().settings.load()
    known = {f.get("tvdb_id") for f in _follows().values()}
    added = 0
    for series in SonarrClient.from_settings(settings).series_list():
        if not series.monitored or series.tvdb_id in known:
            continue
        add(NewFollow(title=series.title, year=series.year or None, tvdb_id=series.tvdb_id or None,
                      sonarr_series_id=series.id))
        known.add(series.tvdb_id)
        added += 1
    return {"added": added, "known": len(known) - added}


# -- episodes and air times ---------------------------------------------------------------------------------
def refresh(follow_id: str, now: datetime, force: bool = False) -> dict[str, Any]:
    """Read the series' episodes and air times again (at most every :data:`REFRESH_EVERY` unless ``force``);
    episodes already known keep what happened to them. Errors are kept on the follow and raised."""
    follow = get(follow_id)
    refreshed = _when(follow.get("refreshed_at"))
    if not force and refreshed and now - refreshed < REFRESH_EVERY:
        return follow
    settings = managers().settings.load()
    try:
        found, source = airtimes.episodes(follow, settings)
    except (UpstreamError, airtimes.NoSource) as exc:
        message = say(exc)
        store().update(lambda data: data["follows"][follow_id].update(error=message))
        raise

    def apply(data: Any) -> dict[str, Any]:
        target = data["follows"][follow_id]
        episodes = target.setdefault("episodes", {})
        for e in found:
            key = f"S{e['season']:02d}E{e['episode']:02d}"
            entry = episodes.setdefault(key, {"season": e["season"], "episode": e["episode"], "state": "to_air",
                                              "last_check": None, "grabbed": None})
            entry.update(title=e["title"], air=_iso(e["air"]), runtime=e["runtime"])
        target.update(refreshed_at=_iso(now), source=source, error=None)
        return target
    return store().update(apply)


def _accepts(follow: dict[str, Any], parsed: Any) -> tuple[str, dict] | None:
    """Why the follow does not want this release, as ``(msgid, params)``, or ``None``."""
    if parsed.audio_class not in follow["audio"]:
        return N_("audio %(audio)s not wanted"), {"audio": parsed.audio_class}
    rank = RESOLUTION_RANK.get(parsed.resolution or "SD", 0)
    if rank < RESOLUTION_RANK[follow["min_resolution"]] or rank > RESOLUTION_RANK[follow["max_resolution"]]:
        return N_("%(resolution)s outside %(low)s–%(high)s"), {
            "resolution": parsed.resolution or "SD", "low": follow["min_resolution"], "high": follow["max_resolution"]}
    return None


def check_follow(follow_id: str, now: datetime) -> dict[str, Any]:
    """Search the episodes of a follow that are due (one search per season, shared by its episodes and its
    pack), grab the best acceptable release for each (or report it, in watch mode), log everything.
    ``{"due", "grabbed", "found", "refused", "failed"`` (seasons no indexer answered for), ``"error"}``.
    Raises ``UpstreamError`` when the air times cannot be read."""
    refresh(follow_id, now)
    follow = get(follow_id)
    settings = managers().settings.load()
    entries = managers().mapping.all_shared()
    due = [e for e in follow["episodes"].values() if e.get("air") and not e.get("grabbed")
           and schedule.due(_when(e["air"]), _when(e.get("last_check")), now)]
    out: dict[str, Any] = {"due": len(due), "grabbed": 0, "found": 0, "refused": 0, "failed": 0, "error": None}
    by_season: dict[int, list[dict[str, Any]]] = {}
    for episode in due:
        by_season.setdefault(episode["season"], []).append(episode)
    log: list[dict[str, Any]] = []
    changes: dict[str, dict[str, Any]] = {}
    for season, episodes in sorted(by_season.items()):
        try:
            answer = search_answered(SearchParams(kind="tvsearch", titles=(follow["title"],), season=season,
                                                  tvdb_id=follow.get("tvdb_id"), tmdb_id=follow.get("tmdb_id")))
        except (UpstreamError, NoIndexerAnswered) as exc:
            log.append({"time": _iso(now), "season": season, "error": say(exc)})
            out["failed"] += 1
            out["error"] = say(exc)
            continue
        season_count = sum(1 for e in follow["episodes"].values() if e["season"] == season)
        for episode in episodes:
            key = f"S{season:02d}E{episode['episode']:02d}"
            air = _when(episode["air"])
            refused, best = [], None
            for row in answer["results"]:
                parsed = parse_release(row["name"])
                covers = (parsed.season_pack and parsed.season == season) or \
                    (parsed.season == season and episode["episode"] in parsed.episodes)
                if not covers or fold(parsed.title) != fold(follow["title"]):
                    continue
                release = result_cache().get(row["id"])
                reason = fakes.refusal(row["name"], row.get("size"), release.publish_date if release else None,
                                       air if not parsed.season_pack else _last_air(follow, season),
                                       episode.get("runtime"), parsed.resolution,
                                       season_count if parsed.season_pack else max(1, len(parsed.episodes)))
                reason = reason or _accepts(follow, parsed)
                if reason is None and row["score"] < follow["min_score"]:
                    reason = N_("score %(score)s under %(minimum)s"), {"score": row["score"],
                                                                       "minimum": follow["min_score"]}
                if reason:
                    text, message = detail_message(*reason)
                    refused.append({"release": row["name"], "reason": text, "message": message})
                    continue
                rank = (FRENCH_RANK.get(parsed.audio_class, 0),
                        1 if follow["codec"] == "x265" and parsed.codec in ("x265", "AV1") else 0,
                        row["score"], row.get("seeders") or 0)
                if best is None or rank > best[0]:
                    best = (rank, row, release, parsed)
            entry = {"time": _iso(now), "episode": key, "results": len(answer["results"]), "refused": refused[:20]}
            out["refused"] += len(refused)
            change: dict[str, Any] = {"last_check": _iso(now)}
            if best is not None:
                _rank, row, release, parsed = best
                out["found"] += 1
                entry["found"] = row["name"]
                if follow["mode"] == "grab" and release is not None:
                    grabbed = _grab(follow, row, parsed, season, episode, settings, entries)
                    entry.update(grabbed)
                    if grabbed.get("info_hash"):
                        out["grabbed"] += 1
                        covered = [k for k, e in follow["episodes"].items() if e["season"] == season] \
                            if parsed.season_pack else [key]
                        for other in covered:
                            changes.setdefault(other, {}).update(grabbed={"release": row["name"],
                                                                          "info_hash": grabbed["info_hash"]},
                                                                 state="grabbed")
            changes.setdefault(key, {}).update(change)
            log.append(entry)

    def apply(data: Any) -> None:
        target = data["follows"][follow_id]
        for key, change in changes.items():
            if key in target["episodes"]:
                target["episodes"][key].update(change)
        target["log"] = (target.get("log", []) + log)[-LOG_KEPT:]
        target["last_check"] = _iso(now)
    store().update(apply)
    return out


def _last_air(follow: dict[str, Any], season: int) -> datetime | None:
    airs = [_when(e["air"]) for e in follow["episodes"].values() if e["season"] == season and e.get("air")]
    return max(airs) if airs else None


def _grab(follow: dict[str, Any], row: dict[str, Any], parsed: Any, season: int, episode: dict[str, Any],
          settings: Any, entries: dict[str, Any]) -> dict[str, Any]:
    """Send the release (once: a release already in the pipeline is not sent again)."""
    if row.get("info_hash") and row["info_hash"].upper() in entries:
        return {"info_hash": row["info_hash"].upper(), "note": "already in the pipeline"}
    mapping = Mapping(media_type="tv", title=follow["title"], year=follow.get("year"), tvdb_id=follow.get("tvdb_id"),
                      tmdb_id=follow.get("tmdb_id"), sonarr_series_id=follow.get("sonarr_series_id"), season=season,
                      episodes=() if parsed.season_pack else tuple(parsed.episodes or (episode["episode"],)))
    try:
        sent = send_one(SendItem(result_id=row["id"]), mapping, settings=settings, confirm=True)
    except SendError as exc:
        return {"error": say(exc)}
    return {"info_hash": sent["info_hash"]}


def run_checks(now: datetime | None = None) -> dict[str, Any]:
    """Check every follow (each on its own: a failed one is recorded, the others go on);
    ``{"follows", "due", "grabbed", "failed", "errors"}``."""
    now = now or datetime.now(UTC)
    out: dict[str, Any] = {"follows": 0, "due": 0, "grabbed": 0, "failed": 0, "errors": []}
    for follow in follows():
        out["follows"] += 1
        try:
            result = check_follow(follow["id"], now)
        except (UpstreamError, airtimes.NoSource) as exc:
            out["failed"] += 1
            out["errors"].append({"follow": follow["title"], "error": say(exc)})
            continue
        out["due"] += result["due"]
        out["grabbed"] += result["grabbed"]
        if result["failed"]:
            out["failed"] += 1
            out["errors"].append({"follow": follow["title"], "error": result["error"]})
    return out


def run_job() -> JobResult:
    """Body of the ``follow_checks`` job."""
    out = run_checks()
    return JobResult.message(N_("%(follows)d series followed, %(due)d episode(s) searched, %(grabbed)d grabbed, "
                                "%(failed)d failed"), out["failed"], **{k: v for k, v in out.items() if k != "errors"})


# -- calendar -----------------------------------------------------------------------------------------------
def calendar(start: datetime, days: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """Followed episodes airing from ``start`` for ``days`` days, by air time: ``{"follow_id", "title",
    "season", "episode", "episode_title", "air", "state"}``; ``state``: ``to_air``, ``searching`` (aired,
    within 48 h, nothing yet), ``grabbed``, ``imported``, ``missing`` (nothing after 48 h)."""
    now = now or datetime.now(UTC)
    end = start + timedelta(days=days)
    entries = managers().mapping.all_shared()
    out = []
    for follow in follows():
        for episode in follow.get("episodes", {}).values():
            air = _when(episode.get("air"))
            if air is None or not start <= air < end:
                continue
            grabbed = episode.get("grabbed")
            if grabbed:
                pipeline = entries.get((grabbed.get("info_hash") or "").upper(), {})
                state = "imported" if pipeline.get("state") == "imported" else "grabbed"
            else:
                phase = schedule.phase(air, now)
                state = {"to_air": "to_air", "aired": "searching"}.get(phase, "missing")
            out.append({"follow_id": follow["id"], "title": follow["title"], "season": episode["season"],
                        "episode": episode["episode"], "episode_title": episode.get("title") or "",
                        "air": episode["air"], "state": state})
    return sorted(out, key=lambda e: (e["air"], e["title"]))


def problems(app: Any) -> list[dict[str, Any]]:
    """Follows whose air times cannot be read, and episodes missing 48 h after airing (the summary views)."""
    with app.app_context():
        found = []
        for follow in follows():
            if follow.get("error"):
                found.append({"title": N_("A followed series cannot be read"), "subject": follow["title"],
                              "detail": follow["error"]})
        now = datetime.now(UTC)
        missing = [e for e in calendar(now - timedelta(days=7), 7, now) if e["state"] == "missing"]
        for e in missing[:5]:
            found.append({"title": N_("Followed episode still missing 48 h after airing"), "subject": e["title"],
                          "detail": f"S{e['season']:02d}E{e['episode']:02d}"})
    return found


def tvdb_lookup(tvdb_id: int) -> dict[str, Any]:
    """Title and year of a TVDB series, to follow it by id. Raises ``UpstreamError``."""
    series = TvdbClient.from_settings(managers().settings.load()).series(tvdb_id)
    return {"title": series.name, "year": series.year, "tvdb_id": series.id, "tmdb_id": series.tmdb_id}
