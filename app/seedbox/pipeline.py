"""The main job's second half: finished torrent -> staging (``sftp_scanner``) -> library (``staging_processor``).

Every step records why it failed in the entry's history and leaves a state a
retry starts from; a restart resumes from the pending map (``transferring``
entries are picked up again and their ``.part`` files continued). One failing
entry never stops the others.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.extensions import managers
from app.jobs import JobResult
from app.seedbox import upgrade_import
from app.seedbox.service import next_try_at, torrent_client
from app.utils.clients.errors import UpstreamError, UpstreamNotFound
from app.utils.clients.plex import PlexClient
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.tvdb import TvdbClient
from app.utils.media import naming
from app.utils.media.releases import parse_release, score_release
from app.utils.paths import UnsafePathError, resolve_inside
from app.utils.settings_schema import N_, Settings
from app.utils.stores.mapping_manager import TRANSITIONS, detail_message
from app.utils.transfer import SftpPuller, SftpTarget, TransferError, copy_local, progress_dict

log = logging.getLogger(__name__)


class ImportFailure(Exception):
    """An import that cannot happen (the reason is shown and kept in the history)."""


def staging_folder(settings: Settings, info_hash: str) -> Path:
    """Where a torrent's files land: ``staging_path/<info hash>/``."""
    return Path(settings.staging_path) / info_hash


# -- transfer ------------------------------------------------------------------------------------
def _retry_due(entry: dict[str, Any], settings: Settings) -> bool:
    due = next_try_at(entry, settings)
    return due is not None and datetime.now(UTC) >= datetime.fromisoformat(due)


def scan_once(now_only: list[str] | None = None) -> JobResult:
    """Body of the ``sftp_scanner`` job: mark finished torrents completed, pull completed ones to staging.

    ``now_only`` limits the run to these info hashes and ignores retry back-off (the retry button).
    """
    settings = managers().settings.load()
    mapping = managers().mapping
    entries = [e for e in mapping.all().values() if now_only is None or e["info_hash"] in now_only]
    checked = completed = pulled = failed = 0
    client = torrent_client(settings)
    for entry in [e for e in entries if e["state"] == "downloading"]:
        checked += 1
        try:
            completed += _check_download(client, entry)
        except Exception as exc:  # noqa: BLE001 - each entry fails on its own, recorded, the run goes on
            failed += 1
            _record_failure(entry["info_hash"], "transfer_failed", exc)
    for entry in mapping.all().values():
        if now_only is not None and entry["info_hash"] not in now_only:
            continue
        ready = entry["state"] in ("completed", "transferring") or (
            entry["state"] == "transfer_failed" and entry.get("seedbox_path")
            and (now_only is not None or _retry_due(entry, settings)))
        if not ready:
            continue
        if _isolated(entry["info_hash"], "transfer_failed", lambda e=entry: transfer_entry(e["info_hash"], settings)):
            pulled += 1
        else:
            failed += 1
    return JobResult.message(N_("%(checked)d checked, %(completed)d completed, %(transferred)d transferred, "
                                "%(failed)d failed"), failed, checked=checked, completed=completed,
                             transferred=pulled, failed=failed)


def _check_download(client: Any, entry: dict[str, Any]) -> int:
    """Ask the client about one downloading entry; 1 when it just completed."""
    mapping = managers().mapping
    try:
        info = client.torrent(entry["info_hash"], with_files=False)
    except UpstreamNotFound:
        mapping.transition(entry["info_hash"], "transfer_failed", N_("the torrent is no longer in the client"))
        raise _Recorded() from None
    except UpstreamError as exc:
        _progress_error(entry["info_hash"], N_("torrent client unreachable: %(reason)s"), reason=exc)
        return 0
    if info.complete:
        mapping.transition(entry["info_hash"], "completed", N_("finished on the seedbox (%(size)s)"),
                           detail_params={"size": info.size}, seedbox_path=info.content_path, bytes_total=info.size)
        return 1
    mapping.update_progress(entry["info_hash"], progress={"seedbox": round(info.progress, 4)}, error=None,
                            error_message=None)
    return 0


def _isolated(info_hash: str, failed_state: str, step: Callable[[], bool]) -> bool:
    """Run one entry's ``step``; anything it raises is recorded on that entry as ``failed_state`` (with
    the reason) and the run goes on. Returns whether the step succeeded."""
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - each entry fails on its own, recorded, the run goes on
        _record_failure(info_hash, failed_state, exc)
        return False


