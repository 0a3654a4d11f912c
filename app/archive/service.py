"""The watch-history archive: Plex's plays recorded per media and per user, kept after the media is gone.

A sync (the ``archive_sync`` job) reads ``/status/sessions/history/all`` since the last play it recorded
(oldest first, paged), finds each play's media by its GUIDs in the library (a movie by its TMDB id, a show by
its TVDB id) and records it under ``movie_<tmdb_id>`` / ``tv_<tvdb_id>``. A play whose item is gone (a
"ghost": no rating key, or one the library no longer has) is resolved from what the row still carries
(title, show title, year) by a TMDB / TheTVDB search that must match the title exactly (accents and case
folded) and the year within one; the rest is kept raw in ``ghosts`` for matching by hand. Each batch is one
transaction with the sync's progress, so an interrupted sync resumes where it stopped.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.images import tmdb_image
from app.extensions import managers
from app.i18n import say
from app.jobs import JobResult
from app.plex_editor.library import CACHE
from app.utils.clients.errors import UpstreamError
from app.utils.clients.plex import PlexClient, legacy_guids
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.tvdb import TvdbClient
from app.utils.images import ImageRefused, fetch_image, inspect_image
from app.utils.media.managed import arr_item
from app.utils.messages import N_, Refusal
from app.utils.stores.archive_store import ArchiveStore
from app.utils.text import fold

#: History rows recorded per transaction (the sync's progress is saved with each).
BATCH = 1000


def archive() -> ArchiveStore:
    """The archive database of this instance."""
    return managers().archive


def _library(plex: PlexClient) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]], dict[str, dict]]:
    """Movies and shows of the library by rating key, as media rows (only those with an external id), and the
    shows' seasons ``{media key: {season number: episodes}}``."""
    movies, shows, seasons = {}, {}, {}
    for section in CACHE.section_list(plex, fresh=True):
        if section.type not in ("movie", "show"):
            continue
        scheme, kind, into = ("tmdb", "movie", movies) if section.type == "movie" else ("tvdb", "tv", shows)
        for item in CACHE.section(plex, section.key, section.type, fresh=True).items:
            external = item["guids"].get(scheme)
            if external and external.isdigit():
                into[item["rating_key"]] = {
                    "key": f"{kind}_{external}", "media_type": kind, "tmdb_id": int(item["guids"]["tmdb"])
                    if str(item["guids"].get("tmdb", "")).isdigit() else None,
                    "tvdb_id": int(item["guids"]["tvdb"]) if str(item["guids"].get("tvdb", "")).isdigit() else None,
                    "imdb_id": item["guids"].get("imdb"), "title": item["title"], "year": item["year"],
                    "original_title": item.get("original_title"), "summary": item.get("summary"),
                    "duration": (item.get("duration") or 0) // 1000 or None,
                    "thumb": item.get("thumb"), "leaf_count": item.get("leaf_count"), "size": item.get("size"),
                    "section": section.title}
        if section.type == "show":
            for season in plex.section_listing(section.key, "season"):
                show = shows.get(season.get("parent_key"))
                if show is not None and season.get("index") is not None and season.get("leaf_count"):
                    seasons.setdefault(show["key"], {})[season["index"]] = season["leaf_count"]
    return movies, shows, seasons


class _Resolver:
    """Ghost rows to media by an exact search (title folded, year within one), remembered per title."""

    def __init__(self) -> None:
        settings = managers().settings.load()
        self.tmdb = TmdbClient.from_settings(settings) if settings.tmdb_api_key else None
        self.tvdb = TvdbClient.from_settings(settings) if settings.tvdb_api_key else None
        self.known: dict[tuple[str, str, int | None], dict[str, Any] | None] = {}

    @staticmethod
    def _same(name: str, year: int | None, want: str, want_year: int | None) -> bool:
        return fold(name) == fold(want) and (not want_year or not year or abs(year - want_year) <= 1)

    def media(self, kind: str, title: str, year: int | None) -> dict[str, Any] | None:
        cache_key = (kind, fold(title), year)
        if cache_key in self.known:
            return self.known[cache_key]
        found = None
        try:
            if kind == "movie" and self.tmdb:
                hit = next((m for m in self.tmdb.search_movies(title, year) if self._same(m.title, m.year, title, year)
                            or self._same(m.original_title, m.year, title, year)), None)
                if hit:
                    found = {"key": f"movie_{hit.id}", "media_type": "movie", "tmdb_id": hit.id, "tvdb_id": None,
                             "imdb_id": hit.imdb_id, "title": hit.title, "year": hit.year, "thumb": None,
                             "original_title": hit.original_title, "summary": hit.overview}
            elif kind == "tv" and self.tvdb:
                hit = next((r for r in self.tvdb.search(title) if self._same(r.name, r.year, title, year)), None)
                if hit:
                    found = {"key": f"tv_{hit.tvdb_id}", "media_type": "tv", "tmdb_id": None, "tvdb_id": hit.tvdb_id,
                             "imdb_id": None, "title": hit.name, "year": hit.year, "thumb": None,
                             "summary": hit.overview}
        except UpstreamError:
            found = None  # left unresolved this time; the next sync tries again
        self.known[cache_key] = found
        return found


