"""Trailers: candidates (TMDB's videos, then a YouTube search), ranking, lock, download as a Plex local trailer.

Media are named by their external id (TMDB for movies, TVDB for shows); the store is
``trailer_database.json`` (:class:`TrailerManager`). Downloads follow Plex's local-trailer naming: movies
``Title (Year)-trailer.mkv`` next to the movie (or ``Trailers/Title (Year).mkv``, setting
``trailer_layout``), shows ``Show/Trailers/Show (Year).mkv`` (a flat ``-trailer`` file at show level is not
picked up by Plex); then Plex scans the folder, refreshes the item and its ``/extras`` are read back.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app

from app.extensions import managers
from app.i18n import say
from app.jobs import JobResult
from app.plex_editor.library import CACHE
from app.trailers.ranking import rank
from app.utils.clients.errors import UpstreamBotCheck, UpstreamError, UpstreamNotFound
from app.utils.clients.plex import PlexClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.youtube import YouTubeClient, video_id, watch_url
from app.utils.messages import N_, Refusal
from app.utils.paths import library_roots
from app.utils.stores.trailer_manager import TrailerManager, on_disk, status_of, trailer_key
from app.utils.text import fold


class TrailerRefused(Refusal):
    """Bad input for trailers (not a YouTube link, no external id, nothing locked...): nothing changed."""

    code = "trailer_refused"


def manager() -> TrailerManager:
    """The trailer database of this instance."""
    return managers().trailers


def media_of(media_type: str, external_id: Any, title: str = "", year: Any = None,
             original_title: str = "") -> dict[str, Any]:
    """A media as the trailer functions take it; :class:`TrailerRefused` without a usable external id."""
    try:
        key = trailer_key(media_type, external_id)
    except ValueError:
        raise TrailerRefused(N_("This media has no TMDB/TVDB id: a trailer cannot be kept for it.")) from None
    return {"key": key, "media_type": media_type, "external_id": int(external_id), "title": title.strip(),
            "original_title": original_title.strip(), "year": int(year) if str(year or "").isdigit() else None}


def _thumbnail(entry: dict[str, Any], vid: str) -> str:
    thumbnails = [t for t in entry.get("thumbnails") or [] if isinstance(t, dict) and t.get("url")]
    return thumbnails[-1]["url"] if thumbnails else f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg"


def _from_youtube(entry: dict[str, Any]) -> dict[str, Any] | None:
    vid = entry.get("id") or ""
    try:
        vid = video_id(vid)
    except ValueError:
        return None
    return {"video_id": vid, "url": watch_url(vid), "title": entry.get("title") or "",
            "channel": entry.get("channel") or entry.get("uploader") or "", "thumbnail": _thumbnail(entry, vid),
            "duration_s": int(entry["duration"]) if entry.get("duration") else None, "source": "youtube",
            "official": False, "description": (entry.get("description") or "")[:500],
            "live": entry.get("live_status") in ("is_live", "is_upcoming", "post_live")}


def _tmdb_videos(media: dict[str, Any], errors: list[str]) -> list[dict[str, Any]]:
    settings = managers().settings.load()
    if not settings.tmdb_api_key:
        return []
    try:
        tmdb = TmdbClient.from_settings(settings)
        tmdb_id = media["external_id"] if media["media_type"] == "movie" else tmdb.tv_id_for_tvdb(media["external_id"])
        if tmdb_id is None:
            return []
        videos = tmdb.videos("movie" if media["media_type"] == "movie" else "tv", tmdb_id)
    except UpstreamError as exc:
        errors.append(str(exc))
        return []
    kinds = {"Trailer": 0, "Teaser": 1}
    chosen = sorted((v for v in videos if v.site == "YouTube" and v.type in kinds),
                    key=lambda v: (kinds[v.type], not v.official))
    return [{"video_id": v.key, "url": watch_url(v.key), "title": v.name, "channel": "TMDB",
             "thumbnail": f"https://i.ytimg.com/vi/{v.key}/hqdefault.jpg", "duration_s": None, "source": "tmdb",
             "official": v.official, "iso_639_1": v.iso_639_1, "description": "", "live": False}
            for v in chosen if re.fullmatch(r"[A-Za-z0-9_-]{11}", v.key)]


def youtube_client() -> YouTubeClient:
    """yt-dlp with the configured cookies file."""
    return YouTubeClient(cookiefile=managers().settings.load().trailer_cookies_file or None)


def find_candidates(media: dict[str, Any], *, pause_s: float = 0.0,
                    youtube: YouTubeClient | None = None) -> dict[str, Any]:
    """Search and rank: TMDB's videos first, then one YouTube search per query template (``pause_s``
    between two). Keeps them in the store. ``{"key", "status", "candidates", "errors"}``; a YouTube
    failure is in ``errors`` (``bot_check`` true for YouTube's bot check), TMDB's are kept."""
    settings = managers().settings.load()
    errors: list[str] = []
    bot_check = False
    found = _tmdb_videos(media, errors)
    if settings.trailer_youtube_search == "on":
        client = youtube or youtube_client()
        for n, template in enumerate(settings.trailer_queries):
            query = template.format(title=media["title"], original_title=media.get("original_title") or media["title"],
                                    year=media.get("year") or "").strip()
            if n and pause_s:
                time.sleep(pause_s)
            try:
                found += [c for c in map(_from_youtube, client.search(query)) if c]
            except UpstreamBotCheck as exc:
                errors.append(say(exc))
                bot_check = True
                break
            except UpstreamError as exc:
                errors.append(say(exc))
                break  # the next searches would meet the same wall (429, network)
    ranked = rank(found, media, bad_words=settings.trailer_bad_words, max_duration_s=settings.trailer_max_duration_s)
    entry = manager().set_candidates(media["key"], media, ranked)
    return {"key": media["key"], "status": status_of(entry), "candidates": ranked, "errors": errors,
            "locked": entry.get("locked"), "bot_check": bot_check}


def lock(media: dict[str, Any], chosen_id: str | None = None, link: str | None = None) -> dict[str, Any]:
    """Lock one of the stored candidates (``chosen_id``) or a pasted YouTube ``link`` (validated); the
    entry. Raises :class:`TrailerRefused` for an unknown candidate or a link that is not YouTube's."""
    entry = manager().get_trailer_info(media["key"]) or {}
    if link:
        try:
            vid = video_id(link)
        except ValueError:
            raise TrailerRefused(N_("This is not a YouTube video link.")) from None
        video = next((c for c in entry.get("candidates") or [] if c["video_id"] == vid), None) or {
            "video_id": vid, "url": watch_url(vid), "title": link.strip(), "channel": "", "source": "link",
            "thumbnail": f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg", "duration_s": None, "language": None,
            "score": None}
    else:
        video = next((c for c in entry.get("candidates") or [] if c["video_id"] == chosen_id), None)
        if video is None:
            raise TrailerRefused(N_("This video is not among the candidates: search again."), 404)
    limit = managers().settings.load().trailer_max_duration_s
    if video.get("duration_s") and video["duration_s"] > limit:
        raise TrailerRefused(N_("This video lasts longer than the limit (%(limit)s s): it is not a trailer."),
                             limit=limit)
    keep = {k: video.get(k) for k in ("video_id", "url", "title", "channel", "thumbnail", "duration_s", "language",
                                      "source", "score")}
    return manager().lock_trailer(media["key"], media, keep)


def unlock(key: str) -> dict[str, Any] | None:
    """Forget the locked video of ``key``."""
    return manager().unlock_trailer(key)


def statuses(keys: list[str]) -> dict[str, dict[str, Any]]:
    """``{key: {"status", "on_disk"}}``."""
    return manager().statuses(keys)


# -- download as a Plex local trailer ---------------------------------------------------------------------
def _plex_item(plex: PlexClient, media: dict[str, Any]) -> dict[str, Any]:
    """The Plex item of a media (by its TMDB/TVDB GUID), fully read; :class:`TrailerRefused` when Plex has none."""
    scheme, kind = ("tmdb", "movie") if media["media_type"] == "movie" else ("tvdb", "show")
    for section in CACHE.section_list(plex):
        if section.type != kind:
            continue
        for item in CACHE.section(plex, section.key, section.type).items:
            if item["guids"].get(scheme) == str(media["external_id"]):
                return plex.details(item["rating_key"])
    raise TrailerRefused(N_("Plex has no item with this id: the trailer has nowhere to go."), 404)


def trailer_target(details: dict[str, Any], layout: str) -> tuple[Path, str]:
    """The folder and the file name (without ``.mkv``) of an item's local trailer, as Plex reads them."""
    name = f"{details['title']} ({details['year']})" if details.get("year") else details["title"]
    name = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "", name).strip(" .") or "trailer"
    if details["type"] == "movie":
        if not details["media"]["files"]:
            raise TrailerRefused(N_("Plex knows no file for this item."))
        folder = Path(os.path.dirname(details["media"]["files"][0]))
        return (folder / "Trailers", name) if layout == "folder" else (folder, f"{name}-trailer")
    if not details.get("locations"):
        raise TrailerRefused(N_("Plex knows no folder for this item."))
    return Path(details["locations"][0]) / "Trailers", name