def _progress_error(info_hash: str, msgid: str, **params: Any) -> None:
    """Show a passing problem on an entry (no transition): the English text and its message id + params."""
    text, message = detail_message(msgid, params)
    managers().mapping.update_progress(info_hash, error=text, error_message=message)


class _Recorded(Exception):
    """A failure already recorded on its entry (only counted by the caller)."""


def _record_failure(info_hash: str, state: str, exc: Exception) -> None:
    """Record an entry's unexpected failure as ``state`` with its reason, whatever state it is in; a failure
    to record it is logged (the run goes on)."""
    if isinstance(exc, _Recorded):
        return
    params = {"kind": type(exc).__name__, "reason": exc}
    msgid = N_("unexpected error: %(kind)s: %(reason)s")
    log.exception("entry %s failed", info_hash)
    try:
        current = managers().mapping.get(info_hash)["state"]
        if state in TRANSITIONS.get(current, ()):
            managers().mapping.transition(info_hash, state, msgid, detail_params=params)
        else:
            _progress_error(info_hash, msgid, **params)
    except Exception:
        log.exception("could not record the failure of %s", info_hash)


def transfer_entry(info_hash: str, settings: Settings | None = None) -> bool:
    """Pull one entry to staging; ``True`` when it ends ``transferred``."""
    settings = settings or managers().settings.load()
    mapping = managers().mapping
    entry = mapping.get(info_hash)
    if entry["state"] != "transferring":
        mapping.transition(info_hash, "transferring", N_("pulling from the seedbox (%(backend)s)"),
                           detail_params={"backend": settings.transfer_backend})
    target_dir = staging_folder(settings, info_hash)
    target_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    def on_progress(progress: Any) -> None:
        mapping.update_progress(info_hash, bytes_done=progress.done, progress=progress_dict(progress))

    try:
        source = entry["seedbox_path"]
        if settings.transfer_backend == "local":
            files = copy_local(Path(source), target_dir, on_progress)
        else:
            target = SftpTarget(settings.sftp_host, settings.sftp_port, settings.sftp_username,
                                settings.sftp_password, settings.sftp_key_path, managers().host_keys.path)
            puller = SftpPuller(target, connections=settings.transfer_connections,
                                rate_limit=settings.transfer_rate_limit_kib * 1024, on_progress=on_progress)
            files = puller.pull(source, target_dir)
    except TransferError as exc:
        fields = {} if exc.retryable else {"attempts": settings.transfer_max_attempts}
        mapping.transition(info_hash, "transfer_failed", N_("transfer failed: %(reason)s"),
                           detail_params={"reason": exc}, **fields)
        return False
    except (OSError, EOFError) as exc:  # a remote file that shrank mid-pull, a full staging disk...
        mapping.transition(info_hash, "transfer_failed", N_("transfer stopped: %(kind)s: %(reason)s"),
                           detail_params={"kind": type(exc).__name__, "reason": exc})
        return False
    size = sum(f.stat().st_size for f in files)
    mapping.transition(info_hash, "transferred", N_("%(count)s file(s), %(size)s in %(seconds)s s"),
                       detail_params={"count": len(files), "size": size,
                                      "seconds": round(time.monotonic() - started, 1)},
                       staging_path=str(target_dir), bytes_done=size)
    return True


# -- import --------------------------------------------------------------------------------------
def process_once(now_only: list[str] | None = None) -> JobResult:
    """Body of the ``staging_processor`` job: import every ``transferred`` entry."""
    settings = managers().settings.load()
    recovered = recover_interrupted_imports()
    done = failed = 0
    for entry in list(managers().mapping.all().values()):
        if entry["state"] != "transferred" or (now_only is not None and entry["info_hash"] not in now_only):
            continue
        if _isolated(entry["info_hash"], "import_failed", lambda e=entry: import_entry(e["info_hash"], settings)):
            done += 1
        else:
            failed += 1
    cleaned, cleanup_failed = cleanup_once(settings)
    counts = {"imported": done, "failed": failed, "removed": cleaned}
    if cleanup_failed or recovered:
        return JobResult.message(N_("%(imported)d imported, %(failed)d failed, %(removed)d removed from the seedbox, "
                                    "%(cleanup_failed)d removal(s) failed, %(recovered)d interrupted import(s) "
                                    "made retryable"), failed + cleanup_failed + recovered, **counts,
                                 cleanup_failed=cleanup_failed, recovered=recovered)
    return JobResult.message(N_("%(imported)d imported, %(failed)d failed, %(removed)d removed from the seedbox"),
                             failed, **counts)