def _media_sql(conn, media: dict[str, Any], in_library: bool) -> None:
    conn.execute(
        "INSERT INTO media (key, media_type, tmdb_id, tvdb_id, imdb_id, title, original_title, year, summary, thumb,"
        " leaf_count, in_library, updated_at, size, section, folded, duration)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(key) DO UPDATE SET size=COALESCE(excluded.size, media.size), folded=excluded.folded,"
        " section=COALESCE(excluded.section, media.section),"
        " title=excluded.title, year=COALESCE(excluded.year, media.year), thumb=COALESCE(excluded.thumb, media.thumb),"
        " tmdb_id=COALESCE(excluded.tmdb_id, media.tmdb_id), tvdb_id=COALESCE(excluded.tvdb_id, media.tvdb_id),"
        " imdb_id=COALESCE(excluded.imdb_id, media.imdb_id),"
        " original_title=COALESCE(excluded.original_title, media.original_title),"
        " summary=COALESCE(excluded.summary, media.summary), duration=COALESCE(excluded.duration, media.duration),"
        " leaf_count=COALESCE(excluded.leaf_count, media.leaf_count),"
        " in_library=excluded.in_library, updated_at=excluded.updated_at",
        (media["key"], media["media_type"], media.get("tmdb_id"), media.get("tvdb_id"), media.get("imdb_id"),
         media["title"], media.get("original_title"), media.get("year"), media.get("summary"), media.get("thumb"),
         media.get("leaf_count"), 1 if in_library else 0, datetime.now(UTC).isoformat(timespec="seconds"),
         media.get("size"), media.get("section"),
         fold(" ".join(t for t in (media["title"], media.get("original_title")) if t)), media.get("duration")))


def removal_causes(settings: Any, since: datetime | None) -> dict[str, str]:
    """What deleted media files since ``since``, as far as Radarr and Sonarr know (their
    ``movieFileDeleted`` / ``episodeFileDeleted`` history): ``{media key: "radarr:<reason>"}``. A service not
    configured or not answering tells nothing (the removal stays "cause unknown")."""
    causes: dict[str, str] = {}
    if since is None:
        return causes
    for client_class, kind in ((RadarrClient, "movie"), (SonarrClient, "tv")):
        if not getattr(settings, client_class.URL_SETTING) or not getattr(settings, client_class.KEY_SETTING):
            continue
        try:
            for external, reason in client_class.from_settings(settings).file_deletions(since):
                causes[f"{kind}_{external}"] = f"{client_class.SERVICE.lower()}:{reason}"
        except UpstreamError:
            continue
    return causes