def download(key: str, youtube: YouTubeClient | None = None,
             on_progress: Any = None) -> dict[str, Any]:
    """Download the locked video of ``key`` next to the media and have Plex pick it up; the entry (its
    ``download`` says done/failed, path, size, error; ``extras`` lists what Plex shows). A failure leaves no
    file and is recorded (the job retries it later)."""
    entry = manager().get_trailer_info(key)
    if not entry or not entry.get("locked"):
        raise TrailerRefused(N_("No trailer is locked for this media."), 409)
    settings = managers().settings.load()
    plex = PlexClient.from_settings(settings)
    media = {k: entry.get(k) for k in ("media_type", "external_id", "title", "year")}
    try:
        details = _plex_item(plex, media)
        folder, name = trailer_target(details, settings.trailer_layout)
        media_folder = folder.parent if folder.name == "Trailers" else folder
        roots = library_roots(settings)
        if not media_folder.is_dir() or not any(media_folder.resolve().is_relative_to(r) for r in roots):
            raise TrailerRefused(N_("The media's folder %(path)s is not inside a library root folder."),
                                 path=str(media_folder))
        folder.mkdir(exist_ok=True)
        path = (youtube or youtube_client()).download(entry["locked"]["url"], folder, name,
                                                      max_bytes=settings.trailer_max_size_mb * 1024 * 1024,
                                                      max_duration_s=settings.trailer_max_duration_s,
                                                      on_progress=on_progress)
    except (UpstreamError, TrailerRefused, OSError) as exc:
        manager().set_download(key, state="failed", error=str(exc))
        raise
    manager().set_download(key, state="done", path=str(path), size=path.stat().st_size)
    managers().events.publish("trailer_downloaded", msgid=N_("%(subject)s"), params={"subject": name})
    extras: list[str] = []
    try:
        managers().plex_scan_asked()
        plex.scan_folder(str(folder))
        plex.refresh_item(details["rating_key"])
        extras = plex.extras(details["rating_key"])
    except UpstreamNotFound:
        pass  # no section holds the folder: the file is there, Plex sees it at its next full scan
    return {**manager().get_trailer_info(key), "extras": extras}