def recover_interrupted_imports() -> int:
    """Entries left ``importing`` by a crash (the staging processor never runs twice at once, so none is
    being imported now) become ``import_failed``, retryable, with the reason. Returns how many."""
    mapping = managers().mapping
    count = 0
    for entry in mapping.all().values():
        if entry["state"] == "importing":
            mapping.transition(entry["info_hash"], "import_failed",
                               N_("the import was interrupted (MMS stopped during it); retry it"))
            count += 1
    return count


def import_entry(info_hash: str, settings: Settings | None = None) -> bool:
    """Import one entry (built-in renamer or Sonarr/Radarr); ``True`` when it ends ``imported``."""
    settings = settings or managers().settings.load()
    mapping = managers().mapping
    mapping.transition(info_hash, "importing", N_("import (%(mode)s)"), detail_params={"mode": settings.import_mode})
    entry = mapping.get(info_hash)
    try:
        if settings.import_mode == "arr":
            detail, fields = _arr_import(entry, settings), {}
        else:
            detail, fields = _builtin_import(entry, settings)
    except ImportFailure as exc:
        mapping.transition(info_hash, "import_failed", N_("%(detail)s"), detail_params={"detail": exc})
        return False
    except UpstreamError as exc:
        mapping.transition(info_hash, "import_failed", N_("%(service)s refused or failed: %(reason)s"),
                           detail_params={"service": exc.service, "reason": exc.message})
        return False
    except OSError as exc:
        if exc.errno == 28:
            mapping.transition(info_hash, "import_failed", N_("disk full in the library"))
        else:
            mapping.transition(info_hash, "import_failed", N_("file error: %(reason)s"), detail_params={"reason": exc})
        return False
    cleaned = clean_staging(entry, settings)
    if cleaned:
        mapping.transition(info_hash, "imported", N_("%(detail)s; staging: %(cleaned)s"),
                           detail_params={"detail": detail, "cleaned": cleaned}, **fields)
    else:
        mapping.transition(info_hash, "imported", N_("%(detail)s"), detail_params={"detail": detail}, **fields)
    return True


def clean_staging(entry: dict[str, Any], settings: Settings) -> str:
    """After a successful import: remove what the entry brought that no library wants (``.nfo``, samples,
    junk: :attr:`naming.StagedFiles.skipped`) and then its empty folders, its own staging folder included.
    Only inside that folder (re-resolved inside ``staging_path``), each file checked again at that moment
    (a regular file or link, still inside); anything else stays. Returns a short report ("" when
    nothing was left); a failure is reported, never raised (the import itself succeeded)."""
    try:
        folder, staged = _staged_folder(entry, settings, need_videos=False)
    except ImportFailure:
        return ""
    removed, kept = 0, []
    for path in staged.skipped:
        try:
            resolved = path.parent.resolve() / path.name
            if folder not in resolved.parents:
                kept.append(path.name)
                continue
            info = os.lstat(resolved)
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                kept.append(path.name)
                continue
            os.unlink(resolved)
            removed += 1
        except OSError as exc:
            kept.append(f"{path.name} ({exc.strerror or exc})")
    folders = 0
    deepest_first = sorted((p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink()),
                           key=lambda p: len(p.parts), reverse=True)
    for sub in [*deepest_first, folder]:
        try:
            sub.rmdir()  # only an empty folder goes
            folders += 1
        except OSError:
            continue
    parts = [f"{removed} leftover file(s) removed"] if removed else []
    if folders:
        parts.append(f"{folders} empty folder(s) removed")
    if kept:
        parts.append(f"kept {', '.join(kept[:5])}")
    return ", ".join(parts)


def _staged(entry: dict[str, Any], settings: Settings) -> naming.StagedFiles:
    """The files of an entry's staging folder (see :func:`_staged_folder`), with at least one video."""
    return _staged_folder(entry, settings)[1]