def _log_removed(conn, causes: dict[str, str]) -> None:
    """Log the media that left the library since the last sync (with their size, play count and what removed
    them when known: ``causes``, else ``scan`` for a section's mass drop), and warn when a section lost more
    than ``archive_drop_warning_percent`` of its items at once (a dead mount once made Plex drop 221 of 224
    movies)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    gone = conn.execute(
        "SELECT m.key, m.title, m.media_type, m.section, m.size, (SELECT COUNT(*) FROM plays p WHERE p.media_key = "
        "m.key) AS plays FROM media m WHERE m.in_library = 1 AND m.key NOT IN (SELECT key FROM present)").fetchall()
    before: dict[str, int] = {}
    for row in conn.execute("SELECT section, COUNT(*) AS n FROM media WHERE in_library = 1 GROUP BY section"):
        before[row["section"] or ""] = row["n"]
    lost: dict[str, int] = {}
    for g in gone:
        lost[g["section"] or ""] = lost.get(g["section"] or "", 0) + 1
    share = managers().settings.load().archive_drop_warning_percent / 100
    dropped = {name for name, n in lost.items() if before.get(name) and n / before[name] > share}
    conn.executemany("INSERT INTO removed (media_key, title, media_type, section, size, removed_at, plays, removed_by)"
                     " VALUES (?,?,?,?,?,?,?,?)",
                     [(g["key"], g["title"], g["media_type"], g["section"], g["size"], now, g["plays"],
                       causes.get(g["key"]) or ("scan" if (g["section"] or "") in dropped else None)) for g in gone])
    warnings = [{"section": name, "before": before[name], "lost": lost[name], "at": now} for name in sorted(dropped)]
    if warnings:
        _state(conn, "drop_warning", json.dumps(warnings))


def removed(limit: int = 300) -> list[dict[str, Any]]:
    """Media that left the library, newest first: ``media_key``, ``title``, ``media_type``, ``section``,
    ``size`` (bytes), ``removed_at``, ``plays`` (recorded at that moment), ``removed_by`` (``mms:<radarr |
    sonarr | plex>``, ``radarr:<reason>``, ``sonarr:<reason>``, ``scan`` or ``None`` when unknown)."""
    return [dict(r) for r in archive().query("SELECT * FROM removed ORDER BY id DESC LIMIT ?", (limit,))]


def drop_problems(app: Any) -> list[dict[str, Any]]:
    """A section that lost more than the set share of its items at one sync, in the last 7 days (for the
    summary views)."""
    with app.app_context():
        raw = archive().get_state("drop_warning")
    if not raw:
        return []
    week_ago = datetime.now(UTC).timestamp() - 7 * 86400
    return [{"title": N_("Many media left the library at once"), "subject": w["section"],
             "detail": f"{w['lost']} / {w['before']}"} for w in json.loads(raw)
            if datetime.fromisoformat(w["at"]).timestamp() >= week_ago]


def _state(conn, name: str, value: str) -> None:
    conn.execute("INSERT INTO state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                 (name, value))


def progress() -> dict[str, Any] | None:
    """The running or last sync: ``{"done", "total"`` (plays read / to read), ``"started"``, ``"finished"``
    (ISO or ``None`` while it runs), ``"backfill"`` (the first sync, reading the whole history)}."""
    raw = archive().get_state("sync_progress")
    return json.loads(raw) if raw else None


def sync(plex: PlexClient | None = None) -> dict[str, int]:
    """Record every play since the last sync, then keep the posters of archived media
    (:func:`cache_posters`); ``{"plays", "ghosts", "resolved", "accounts", "posters"}`` (counts of this
    run). Its progress is readable at any time (:func:`progress`). Raises the Plex client's errors (nothing of
    the failed batch is kept; the next run resumes)."""
    settings = managers().settings.load()
    plex = plex or PlexClient.from_settings(settings)
    store = archive()
    since = int(store.get_state("last_viewed_at") or 0)
    last_sync = store.get_state("last_sync_at")
    started = datetime.now(UTC)
    movies, shows, seasons = _library(plex)
    causes = removal_causes(settings, datetime.fromisoformat(last_sync) if last_sync else None)
    resolver = _Resolver()
    accounts = plex.accounts()
    total = plex.history_total(since)
    run = {"done": 0, "total": total, "started": started.isoformat(timespec="seconds"), "finished": None,
           "backfill": since == 0}
    with store.transaction() as conn:
        conn.executemany("INSERT INTO accounts (id, name) VALUES (?, ?) "
                         "ON CONFLICT(id) DO UPDATE SET name=excluded.name",
                         [(a.id, a.name or f"#{a.id}") for a in accounts])
        present = list(movies.values()) + list(shows.values())
        for media in present:
            _media_sql(conn, media, in_library=True)
        conn.executemany("DELETE FROM seasons WHERE media_key = ?", [(key,) for key in seasons])
        conn.executemany("INSERT INTO seasons (media_key, season, episodes) VALUES (?,?,?)",
                         [(key, number, episodes) for key, by_number in seasons.items()
                          for number, episodes in by_number.items()])
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS present (key TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM present")
        conn.executemany("INSERT OR IGNORE INTO present VALUES (?)", [(m["key"],) for m in present])
        _log_removed(conn, causes)
        conn.execute("UPDATE media SET in_library = 0 WHERE in_library = 1 AND key NOT IN (SELECT key FROM present)")
        _state(conn, "sync_progress", json.dumps(run))
    counts = {"plays": 0, "ghosts": 0, "resolved": 0, "accounts": len(accounts)}
    batch: list[dict[str, Any]] = []
    for row in plex.history_entries(since):
        batch.append(row)
        if len(batch) >= BATCH:
            _record(store, batch, movies, shows, resolver, counts, run)
            batch = []
    if batch:
        _record(store, batch, movies, shows, resolver, counts, run)
    counts["posters"] = cache_posters(plex)
    with store.transaction() as conn:
        _state(conn, "sync_progress", json.dumps({**run, "finished": datetime.now(UTC).isoformat(timespec="seconds")}))
        _state(conn, "last_sync_at", started.isoformat(timespec="seconds"))
    return counts


def _record(store: ArchiveStore, rows: list[dict[str, Any]], movies: dict, shows: dict, resolver: _Resolver,
            counts: dict[str, int], run: dict[str, Any]) -> None:
    with store.transaction() as conn:
        for row in rows:
            episode = row["type"] == "episode"
            media = shows.get(row["grandparent_key"]) if episode else movies.get(row["rating_key"])
            in_library = media is not None
            if media is None:  # a ghost: its item is gone from the library
                title = row["grandparent_title"] if episode else row["title"]
                media = resolver.media("tv" if episode else "movie", title or "", row["year"])
                if media is None:
                    conn.execute("INSERT OR IGNORE INTO ghosts VALUES (?,?,?,?,?,?,?,?,?,?)",
                                 (row["history_key"], row["account_id"], row["viewed_at"], row["title"],
                                  row["grandparent_title"], row["year"], row["season"], row["episode"], row["type"],
                                  json.dumps(row)))
                    counts["ghosts"] += 1
                    continue
                counts["resolved"] += 1
            if conn.execute("SELECT 1 FROM media WHERE key = ?", (media["key"],)).fetchone() is None:
                _media_sql(conn, media, in_library=in_library)
            inserted = conn.execute(
                "INSERT OR IGNORE INTO plays VALUES (?,?,?,?,?,?,?)",
                (row["history_key"], media["key"], row["account_id"], row["viewed_at"],
                 row["season"] if episode else None, row["episode"] if episode else None,
                 row["title"] if episode else None)).rowcount
            counts["plays"] += inserted
        run["done"] += len(rows)
        _state(conn, "sync_progress", json.dumps(run))
        last = max(r["viewed_at"] for r in rows)
        conn.execute("INSERT INTO state (name, value) VALUES ('last_viewed_at', ?) ON CONFLICT(name) DO UPDATE SET "
                     "value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))", (str(last),))


def run_sync_job() -> JobResult:
    """Body of the ``archive_sync`` job."""
    settings = managers().settings.load()
    if not settings.plex_url or not settings.plex_token:
        return JobResult.message(N_("Plex is not configured: nothing to record"))
    counts = sync()
    return JobResult.message(N_("%(plays)d plays recorded, %(resolved)d of deleted media found again, %(ghosts)d "
                                "left to match by hand"), 0, **counts)


# -- reading the archive --------------------------------------------------------------------------------------
def accounts() -> list[dict[str, Any]]:
    """``[{"id", "name"}]`` of the accounts seen by a sync."""
    return [{"id": r["id"], "name": r["name"]} for r in archive().query("SELECT id, name FROM accounts ORDER BY id")]


def search(text: str = "", account_id: int | None = None, media_type: str | None = None,
           watched: str = "all", page: int = 1, page_size: int = 30) -> dict[str, Any]:
    """Archived media (at least one play recorded), newest play first: ``{"items", "total", "page",
    "page_size"}``; each item has ``key``, ``media_type``, ids, ``title``, ``year``, ``in_library``, ``thumb``,
    ``plays`` (of the chosen account, or everyone's) and ``history`` (per account: ``name``, ``plays``,
    ``first``/``last`` ISO dates, ``seasons`` ``{season: episodes watched}``)."""
    conn = archive()._connect()
    where, params = ["m.plays > 0"], []
    if text.strip():
        where.append("m.folded LIKE ?")
        params.append(f"%{fold(text.strip())}%")
    if media_type in ("movie", "tv"):
        where.append("m.media_type = ?")
        params.append(media_type)
    plays = "m.plays"
    if account_id is not None:
        seen = "EXISTS (SELECT 1 FROM media_account ma WHERE ma.media_key = m.key AND ma.account_id = ?)"
        if watched == "watched":
            where.append(seen)
            params.append(account_id)
        elif watched == "unwatched":
            where.append("NOT " + seen)
            params.append(account_id)
        plays = ("COALESCE((SELECT ma.plays FROM media_account ma WHERE ma.media_key = m.key "
                 f"AND ma.account_id = {int(account_id)}), 0)")
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT COUNT(*) FROM media m WHERE {clause}", params).fetchone()[0]
    rows = conn.execute(f"SELECT m.*, {plays} AS plays, m.last_viewed AS last FROM media m WHERE {clause} "
                        "ORDER BY m.last_viewed DESC, m.title LIMIT ? OFFSET ?",
                        [*params, page_size, (page - 1) * page_size]).fetchall()
    items = [dict(r) for r in rows]
    histories = history([i["key"] for i in items])
    for item in items:
        item["history"] = histories.get(item["key"], [])
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def history(keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per media key, each account's history: ``name``, ``account_id``, ``plays``, ``first``/``last`` (ISO),
    ``seasons`` ``{season number: {"watched": distinct episodes watched, "total": episodes the season had in
    the library, or None when never seen there}}`` and ``episodes`` ``[{"season", "episode", "title", "dates":
    [ISO, ...]}]`` in order (shows)."""
    if not keys:
        return {}
    conn = archive()._connect()
    marks = ",".join("?" * len(keys))
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    rows = conn.execute(
        "SELECT ma.media_key, ma.account_id, COALESCE(a.name, '#' || ma.account_id) AS name, ma.plays, "
        "ma.first, ma.last FROM media_account ma LEFT JOIN accounts a ON a.id = ma.account_id "
        f"WHERE ma.media_key IN ({marks}) ORDER BY ma.last DESC", keys).fetchall()
    seasons: dict[tuple[str, int], dict[int, int]] = {}
    for r in conn.execute(
            "SELECT media_key, account_id, season, COUNT(DISTINCT episode) AS n FROM plays "
            f"WHERE media_key IN ({marks}) AND season IS NOT NULL GROUP BY media_key, account_id, season",
            keys).fetchall():
        seasons.setdefault((r["media_key"], r["account_id"]), {})[r["season"]] = r["n"]
    episodes: dict[tuple[str, int], dict[tuple[int, int], dict[str, Any]]] = {}
    for r in conn.execute(
            "SELECT media_key, account_id, season, episode, episode_title, viewed_at FROM plays "
            f"WHERE media_key IN ({marks}) AND season IS NOT NULL ORDER BY season, episode, viewed_at", keys):
        entry = episodes.setdefault((r["media_key"], r["account_id"]), {}).setdefault(
            (r["season"], r["episode"] or 0), {"season": r["season"], "episode": r["episode"],
                                               "title": r["episode_title"], "dates": []})
        entry["dates"].append(datetime.fromtimestamp(r["viewed_at"], UTC).isoformat(timespec="seconds"))
    totals = {(r["media_key"], r["season"]): r["episodes"] for r in conn.execute(
        f"SELECT media_key, season, episodes FROM seasons WHERE media_key IN ({marks})", keys).fetchall()}
    for r in rows:
        out[r["media_key"]].append({
            "account_id": r["account_id"], "name": r["name"], "plays": r["plays"],
            "first": datetime.fromtimestamp(r["first"], UTC).isoformat(timespec="seconds"),
            "last": datetime.fromtimestamp(r["last"], UTC).isoformat(timespec="seconds"),
            "seasons": {number: {"watched": watched, "total": totals.get((r["media_key"], number))}
                        for number, watched in sorted(seasons.get((r["media_key"], r["account_id"]), {}).items())},
            "episodes": list(episodes.get((r["media_key"], r["account_id"]), {}).values())})
    return out