# -- the library view and the batch work (the "trailers" job and the page's bulk actions) -----------------
def library(status: str | None = None, text: str = "", page: int = 1, page_size: int = 100) -> dict[str, Any]:
    """Every Plex movie and show with an external id, with its trailer status: ``{"items": [{"key",
    "media_type", "external_id", "title", "year", "status", "on_disk"}], "total", "counts": {status: n},
    "without_id": n}``. Raises the Plex client's errors."""
    settings = managers().settings.load()
    if not settings.plex_url or not settings.plex_token:
        return {"items": [], "total": 0, "counts": {"LOCKED": 0, "UNLOCKED": 0, "NONE": 0}, "without_id": 0,
                "page": page, "page_size": page_size, "configured": False}
    plex = PlexClient.from_settings(settings)
    data = manager().all_shared()
    rows, without_id = [], 0
    for section in CACHE.section_list(plex):
        if section.type not in ("movie", "show"):
            continue
        scheme, media_type = ("tmdb", "movie") if section.type == "movie" else ("tvdb", "tv")
        for item in CACHE.section(plex, section.key, section.type).items:
            external = item["guids"].get(scheme)
            if not external or not external.isdigit():
                without_id += 1
                continue
            key = f"{media_type}_{external}"
            entry = data.get(key)
            rows.append({"key": key, "media_type": media_type, "external_id": int(external), "title": item["title"],
                         "year": item["year"], "status": status_of(entry), "on_disk": on_disk(entry)})
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("LOCKED", "UNLOCKED", "NONE")}
    needle = fold(text.strip())
    chosen = [r for r in rows if (not status or r["status"] == status) and (not needle or needle in fold(r["title"]))]
    chosen.sort(key=lambda r: fold(r["title"]))
    start = (page - 1) * page_size
    return {"items": chosen[start:start + page_size], "total": len(chosen), "counts": counts,
            "without_id": without_id, "page": page, "page_size": page_size, "configured": True}