def _staged_folder(entry: dict[str, Any], settings: Settings, need_videos: bool = True
                   ) -> tuple[Path, naming.StagedFiles]:
    """The entry's staging folder and its files; the folder must be inside ``staging_path``: an import
    never takes files from anywhere else (an entry without a staging folder once made ``Path("")``, the
    working directory, its source). Raises :class:`ImportFailure`."""
    recorded = entry.get("staging_path")
    if not recorded:
        raise ImportFailure("no staging folder is recorded for this entry: transfer it again")
    try:
        folder = resolve_inside(settings.staging_path, recorded, follow_last=True)
    except UnsafePathError as exc:
        raise ImportFailure(f"the staging folder is not inside {settings.staging_path}: {exc}") from None
    if folder == Path(settings.staging_path).resolve():
        raise ImportFailure("the staging folder recorded is the whole staging area, not the entry's own folder")
    if not folder.is_dir():
        raise ImportFailure(f"staging folder {folder} is missing")
    files = [p for p in folder.rglob("*") if p.is_file()]
    staged = naming.classify(files)
    if need_videos and not staged.videos:
        extra = f" ({len(staged.archives)} archive(s) not extracted)" if staged.archives else ""
        raise ImportFailure(f"no video file in staging{extra}")
    return folder, staged


def _episode_titles(entry: dict[str, Any], settings: Settings, season: int) -> dict[int, str] | None:
    """Episode number -> title for one season, from Sonarr, TheTVDB or TMDB (``None`` if none answers)."""
    try:
        if entry.get("sonarr_series_id") and settings.sonarr_api_key:
            episodes = SonarrClient.from_settings(settings).episodes(entry["sonarr_series_id"], season)
            return {e.episode_number: e.title or "" for e in episodes}
        if entry.get("tvdb_id") and settings.tvdb_api_key:
            episodes = TvdbClient.from_settings(settings).episodes(entry["tvdb_id"], season)
            return {e.number: e.name for e in episodes}
        if entry.get("tmdb_id") and settings.tmdb_api_key:
            return {e.episode_number: e.name for e in
                    TmdbClient.from_settings(settings).season(entry["tmdb_id"], season).episodes}
    except UpstreamNotFound:
        return {}
    return None


def _place(source: Path, target: Path, release_name: str, weights: dict[str, Any]) -> tuple[Path, str]:
    """Move ``source`` to ``target``; on a collision, replace only a lower-scored file, else keep both."""
    target.parent.mkdir(parents=True, exist_ok=True)
    note = ""
    if target.exists():
        new = score_release(parse_release(release_name), None, weights).total
        old = score_release(parse_release(target.name), None, weights).total
        if new > old:
            note = f"replaced {target.name} (score {old} < {new})"
        else:
            stem, n = target.stem, 2
            while target.exists():
                target = target.with_name(f"{stem} ({n}){target.suffix}")
                n += 1
            note = f"kept both: existing file scores {old} >= {new}"
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != 18:  # EXDEV: another filesystem
            raise
        part = target.with_name(target.name + ".part")
        shutil.copyfile(source, part)
        os.replace(part, target)
        source.unlink()
    return target, note