def ghosts(limit: int = 200) -> list[dict[str, Any]]:
    """Plays whose media could not be found again, newest first, for matching by hand (``viewed_iso`` added)."""
    return [{**dict(r), "viewed_iso": datetime.fromtimestamp(r["viewed_at"] or 0, UTC).isoformat(timespec="seconds")}
            for r in archive().query(
        "SELECT g.*, COALESCE(a.name, '#' || g.account_id) AS name FROM ghosts g LEFT JOIN accounts a "
        "ON a.id = g.account_id ORDER BY viewed_at DESC LIMIT ?", (limit,))]



# -- archive, then delete ------------------------------------------------------------------------------------
class ArchiveRefused(Refusal):
    """An item that will not be deleted (no external id, its history not fully recorded...): nothing deleted."""

    code = "archive_refused"


def _deleter(settings: Any, details: dict[str, Any]) -> tuple[str, Any]:
    """How an item is deleted: ``("radarr", movie id)``, ``("sonarr", series id)`` when they manage it (they
    also forget it), else ``("plex", rating key)``."""
    try:
        found = arr_item(settings, details["type"], details["guids"])
    except UpstreamError as exc:
        raise ArchiveRefused(N_("%(service)s does not answer: nothing deleted"), service=exc.service) from None
    return (found[0], found[1].id) if found else ("plex", details["rating_key"])