#: Seconds before a failed download is tried again, doubled per failure.
RETRY_BASE_S = 1800


def due_for_download(entry: dict[str, Any], now: float) -> bool:
    """A locked trailer not on disk whose last failure (if any) has waited its back-off."""
    if not entry.get("locked") or on_disk(entry):
        return False
    download = entry.get("download") or {}
    if download.get("state") != "failed":
        return True
    waited = now - datetime.fromisoformat(download["at"]).timestamp()
    return waited >= RETRY_BASE_S * 2 ** max(0, int(download.get("attempts", 1)) - 1)


def process(rows: list[dict[str, Any]], *, find: bool, download_locked: bool,
            youtube: YouTubeClient | None = None) -> dict[str, Any]:
    """The batch work over ``rows`` (``key``, ``media_type``, ``external_id``, ``title``, ``year``): search the
    ones without a trailer (``find``; the best is locked when its score reaches ``trailer_auto_lock_score``),
    download the locked ones missing on disk (``download_locked``). Each item on its own; YouTube's bot check
    stops the batch (nothing would work until a cookies file is set). ``{"searched", "locked",
    "downloaded", "failed": [{"title", "reason"}], "stopped": reason | None}``."""
    settings = managers().settings.load()
    client = youtube or youtube_client()
    out: dict[str, Any] = {"searched": 0, "locked": 0, "downloaded": 0, "failed": [], "stopped": None}
    now = time.time()
    for row in rows:
        entry = manager().get_trailer_info(row["key"]) or {}
        try:
            if find and status_of(entry) == "NONE":
                if out["searched"] and settings.trailer_pause_s:
                    time.sleep(settings.trailer_pause_s)
                media = media_of(row["media_type"], row["external_id"], row["title"], row.get("year"))
                found = find_candidates(media, youtube=client, pause_s=settings.trailer_pause_s)
                out["searched"] += 1
                if found["bot_check"]:
                    raise UpstreamBotCheck("YouTube", "; ".join(found["errors"]), setting="TRAILER_COOKIES_FILE")
                if found["errors"]:
                    out["failed"].append({"title": row["title"], "reason": "; ".join(found["errors"])})
                best = found["candidates"][0] if found["candidates"] else None
                threshold = settings.trailer_auto_lock_score
                if best and threshold and best["score"] >= threshold:
                    lock(media, best["video_id"])
                    out["locked"] += 1
                entry = manager().get_trailer_info(row["key"]) or {}
            if download_locked and due_for_download(entry, now):
                download(row["key"], youtube=client)
                out["downloaded"] += 1
        except UpstreamBotCheck as exc:
            out["stopped"] = str(exc)
            out["failed"].append({"title": row["title"], "reason": str(exc)})
            break
        except (UpstreamError, TrailerRefused, OSError) as exc:  # each item on its own
            out["failed"].append({"title": row["title"], "reason": str(exc)})
    return out


def job_state():
    """``instance/trailer_job.json``: ``{"paused", "cookies_file", "reason"}``: the job pauses on YouTube's
    bot check and goes on once the cookies file setting changes."""
    return managers().extra_store("trailer_job.json")


#: Searches one run of the job makes at most (YouTube is asked once per query template for each).
JOB_SEARCHES = 50