def _builtin_import(entry: dict[str, Any], settings: Settings) -> tuple[str, dict[str, Any]]:
    staged = _staged(entry, settings)
    weights = settings.score_weights
    placed: list[Path] = []
    notes: list[str] = []
    if entry["media_type"] == "movie":
        video = max(staged.videos, key=lambda p: p.stat().st_size)
        parsed = parse_release(entry["release_name"])
        resolution = parsed.resolution or parse_release(video.name).resolution
        folder = Path(settings.movies_path) / naming.movie_folder(entry["title"], entry.get("year"),
                                                                  entry.get("tmdb_id"))
        target = folder / naming.movie_file(entry["title"], entry.get("year"), resolution, video.suffix)
        plan = [(video, target)]
        folders = {folder}
    else:
        plan, folders = _plan_episodes(entry, settings, staged)
    replaces = entry.get("replaces") or []
    moved: list[tuple[Path, Path]] = []
    for source, target in plan:
        final, note = _place(source, upgrade_import.target_for(target, replaces), entry["release_name"], weights)
        placed.append(final)
        moved.append((source, final))
        if note:
            notes.append(note)
        for subtitle in staged.subtitles:
            if subtitle.stem.startswith(source.stem) or len(plan) == 1:
                suffix = naming.subtitle_suffix(subtitle)
                named = upgrade_import.final_name(final)
                _place(subtitle, named.with_name(f"{named.stem}{suffix}{subtitle.suffix.lower()}"),
                       entry["release_name"], weights)
    fields: dict[str, Any] = {}
    if replaces:
        try:
            fields["replaced"] = upgrade_import.finish(entry, moved, settings, naming.VIDEO_EXTENSIONS)
        except upgrade_import.UpgradeRefused as exc:
            raise ImportFailure(f"upgrade refused, the old files stay: {exc}") from None
        placed = [upgrade_import.final_name(p) for p in placed]
        kept = sum(o["outcome"] == "kept" for o in fields["replaced"])
        notes.append(f"upgrade: {len(fields['replaced']) - kept} old file(s) replaced"
                     + (f", {kept} kept (changed since)" if kept else ""))
    scanned = _scan_plex(settings, sorted(folders))
    told = _tell_arr(entry, settings)
    extra = f"; {len(staged.archives)} archive(s) not extracted" if staged.archives else ""
    extra += f"; {len(staged.skipped)} sample/junk file(s) skipped" if staged.skipped else ""
    return (f"{len(placed)} file(s) into {', '.join(str(f) for f in sorted(folders))}; {scanned}{told}"
            + (f"; {'; '.join(notes)}" if notes else "") + extra), fields


def _plan_episodes(entry: dict[str, Any], settings: Settings, staged: naming.StagedFiles
                   ) -> tuple[list[tuple[Path, Path]], set[Path]]:
    show = Path(settings.tv_path) / naming.show_folder(entry["title"], entry.get("year"), entry.get("tvdb_id"))
    plan: list[tuple[Path, Path]] = []
    folders: set[Path] = set()
    titles_by_season: dict[int, dict[int, str] | None] = {}
    for video in staged.videos:
        parsed = parse_release(video.name)
        season = parsed.season if parsed.season is not None else entry.get("season")
        episodes = list(parsed.episodes) or (list(entry.get("episodes") or []) if len(staged.videos) == 1 else [])
        if season is None or not episodes:
            raise ImportFailure(f"cannot tell the episode of {video.name}")
        if season not in titles_by_season:
            titles_by_season[season] = _episode_titles(entry, settings, season)
        known = titles_by_season[season]
        if known is not None:
            unknown = [e for e in episodes if e not in known]
            if unknown:
                raise ImportFailure(f"unknown episode S{season:02d}E{unknown[0]:02d} ({video.name})")
        titles = [known.get(e, "") for e in episodes] if known else []
        folder = show / naming.season_folder(season)
        folders.add(folder)
        plan.append((video, folder / naming.episode_file(entry["title"], entry.get("year"), season, episodes,
                                                         titles, video.suffix)))
    return plan, folders


def _scan_plex(settings: Settings, folders: list[Path]) -> str:
    if not settings.plex_url or not settings.plex_token:
        return "Plex not configured"
    plex = PlexClient.from_settings(settings)
    managers().plex_scan_asked()
    done = []
    for folder in folders:
        try:
            plex.scan_folder(str(folder))
            done.append(folder.name)
        except UpstreamError as exc:
            return f"Plex scan failed: {exc.message}"
    return f"Plex scanned {', '.join(done)}"


def _tell_arr(entry: dict[str, Any], settings: Settings) -> str:
    """After a built-in import, Sonarr/Radarr rescan the series/movie so they know the new file."""
    try:
        if entry.get("sonarr_series_id") and settings.sonarr_api_key:
            SonarrClient.from_settings(settings).rescan_series(entry["sonarr_series_id"])
            return "; Sonarr rescans the series"
        if entry.get("radarr_movie_id") and settings.radarr_api_key:
            RadarrClient.from_settings(settings).rescan_movie(entry["radarr_movie_id"])
            return "; Radarr rescans the movie"
    except UpstreamError as exc:
        return f"; {exc.service} not told: {exc.message}"
    return ""


def _arr_path(settings: Settings, local: str) -> str:
    """The staging path as Sonarr/Radarr see it (``arr_staging_path`` replaces ``staging_path``)."""
    if not settings.arr_staging_path:
        return local
    relative = os.path.relpath(local, settings.staging_path)
    return f"{settings.arr_staging_path.rstrip('/')}/{relative.replace(os.sep, '/')}"