def archive_and_delete(rating_keys: list[int], *, dry_run: bool, exclude: bool = False) -> dict[str, Any]:
    """Record every user's history of the items, read it back, then delete each through Radarr/Sonarr (files
    deleted; ``exclude`` adds an import-list exclusion) or Plex. With ``dry_run``, only say what would be
    deleted. Each item on its own: one whose plays are not all in the archive is not deleted.
    ``{"items": [{"rating_key", "title", "key", "via", "files", "size", "plays", "state", "error"}]}``."""
    settings = managers().settings.load()
    plex = PlexClient.from_settings(settings)
    if not dry_run:
        sync(plex)  # records every play up to now; each item's share is read back below
    counts: dict[int, int] = {}
    if not dry_run:
        for rating_key, show_key, _at in plex.plays():
            counts[show_key or rating_key] = counts.get(show_key or rating_key, 0) + 1
    out = []
    for key in dict.fromkeys(rating_keys):
        item: dict[str, Any] = {"rating_key": key, "title": str(key), "state": "planned" if dry_run else "failed",
                                "error": None}
        try:
            details = plex.details(key)
            scheme, kind = ("tmdb", "movie") if details["type"] == "movie" else ("tvdb", "tv")
            external = details["guids"].get(scheme)
            item.update(title=details["title"], files=details["media"]["files"], size=details["media"]["size"] or None)
            if not external:
                raise ArchiveRefused(N_("no %(scheme)s id: its history could not be kept, nothing deleted"),
                                     scheme=scheme.upper())
            item["key"] = f"{kind}_{external}"
            item["via"], target = _deleter(settings, details)
            recorded = archive().query("SELECT COUNT(*) AS n FROM plays WHERE media_key = ?", (item["key"],))[0]["n"]
            item["plays"] = recorded
            if dry_run:
                out.append(item)
                continue
            expected = counts.get(key, 0)
            if recorded < expected:
                raise ArchiveRefused(N_("the archive holds %(recorded)s of its %(expected)s plays: nothing deleted"),
                                     recorded=recorded, expected=expected)
            if item["via"] == "radarr":
                RadarrClient.from_settings(settings).delete_movie(target, exclude=exclude)
            elif item["via"] == "sonarr":
                SonarrClient.from_settings(settings).delete_series(target, exclude=exclude)
            else:
                plex.delete_item(key)
            with archive().transaction() as conn:
                conn.execute("UPDATE media SET in_library = 0 WHERE key = ?", (item["key"],))
                conn.execute("INSERT INTO removed (media_key, title, media_type, section, size, removed_at, plays, "
                             "removed_by) VALUES (?,?,?,?,?,?,?,?)",
                             (item["key"], details["title"], kind, None, item.get("size"),
                              datetime.now(UTC).isoformat(timespec="seconds"), recorded, f"mms:{item['via']}"))
            item["state"] = "deleted"
        except ArchiveRefused as exc:
            item["error"] = say(exc)
        except UpstreamError as exc:
            item["error"] = say(exc)
        out.append(item)
    return {"items": out, "dry_run": dry_run}