def run_job(youtube: YouTubeClient | None = None) -> JobResult:
    """Body of the "trailers" job: search up to :data:`JOB_SEARCHES` media without a trailer, download the
    locked ones missing on disk (failed ones after their back-off)."""
    settings = managers().settings.load()
    state = job_state().read()
    if state.get("paused") and state.get("cookies_file") == settings.trailer_cookies_file:
        return JobResult.message(N_("paused since YouTube asked to confirm it is not a bot: set a cookies file in "
                                    "the trailer settings (TRAILER_COOKIES_FILE)"), 1)
    rows = library(page_size=10**7)["items"]
    data = manager().all_shared()
    now = time.time()
    missing = [r for r in rows if r["status"] == "NONE"][:JOB_SEARCHES]
    to_download = [r for r in rows if r["status"] == "LOCKED" and due_for_download(data.get(r["key"]) or {}, now)]
    result = process(missing + to_download, find=True, download_locked=True, youtube=youtube)
    failed = len(result["failed"])
    if result["stopped"]:  # paused until the cookies file setting changes
        job_state().update(lambda d: d.update(paused=True, cookies_file=settings.trailer_cookies_file,
                                              reason=result["stopped"]))
        return JobResult.message(N_("stopped: %(reason)s (set a cookies file in the trailer settings); %(searched)d "
                                    "searched, %(downloaded)d downloaded"), max(failed, 1), reason=result["stopped"],
                                 searched=result["searched"], downloaded=result["downloaded"])
    job_state().update(lambda d: d.update(paused=False))
    return JobResult.message(N_("%(searched)d searched, %(locked)d chosen, %(downloaded)d downloaded, %(failed)d "
                                "failed"), failed, searched=result["searched"], locked=result["locked"],
                             downloaded=result["downloaded"], failed=failed)


# -- the page's bulk actions, in a thread ------------------------------------------------------------------
_bulk: dict[str, dict[str, Any]] = {}


def start_bulk(action: str, keys: list[str]) -> dict[str, Any]:
    """``find_best`` (search, and lock the best when it reaches the auto-lock score) or ``download`` (the locked
    ones) for the chosen media, in a thread; the run's record ``{"id", "action", "state", "total", "result"}``."""
    if action not in ("find_best", "download"):
        raise TrailerRefused(N_("Unknown action %(name)s."), name=action)
    wanted = set(keys)
    rows = [r for r in library(page_size=10**7)["items"] if r["key"] in wanted]
    run_id = uuid.uuid4().hex[:12]
    record = {"id": run_id, "action": action, "state": "running", "total": len(rows), "result": None}
    _bulk[run_id] = record
    app = current_app._get_current_object()

    def work() -> None:
        with app.app_context():
            try:
                result = process(rows, find=action == "find_best", download_locked=action == "download")
                record.update(state="done" if not result["failed"] else "partial", result=result)
            except Exception as exc:  # noqa: BLE001 - recorded on the run, never lost in a thread
                record.update(state="failed", result={"failed": [{"title": "", "reason": str(exc)}]})

    threading.Thread(target=work, daemon=True, name=f"trailers-{run_id}").start()
    return dict(record)


def bulk_status(run_id: str) -> dict[str, Any]:
    """A bulk run's record; :class:`TrailerRefused` 404 for an unknown id."""
    if run_id not in _bulk:
        raise TrailerRefused(N_("No run %(id)s."), 404, id=run_id)
    return dict(_bulk[run_id])


# -- a download started from the modal, in a thread, its progress read by the page -------------------------
_downloads: dict[str, dict[str, Any]] = {}


def start_download(key: str) -> dict[str, Any]:
    """Download the locked trailer of ``key`` in a thread; ``{"key", "state": "running", "done", "total"}``.
    :class:`TrailerRefused` when nothing is locked or a download of it is already running."""
    entry = manager().get_trailer_info(key)
    if not entry or not entry.get("locked"):
        raise TrailerRefused(N_("No trailer is locked for this media."), 409)
    if (_downloads.get(key) or {}).get("state") == "running":
        raise TrailerRefused(N_("This trailer is already being downloaded."), 409)
    progress: dict[str, Any] = {"key": key, "state": "running", "done": 0, "total": None, "error": None,
                                "entry": None}
    _downloads[key] = progress
    app = current_app._get_current_object()

    def on_progress(done: int, total: int | None) -> None:
        progress.update(done=done, total=total)

    def work() -> None:
        with app.app_context():
            try:
                progress.update(state="done", entry=download(key, on_progress=on_progress))
            except (UpstreamError, TrailerRefused, OSError) as exc:
                progress.update(state="failed", error=say(exc))
            except Exception as exc:  # noqa: BLE001 - recorded on the download, never lost in a thread
                progress.update(state="failed", error=f"{type(exc).__name__}: {exc}")

    threading.Thread(target=work, daemon=True, name=f"trailer-{key}").start()
    return dict(progress)


def download_progress(key: str) -> dict[str, Any]:
    """The progress of the last download started from the page for ``key`` (404 when none)."""
    if key not in _downloads:
        raise TrailerRefused(N_("No download of this trailer was started."), 404)
    return dict(_downloads[key])