def _arr_import(entry: dict[str, Any], settings: Settings) -> str:
    _staged(entry, settings)
    path = _arr_path(settings, entry["staging_path"])
    if entry["media_type"] == "tv":
        sonarr = SonarrClient.from_settings(settings)
        command = sonarr.downloaded_episodes_scan(path, download_client_id=entry["info_hash"])
        status = sonarr.command_status(command.id)
        if status.status != "completed":
            raise ImportFailure(f"Sonarr refused the import ({status.status}: {status.message or 'no message'})")
        if entry.get("sonarr_series_id") and entry.get("episodes"):
            missing = [e.episode_number for e in sonarr.episodes(entry["sonarr_series_id"], entry.get("season"))
                       if e.episode_number in entry["episodes"] and not e.has_file]
            if missing:
                raise ImportFailure(f"Sonarr did not import episode(s) {missing}")
        return f"Sonarr imported {path}"
    radarr = RadarrClient.from_settings(settings)
    command = radarr.downloaded_movies_scan(path, download_client_id=entry["info_hash"])
    status = radarr.command_status(command.id)
    if status.status != "completed":
        raise ImportFailure(f"Radarr refused the import ({status.status}: {status.message or 'no message'})")
    if entry.get("radarr_movie_id") and not radarr.movie(entry["radarr_movie_id"]).has_file:
        raise ImportFailure("Radarr did not import the movie")
    return f"Radarr imported {path}"


# -- cleanup -------------------------------------------------------------------------------------
def cleanup_once(settings: Settings) -> tuple[int, int]:
    """Remove imported torrents from the seedbox per ``seedbox_cleanup`` (data deleted too). Each entry
    fails on its own: the reason is kept on the entry (``error``) and counted. Returns (removed, failed)."""
    if settings.seedbox_cleanup == "keep":
        return 0, 0
    mapping = managers().mapping
    client = torrent_client(settings)
    removed = failed = 0
    for entry in mapping.all().values():
        if entry["state"] != "imported":
            continue
        try:
            removed += _cleanup_entry(client, entry, settings)
        except Exception as exc:  # noqa: BLE001 - each entry fails on its own, recorded, the run goes on
            failed += 1
            log.warning("cleanup of %s failed: %s", entry["info_hash"], exc)
            try:
                _progress_error(entry["info_hash"], N_("seedbox cleanup failed: %(reason)s"), reason=exc)
            except Exception:
                log.exception("could not record the cleanup failure of %s", entry["info_hash"])
    return removed, failed


def _cleanup_entry(client: Any, entry: dict[str, Any], settings: Settings) -> int:
    """Remove one imported torrent when it is due; 1 when removed. Raises on failure."""
    try:
        info = client.torrent(entry["info_hash"], with_files=False)
    except UpstreamNotFound:
        return 0
    age_days = (datetime.now(UTC) - datetime.fromisoformat(entry["updated_at"])).days
    due = {"after_import": True, "ratio": info.ratio >= settings.cleanup_ratio,
           "days": age_days >= settings.cleanup_days}[settings.seedbox_cleanup]
    if not due:
        return 0
    client.remove(entry["info_hash"], delete_data=True)
    managers().mapping.transition(entry["info_hash"], "removed", N_("removed from the seedbox (%(rule)s)"),
                                  detail_params={"rule": settings.seedbox_cleanup})
    return 1


def retry(info_hash: str) -> dict[str, Any]:
    """The retry button: a failed transfer or import starts again now."""
    mapping = managers().mapping
    entry = mapping.get(info_hash)
    if entry["state"] == "transfer_failed":
        mapping.transition(info_hash, "completed" if entry.get("seedbox_path") else "downloading", N_("retry asked"),
                           attempts=0)
    elif entry["state"] == "import_failed":
        mapping.transition(info_hash, "transferred", N_("retry asked"))
    else:
        raise ValueError(f"nothing to retry in state {entry['state']}")
    entry = mapping.get(info_hash)
    if managers().jobs is not None:
        managers().jobs.run_now("sftp_scanner" if entry["state"] in ("completed", "downloading")
                                else "staging_processor")
    return entry