# -- export ------------------------------------------------------------------------------------------------
EXPORT_COLUMNS = ("media_key", "media_type", "title", "year", "tmdb_id", "tvdb_id", "imdb_id", "in_library",
                  "account_id", "account", "viewed_at", "season", "episode", "episode_title")


def export_rows() -> list[dict[str, Any]]:
    """One row per recorded play with its media and account (:data:`EXPORT_COLUMNS`; ``viewed_at`` ISO UTC)."""
    rows = archive().query(
        "SELECT p.media_key, m.media_type, m.title, m.year, m.tmdb_id, m.tvdb_id, m.imdb_id, m.in_library, "
        "p.account_id, COALESCE(a.name, '#' || p.account_id) AS account, p.viewed_at, p.season, p.episode, "
        "p.episode_title FROM plays p JOIN media m ON m.key = p.media_key LEFT JOIN accounts a ON a.id = p.account_id "
        "ORDER BY p.viewed_at")
    out = []
    for row in rows:
        item = dict(row)
        item["viewed_at"] = datetime.fromtimestamp(item["viewed_at"], UTC).isoformat(timespec="seconds")
        out.append(item)
    return out


def export_csv() -> str:
    """:func:`export_rows` as CSV (comma-separated, a header line, UTF-8)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(export_rows())
    return buffer.getvalue()


# -- import from Tautulli -------------------------------------------------------------------------------------
def _guid_media(guid: str | None) -> tuple[str, int] | None:
    """``(media type, id)`` from a legacy agent GUID (a TMDB movie, a TheTVDB show), else ``None``."""
    found = legacy_guids(guid or "")
    if found.get("tmdb", "").isdigit():
        return "movie", int(found["tmdb"])
    if found.get("tvdb", "").isdigit():
        return "tv", int(found["tvdb"])
    return None


def import_tautulli(path: Any) -> dict[str, int]:
    """Import Tautulli's history (its SQLite file at ``path``): ``session_history`` joined with
    ``session_history_metadata`` on ``id``, one play per ``reference_id`` (a play resumed over several sessions
    is one). Media from the legacy GUIDs, else found by title and year like ghosts; users matched to Plex's
    accounts by name (an unknown one is kept under its Tautulli id, negated). A play already recorded from Plex
    (same media and user, within an hour) is not added twice; importing again adds nothing.
    ``{"plays", "ghosts", "resolved", "skipped"}``. Raises :class:`ArchiveRefused` for a file that is not a
    Tautulli database."""
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise ArchiveRefused(N_("This is not a Tautulli database (%(reason)s)."), reason=str(exc)) from None
    try:
        source.row_factory = sqlite3.Row
        rows = source.execute(
            "SELECT h.reference_id, MAX(h.stopped) AS stopped, MIN(h.started) AS started, h.user_id, h.user, "
            "h.media_type, m.title, m.grandparent_title, m.year, m.media_index, m.parent_media_index, m.guid "
            "FROM session_history h JOIN session_history_metadata m ON m.id = h.id "
            "GROUP BY h.reference_id ORDER BY started").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ArchiveRefused(N_("This is not a Tautulli database (%(reason)s)."), reason=str(exc)) from None
    finally:
        source.close()
    store = archive()
    names = {r["name"].casefold(): r["id"] for r in store.query("SELECT id, name FROM accounts")}
    resolver = _Resolver()
    counts = {"plays": 0, "ghosts": 0, "resolved": 0, "skipped": 0}
    with store.transaction() as conn:
        for row in rows:
            account = names.get((row["user"] or "").casefold())
            if account is None:
                account = -int(row["user_id"] or 0)
                conn.execute("INSERT OR IGNORE INTO accounts VALUES (?, ?)", (account, row["user"] or f"#{account}"))
            episode = row["media_type"] == "episode"
            viewed_at = int(row["stopped"] or row["started"] or 0)
            found = _guid_media(row["guid"])
            media = None
            if found:
                kind, ident = found
                media = {"key": f"{kind}_{ident}", "media_type": kind, "tmdb_id": ident if kind == "movie" else None,
                         "tvdb_id": ident if kind == "tv" else None, "imdb_id": None,
                         "title": row["grandparent_title"] if episode else row["title"], "year": row["year"]}
            else:
                title = row["grandparent_title"] if episode else row["title"]
                media = resolver.media("tv" if episode else "movie", title or "", row["year"])
                if media is not None:
                    counts["resolved"] += 1
            history_key = f"tautulli/{row['reference_id']}"
            if media is None:
                conn.execute("INSERT OR IGNORE INTO ghosts VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (history_key, account, viewed_at, row["title"], row["grandparent_title"], row["year"],
                              row["parent_media_index"], row["media_index"], row["media_type"],
                              json.dumps(dict(row))))
                counts["ghosts"] += 1
                continue
            if conn.execute("SELECT 1 FROM media WHERE key = ?", (media["key"],)).fetchone() is None:
                _media_sql(conn, media, in_library=False)
            same = conn.execute(
                "SELECT 1 FROM plays WHERE media_key = ? AND account_id = ? AND ABS(viewed_at - ?) < 3600 "
                "AND history_key NOT LIKE 'tautulli/%' AND COALESCE(season, -1) = COALESCE(?, -1) "
                "AND COALESCE(episode, -1) = COALESCE(?, -1)",
                (media["key"], account, viewed_at, row["parent_media_index"] if episode else None,
                 row["media_index"] if episode else None)).fetchone()
            if same:
                counts["skipped"] += 1
                continue
            counts["plays"] += conn.execute(
                "INSERT OR IGNORE INTO plays VALUES (?,?,?,?,?,?,?)",
                (history_key, media["key"], account, viewed_at, row["parent_media_index"] if episode else None,
                 row["media_index"] if episode else None, row["title"] if episode else None)).rowcount
    return counts


def match_ghost(history_key: str, media_type: str, external_id: int, title: str = "", year: int | None = None) -> int:
    """Match a ghost by hand: its play and every other ghost of the same title (the show's, for episodes) are
    recorded under ``movie_<tmdb_id>`` / ``tv_<tvdb_id>``; returns the plays recorded. Raises
    :class:`ArchiveRefused` for an unknown ghost or a media type that is not movie/tv."""
    if media_type not in ("movie", "tv"):
        raise ArchiveRefused(N_("The type must be movie or tv."))
    store = archive()
    ghost = store.query("SELECT * FROM ghosts WHERE history_key = ?", (history_key,))
    if not ghost:
        raise ArchiveRefused(N_("No play to match with this key."))
    ghost = dict(ghost[0])
    name_column = "grandparent_title" if ghost["kind"] == "episode" else "title"
    same = [dict(r) for r in store.query(f"SELECT * FROM ghosts WHERE {name_column} IS ? AND kind IS ?",
                                         (ghost[name_column], ghost["kind"]))]
    key = f"{media_type}_{int(external_id)}"
    media = {"key": key, "media_type": media_type, "tmdb_id": int(external_id) if media_type == "movie" else None,
             "tvdb_id": int(external_id) if media_type == "tv" else None, "imdb_id": None,
             "title": title.strip() or ghost[name_column] or key, "year": year or ghost["year"]}
    recorded = 0
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM media WHERE key = ?", (key,)).fetchone() is None:
            _media_sql(conn, media, in_library=False)
        for row in same:
            episode = row["kind"] == "episode"
            recorded += conn.execute("INSERT OR IGNORE INTO plays VALUES (?,?,?,?,?,?,?)",
                                     (row["history_key"], key, row["account_id"], row["viewed_at"],
                                      row["season"] if episode else None, row["episode"] if episode else None,
                                      row["title"] if episode else None)).rowcount
            conn.execute("DELETE FROM ghosts WHERE history_key = ?", (row["history_key"],))
    return recorded


def archived_summary(keys: list[str]) -> dict[str, str]:
    """For media keys in the archive: one line of their history for a tooltip ("marie ×2, paul ×1")."""
    if not keys:
        return {}
    marks = ",".join("?" * len(keys))
    out: dict[str, list[str]] = {}
    for row in archive().query(
            "SELECT ma.media_key, COALESCE(a.name, '#' || ma.account_id) AS name, ma.plays FROM media_account ma "
            f"LEFT JOIN accounts a ON a.id = ma.account_id WHERE ma.media_key IN ({marks}) ORDER BY ma.last DESC",
            keys):
        out.setdefault(row["media_key"], []).append(f"{row['name']} ×{row['plays']}")
    return {k: ", ".join(v) for k, v in out.items()}


def monthly_plays(account_id: int, months: int = 12) -> list[dict[str, Any]]:
    """An account's plays per month, the last ``months`` months that have any, oldest first:
    ``[{"month": "2026-11", "plays", "hours"}]``; ``hours`` (one decimal) counts each play at its media's length
    (a show's usual episode length), 0 for media whose length was never seen in the library."""
    rows = archive().query(
        "SELECT strftime('%Y-%m', p.viewed_at, 'unixepoch') AS month, COUNT(*) AS plays, "
        "COALESCE(SUM(m.duration), 0) AS seconds FROM plays p LEFT JOIN media m ON m.key = p.media_key "
        "WHERE p.account_id = ? GROUP BY month ORDER BY month DESC LIMIT ?", (account_id, months))
    return [{"month": r["month"], "plays": r["plays"], "hours": round(r["seconds"] / 3600, 1)} for r in reversed(rows)]


# -- posters kept on disk (they outlive the media) -----------------------------------------------------------
#: Posters fetched per sync at most (the first syncs of a big library spread the work).
POSTERS_PER_SYNC = 100
POSTER_KEY = re.compile(r"^(movie|tv)_\d{1,10}$")


def poster_folder() -> Path:
    """``instance/archive_posters/``."""
    return managers().instance_path / "archive_posters"


def poster_path(key: str) -> Path | None:
    """The cached poster of an archived media, or ``None``."""
    if not POSTER_KEY.match(key):
        return None
    return next((p for p in poster_folder().glob(f"{key}.*") if p.suffix in (".jpg", ".png", ".webp")), None)


def _tmdb_poster(tmdb: TmdbClient, row: Any) -> bytes | None:
    """The TMDB poster (w342) of a media gone from the library, by its TMDB id (a show's found from its TVDB
    id); ``None`` when TMDB has none."""
    if row["media_type"] == "movie" and row["tmdb_id"]:
        item = tmdb.movie(row["tmdb_id"])
    elif row["media_type"] == "tv" and (row["tmdb_id"] or row["tvdb_id"]):
        tv_id = row["tmdb_id"] or tmdb.tv_id_for_tvdb(row["tvdb_id"])
        if tv_id is None:
            return None
        item = tmdb.tv(tv_id)
    else:
        return None
    url = tmdb_image(item.poster_path, "w342")
    return fetch_image(url)[0] if url else None


def cache_posters(plex: PlexClient, limit: int = POSTERS_PER_SYNC) -> int:
    """Keep the poster of archived media, each checked by Pillow, at most ``limit`` per call: Plex's for media
    still in the library, TMDB's (by id) for media gone before their poster was kept or whose poster folder
    was lost (posters are a cache: a restored archive gets them back this way). A poster that fails is tried
    again at the next sync. Returns how many were kept."""
    folder = poster_folder()
    folder.mkdir(parents=True, exist_ok=True)
    settings = managers().settings.load()
    tmdb = TmdbClient.from_settings(settings) if settings.tmdb_api_key else None
    done = 0
    for row in archive().query("SELECT key, thumb, in_library, media_type, tmdb_id, tvdb_id FROM media "
                               "WHERE plays > 0 AND (in_library = 0 OR thumb IS NOT NULL) ORDER BY last_viewed DESC"):
        if done >= limit:
            break
        if poster_path(row["key"]) is not None or (not row["in_library"] and tmdb is None):
            continue
        try:
            data = plex.fetch_image(row["thumb"])[0] if row["in_library"] else _tmdb_poster(tmdb, row)
            if data is None:
                continue
            info = inspect_image(data)
        except (UpstreamError, ValueError, ImageRefused):
            continue
        partial = folder / f".{row['key']}.part"
        partial.write_bytes(data)
        partial.replace(folder / f"{row['key']}.{info.extension}")
        done += 1
    return done
