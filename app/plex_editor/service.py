"""The Plex editor's logic: browse a section per user, edit and lock fields, artwork, fix match, batches.

Routes and tests call these functions; Plex is reached only through :class:`PlexClient`. Rating keys come
from the browser (they identify the item in every call) but the Plex token and Plex's URLs never do: images
go through MMS's proxies (``/plex/image`` for the server's own, ``/img/remote`` for agents' CDNs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.extensions import managers
from app.i18n import gettext, language_name, upstream_message
from app.plex_editor import assets, move
from app.plex_editor.library import CACHE
from app.utils.clients.errors import UpstreamError, UpstreamNotFound
from app.utils.clients.plex import TAG_KINDS, TEXT_FIELDS, PlexClient
from app.utils.clients.radarr import RadarrClient
from app.utils.clients.sonarr import SonarrClient
from app.utils.clients.tmdb import TmdbClient
from app.utils.clients.tvdb import TvdbClient
from app.utils.images import ImageRefused, fetch_image, inspect_image
from app.utils.media.managed import arr_item
from app.utils.messages import N_, Refusal
from app.utils.paths import library_roots
from app.utils.text import fold

#: Section types the editor browses and edits; the others are listed read-only.
EDITABLE_TYPES = ("movie", "show")
#: Sort keys offered (index field -> default direction).
SORTS = {"title": "title_sort", "year": "year", "added": "added_at", "size": "size"}
#: Resolution filter values -> Plex ``videoResolution`` values.
RESOLUTIONS = {"4k": {"4k"}, "1080": {"1080"}, "720": {"720"}, "sd": {"sd", "480", "576"}}
#: Actions of a batch over selected items.
BULK_ACTIONS = ("add_label", "remove_label", "add_collection", "remove_collection", "lock", "unlock",
                "refresh", "analyze")


class EditorError(Refusal):
    """Bad input for the editor (unknown item or section, a field not editable): ``msgid`` + ``params``."""

    code = "editor_refused"


def client() -> PlexClient:
    """A Plex client for the current settings; :class:`EditorError` when Plex is not configured."""
    settings = managers().settings.load()
    if not settings.plex_url or not settings.plex_token:
        raise EditorError(N_("Plex is not configured: fill in its address and token on the Configuration page."),
                          status=409)
    return PlexClient.from_settings(settings)


# -- sections and users -----------------------------------------------------------------------------------
def sections_and_users() -> dict[str, Any]:
    """``{"configured": bool, "sections": [{"key", "title", "type", "editable"}], "users": [{"id", "name"}]}``:
    the tabs and the user filter (the server's accounts, the owner first); not configured is not an error here
    (the page says so)."""
    settings = managers().settings.load()
    if not settings.plex_url or not settings.plex_token:
        return {"configured": False, "sections": [], "users": []}
    plex = client()
    sections = [{"key": s.key, "title": s.title, "type": s.type, "editable": s.type in EDITABLE_TYPES}
                for s in CACHE.section_list(plex, fresh=True)]
    users = [{"id": a.id, "name": a.name or f"#{a.id}"} for a in sorted(plex.accounts(), key=lambda a: a.id)
             if a.id > 0]
    return {"configured": True, "sections": sections, "users": users}


def _section(plex: PlexClient, section_key: int, fresh: bool = False) -> Any:
    found = next((s for s in CACHE.section_list(plex, fresh) if s.key == section_key), None)
    if found is None and not fresh:
        return _section(plex, section_key, fresh=True)
    if found is None:
        raise EditorError(N_("No Plex section %(key)s."), status=404, key=section_key)
    if found.type not in EDITABLE_TYPES:
        raise EditorError(N_("The section %(title)s cannot be browsed here (only movies and shows)."),
                          title=found.title)
    return found


# -- browsing ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BrowseQuery:
    """What the browser asks for: ``section`` key; ``user`` account id (``None``: no watched state);
    ``watched`` all/watched/unwatched/in_progress; ``added_after``/``added_before`` dates; ``resolution``
    (:data:`RESOLUTIONS`); ``audio`` fr/no_fr; ``missing`` (files Sonarr/Radarr do not have); ``text``;
    ``sort`` (:data:`SORTS`), ``order`` asc/desc; ``page`` from 1, ``page_size`` items; ``fresh`` reads the
    section from Plex again."""

    section: int
    user: int | None = None
    watched: str = "all"
    added_after: date | None = None
    added_before: date | None = None
    resolution: str | None = None
    audio: str | None = None
    missing: bool = False
    text: str = ""
    sort: str = "title"
    order: str = "asc"
    page: int = 1
    page_size: int = 60
    fresh: bool = False


def _watch_state(item: dict[str, Any], plays: Any, is_owner: bool) -> str:
    if item["type"] == "show":
        seen = len(plays.episodes_by_show.get(item["rating_key"], ())) if plays else 0
        total = item.get("leaf_count") or 0
        if plays is None and is_owner:
            seen = item.get("viewed_leaf_count") or 0
        return "watched" if total and seen >= total else "in_progress" if seen else "unwatched"
    if plays is not None and item["rating_key"] in plays.keys:
        return "watched"
    if is_owner and item.get("view_offset"):
        return "in_progress"
    return "unwatched"


def _epoch(day: date, end: bool = False) -> int:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    return int(moment) + (86400 if end else 0)


def browse(query: BrowseQuery, image_url: Callable[[str], str]) -> dict[str, Any]:
    """One page of a section as the filters ask: ``{"items": [...], "total", "page", "page_size",
    "section": {...}, "missing_checked": bool, "errors": [...]}``. Each item: ``rating_key``, ``title``,
    ``year``, ``resolution``, ``french`` (a French audio stream), ``size`` (bytes), ``added_at`` (ISO),
    ``watch`` (watched/unwatched/in_progress for the chosen user, ``None`` without one), ``image`` (an MMS URL
    made by ``image_url`` from the Plex image path), ``guids``. Raises :class:`EditorError` for an unknown
    section, the client's ``UpstreamError`` when Plex does not answer."""
    plex = client()
    section = _section(plex, query.section, query.fresh)
    index = CACHE.section(plex, section.key, section.type, fresh=query.fresh)
    plays = CACHE.plays(plex, query.user) if query.user is not None else None
    is_owner = query.user == 1
    errors: list[str] = []
    items = index.items
    needle = fold(query.text.strip()) if query.text.strip() else ""
    wanted_resolutions = RESOLUTIONS.get(query.resolution or "")
    after = _epoch(query.added_after) if query.added_after else None
    before = _epoch(query.added_before, end=True) if query.added_before else None
    owned = _arr_files(section.type, errors) if query.missing else None

    chosen = []
    for item in items:
        if needle and needle not in item["folded"]:
            continue
        if after is not None and item["added_at"] < after:
            continue
        if before is not None and item["added_at"] >= before:
            continue
        if wanted_resolutions is not None and (item.get("resolution") or "").lower() not in wanted_resolutions:
            continue
        if (query.audio == "fr" and not item["french"]) or (query.audio == "no_fr" and item["french"]):
            continue
        if owned is not None and _has_files(item, section.type, owned):
            continue
        chosen.append(item)
    if query.user is not None and query.watched != "all":
        chosen = [i for i in chosen if _watch_state(i, plays, is_owner) == query.watched]

    key = SORTS.get(query.sort, "title_sort")
    if key == "title_sort":
        chosen.sort(key=lambda i: i["sort_key"], reverse=query.order == "desc")
    else:
        chosen.sort(key=lambda i: (i.get(key) is None, i.get(key) or 0), reverse=query.order == "desc")
    start = (query.page - 1) * query.page_size
    page = chosen[start:start + query.page_size]
    return {
        "section": {"key": section.key, "title": section.title, "type": section.type},
        "total": len(chosen), "page": query.page, "page_size": query.page_size, "errors": errors,
        "missing_checked": owned is not None,
        "items": [{
            "rating_key": i["rating_key"], "title": i["title"], "year": i["year"], "type": i["type"],
            "resolution": i.get("resolution"), "french": i["french"], "size": i["size"] or None,
            "added_at": datetime.fromtimestamp(i["added_at"], UTC).isoformat() if i["added_at"] else None,
            "watch": _watch_state(i, plays, is_owner) if query.user is not None else None,
            "image": image_url(i["thumb"]) if i.get("thumb") else None, "guids": i["guids"],
            "leaf_count": i.get("leaf_count"),
        } for i in page],
    }


def _arr_files(section_type: str, errors: list[str]) -> dict[str, set[str]] | None:
    """Ids whose files Sonarr/Radarr have: ``{"tmdb": {...}}`` (Radarr movies with a file) or ``{"tvdb":
    {...}}`` (Sonarr series with all their monitored episodes' files); ``None`` (and the reason in ``errors``)
    when the service is not configured or does not answer."""
    settings = managers().settings.load()
    try:
        if section_type == "movie":
            if not settings.radarr_url or not settings.radarr_api_key:
                errors.append(N_("Radarr is not configured: the missing-files filter needs it."))
                return None
            return {"tmdb": {str(m.tmdb_id) for m in RadarrClient.from_settings(settings).movies() if m.has_file}}
        if not settings.sonarr_url or not settings.sonarr_api_key:
            errors.append(N_("Sonarr is not configured: the missing-files filter needs it."))
            return None
        complete = set()
        for series in SonarrClient.from_settings(settings).series_list():
            stats = series.statistics or {
                "episodeCount": sum(s.statistics.get("episodeCount", 0) for s in series.seasons),
                "episodeFileCount": sum(s.statistics.get("episodeFileCount", 0) for s in series.seasons)}
            if stats.get("episodeCount", 0) and stats.get("episodeFileCount", 0) >= stats.get("episodeCount", 0):
                complete.add(str(series.tvdb_id))
        return {"tvdb": complete}
    except UpstreamError as exc:
        errors.append(str(exc))
        return None


def _has_files(item: dict[str, Any], section_type: str, owned: dict[str, set[str]]) -> bool:
    scheme = "tmdb" if section_type == "movie" else "tvdb"
    return item["guids"].get(scheme) in owned[scheme]


# -- details and edits ------------------------------------------------------------------------------------
def details(rating_key: int, image_url: Callable[[str], str]) -> dict[str, Any]:
    """The details dialog's data (see :meth:`PlexClient.details`) with ``image``/``background`` as MMS URLs.
    Raises :class:`EditorError` 404 for an unknown rating key."""
    plex = client()
    found = _details(plex, rating_key)
    found["media"]["audio_names"] = [language_name(c) for c in found["media"]["audio_languages"]]
    found["image"] = image_url(found["thumb"]) if found.get("thumb") else None
    found["background"] = image_url(found["art"]) if found.get("art") else None
    found.pop("thumb", None)
    found.pop("art", None)
    return found


def _details(plex: PlexClient, rating_key: int) -> dict[str, Any]:
    try:
        found = plex.details(rating_key)
    except UpstreamNotFound:
        raise EditorError(N_("No Plex item %(key)s."), status=404, key=rating_key) from None
    if found["type"] not in EDITABLE_TYPES:
        raise EditorError(N_("Only movies and shows are edited here."))
    return found


def _check_values(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in TEXT_FIELDS:
            raise EditorError(N_("The field %(name)s cannot be edited."), name=name)
        text = "" if value is None else str(value).strip()
        if name == "title" and not text:
            raise EditorError(N_("The title cannot be empty."))
        if name == "year" and text and not (text.isdigit() and 1870 <= int(text) <= 2100):
            raise EditorError(N_("The year must be a number between 1870 and 2100."))
        if name == "originallyAvailableAt" and text:
            try:
                date.fromisoformat(text)
            except ValueError:
                raise EditorError(N_("The release date must be a date (YYYY-MM-DD).")) from None
        if len(text) > 10_000:
            raise EditorError(N_("The field %(name)s is too long."), name=name)
        out[name] = text
    return out


def save(rating_key: int, values: dict[str, Any], locks: dict[str, bool],
         tags: dict[str, list[str]]) -> dict[str, Any]:
    """Save the General tab in one batched edit (a field set is locked unless ``locks`` says otherwise) and
    return the item as read back. Raises :class:`EditorError` for an unknown item or field; nothing is
    sent then."""
    plex = client()
    current = _details(plex, rating_key)
    values = _check_values(values)
    unknown = (set(locks) - set(TEXT_FIELDS) - set(TAG_KINDS)) | (set(tags) - set(TAG_KINDS))
    if unknown:
        raise EditorError(N_("The field %(name)s cannot be edited."), name=", ".join(sorted(unknown)))
    clean_tags = {kind: list(dict.fromkeys(t.strip() for t in names if t and t.strip()))
                  for kind, names in tags.items()}
    changed = {k: v for k, v in values.items() if str(current.get(k) or "") != v}
    plex.save_edits(rating_key, changed, locks, clean_tags)
    after = plex.details(rating_key)
    if after.get("section_key"):
        CACHE.update_item(plex, after["section_key"], rating_key, title=after["title"],
                          title_sort=after.get("titleSort") or after["title"],
                          year=int(after["year"]) if str(after.get("year") or "").isdigit() else None)
    return after


def reset_field(rating_key: int, name: str) -> dict[str, Any]:
    """Unlock one field and refresh the item so the agent sets it again; the item as read back."""
    if name not in TEXT_FIELDS and name not in TAG_KINDS:
        raise EditorError(N_("The field %(name)s cannot be edited."), name=name)
    plex = client()
    _details(plex, rating_key)
    plex.reset_field(rating_key, name)
    return plex.details(rating_key)


def bulk(rating_keys: list[int], action: str, value: str = "", fields: list[str] | None = None) -> dict[str, Any]:
    """One action over many items, each on its own: ``{"done": [keys], "failed": [{"rating_key", "error"}]}``.
    ``action`` in :data:`BULK_ACTIONS`; ``value`` the label/collection name; ``fields`` what to (un)lock."""
    if action not in BULK_ACTIONS:
        raise EditorError(N_("Unknown action %(name)s."), name=action)
    if action.endswith(("_label", "_collection")) and not value.strip():
        raise EditorError(N_("Give the name of the label or collection."))
    if action in ("lock", "unlock"):
        bad = set(fields or []) - set(TEXT_FIELDS) - set(TAG_KINDS)
        if not fields or bad:
            raise EditorError(N_("The field %(name)s cannot be edited."), name=", ".join(sorted(bad)) or "?")
    plex = client()
    done: list[int] = []
    failed: list[dict[str, Any]] = []
    for key in dict.fromkeys(rating_keys):
        try:
            _apply(plex, key, action, value.strip(), fields or [])
            done.append(key)
        except (UpstreamError, EditorError, ValueError) as exc:  # each item fails on its own
            failed.append({"rating_key": key, "error": str(exc)})
    return {"done": done, "failed": failed}


def _apply(plex: PlexClient, key: int, action: str, value: str, fields: list[str]) -> None:
    if action == "refresh":
        plex.refresh_item(key)
    elif action == "analyze":
        plex.analyze_item(key)
    elif action in ("lock", "unlock"):
        plex.save_edits(key, {}, {f: action == "lock" for f in fields}, {})
    else:
        verb, kind = action.split("_", 1)
        current = _details(plex, key)["tags"][kind]
        if verb == "add":
            wanted = current if value in current else [*current, value]
        else:
            wanted = [t for t in current if t != value]
        if wanted != current:
            plex.save_edits(key, {}, {}, {kind: wanted})


# -- seasons side by side ---------------------------------------------------------------------------------
def seasons(rating_key: int, user: int | None) -> dict[str, Any]:
    """A show's seasons and episodes, Plex next to Sonarr: ``{"title", "tvdb_id", "sonarr": {"configured",
    "series_id", "error"}, "seasons": [{"season", "episodes": [{"episode", "title", "in_plex", "watch",
    "sonarr": {"has_file", "monitored", "quality", "size", "air_date"} | None, "missing"}], "missing"}]}``.
    ``watch`` is the chosen user's state (``None`` without a user); ``missing``: monitored in Sonarr, aired,
    and no file. Sonarr's failure is reported in ``sonarr.error``, the Plex side still shown."""
    plex = client()
    show = _details(plex, rating_key)
    if show["type"] != "show":
        raise EditorError(N_("Only shows have seasons."))
    plays = CACHE.plays(plex, user) if user is not None else None
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for episode in plex.episodes(rating_key):
        rows[(episode.season, episode.index)] = {
            "episode": episode.index, "title": episode.title, "in_plex": True,
            "watch": None if plays is None else "watched" if episode.rating_key in plays.keys else "unwatched",
            "sonarr": None, "missing": False, "season": episode.season}
    tvdb_id = show["guids"].get("tvdb")
    info = _sonarr_side(tvdb_id, rows)
    grouped: dict[int, list[dict[str, Any]]] = {}
    for (season, _number), row in sorted(rows.items()):
        grouped.setdefault(season, []).append({k: v for k, v in row.items() if k != "season"})
    return {"title": show["title"], "tvdb_id": tvdb_id, "sonarr": info,
            "seasons": [{"season": n, "episodes": eps, "missing": sum(1 for e in eps if e["missing"])}
                        for n, eps in grouped.items()]}


def _sonarr_side(tvdb_id: str | None, rows: dict[tuple[int, int], dict[str, Any]]) -> dict[str, Any]:
    """Add Sonarr's state to the episode ``rows`` (by season and episode number, new rows for episodes Plex
    does not have); ``{"configured", "series_id", "error"}``."""
    info: dict[str, Any] = {"configured": False, "series_id": None, "error": None}
    settings = managers().settings.load()
    if not settings.sonarr_url or not settings.sonarr_api_key:
        return info
    info["configured"] = True
    try:
        found = arr_item(settings, "show", {"tvdb": tvdb_id} if tvdb_id else {})
        if found is None:
            info["error"] = gettext(N_("This show is not in Sonarr."))
            return info
        sonarr, series = SonarrClient.from_settings(settings), found[1]
        info["series_id"] = series.id
        files = {f.id: f for f in sonarr.episode_files(series.id)}
        today = date.today().isoformat()
        for episode in sonarr.episodes(series.id):
            file = files.get(episode.episode_file_id) if episode.has_file else None
            row = rows.setdefault((episode.season_number, episode.episode_number), {
                "episode": episode.episode_number, "title": episode.title, "in_plex": False, "watch": None,
                "season": episode.season_number})
            quality = ((file.quality or {}).get("quality") or {}).get("name") if file else None
            row["sonarr"] = {"has_file": episode.has_file, "monitored": episode.monitored, "quality": quality,
                             "size": file.size if file else None, "air_date": episode.air_date}
            row["missing"] = (episode.monitored and not episode.has_file and bool(episode.air_date)
                              and episode.air_date <= today)
    except UpstreamError as exc:
        info["error"] = upstream_message(exc)
    return info


# -- move to another root folder ---------------------------------------------------------------------------
def move_targets(rating_key: int) -> dict[str, Any]:
    """``{"roots": [paths], "current": the item's root or None}``: where the item may be moved."""
    plex = client()
    found = _details(plex, rating_key)
    settings = managers().settings.load()
    roots = [str(r) for r in library_roots(settings)]
    if found["type"] == "movie" and found["media"]["files"]:
        folder = os.path.dirname(found["media"]["files"][0])
    else:
        folder = (found.get("locations") or [""])[0]
    current = next((r for r in roots if folder.startswith(r.rstrip("/") + "/")), None)
    return {"roots": roots, "current": current}


def start_move(rating_key: int, root: str) -> dict[str, Any]:
    """Plan and start a move (see :mod:`app.plex_editor.move`); the move's record. Raises
    :class:`move.MoveRefused` with the reason (nothing changed)."""
    plex = client()
    found = _details(plex, rating_key)
    plan = move.plan_move(plex, found, root, managers().settings.load())
    return move.start_move(plan)


def move_status(move_id: str) -> dict[str, Any]:
    """A move's record; :class:`EditorError` 404 for an unknown id."""
    found = move.move(move_id)
    if found is None:
        raise EditorError(N_("No move %(id)s."), status=404, id=move_id)
    return found


# -- Kometa-style asset folders ------------------------------------------------------------------------------
def item_assets(rating_key: int, action: str) -> dict[str, Any]:
    """Export the item's images to its asset folder, or import them from it (see :mod:`assets`)."""
    if action not in ("export", "import"):
        raise EditorError(N_("Unknown action %(name)s."), name=action)
    plex = client()
    found = _details(plex, rating_key)
    root = assets.assets_root()
    return (assets.export_item if action == "export" else assets.import_item)(plex, found, root)


def section_assets(section_key: int, action: str) -> dict[str, Any]:
    """Start exporting or importing the asset folders of a whole section; the run's record."""
    if action not in ("export", "import"):
        raise EditorError(N_("Unknown action %(name)s."), name=action)
    plex = client()
    section = _section(plex, section_key)
    keys = [i["rating_key"] for i in CACHE.section(plex, section.key, section.type).items]
    return assets.start_section_run(action, section.key, section.title, keys)


def asset_run(run_id: str) -> dict[str, Any]:
    """A section run's record; :class:`EditorError` 404 for an unknown id."""
    found = next((r for r in assets.runs() if r["id"] == run_id), None)
    if found is None:
        raise EditorError(N_("No run %(id)s."), status=404, id=run_id)
    return found


# -- artwork ----------------------------------------------------------------------------------------------
def artwork(rating_key: int, kind: str, local_url: Callable[[str], str],
            remote_url: Callable[[str], str | None]) -> dict[str, Any]:
    """``{"items": [{"id", "provider", "selected", "image"}]}``: every poster (``kind`` posters) or
    background (arts) Plex offers; ``id`` is what :func:`select_artwork` takes; images as MMS URLs (the
    server's through ``local_url``, agents' CDNs through ``remote_url``, ``None`` when not proxied)."""
    plex = client()
    _details(plex, rating_key)
    found = plex.artwork(rating_key, _kind(kind))
    return {"items": [{"id": a.rating_key, "provider": a.provider or "local", "selected": a.selected,
                       "image": (local_url(a.thumb) if a.thumb.startswith("/") else remote_url(a.thumb))
                       if a.thumb else None} for a in found]}


def _kind(kind: str) -> str:
    if kind not in ("posters", "arts"):
        raise EditorError(N_("Unknown artwork kind %(name)s."), name=kind)
    return kind


def select_artwork(rating_key: int, kind: str, artwork_id: str) -> None:
    """Make one offered image the item's poster/background (``PUT …/poster?url=``)."""
    plex = client()
    _details(plex, rating_key)
    try:
        plex.select_artwork(rating_key, artwork_id, _kind(kind))
    except UpstreamNotFound:
        raise EditorError(N_("This image is not offered for this item."), status=404) from None


def upload_artwork(rating_key: int, kind: str, *, data: bytes | None = None, url: str | None = None) -> dict[str, Any]:
    """Upload an image (file bytes, or an ``http(s)`` URL fetched here first) as the poster/background; it is
    checked before it reaches Plex (:func:`app.utils.images.inspect_image`: JPEG/PNG/WebP, ≤ 10 MB).
    Returns ``{"format", "width", "height", "size"}``. Raises :class:`ImageRefused` with the reason."""
    plex = client()
    _details(plex, rating_key)
    kind = _kind(kind)
    if url:
        data, info = fetch_image(url.strip())
    elif data is not None:
        info = inspect_image(data)
    else:
        raise ImageRefused(N_("Choose an image file or give its address."))
    plex.upload_artwork(rating_key, data=data, kind=kind)
    return {"format": info.format, "width": info.width, "height": info.height, "size": info.size}


# -- identify / fix match ---------------------------------------------------------------------------------
#: Where candidates come from: the section's Plex agent, or TMDB / TheTVDB searched by MMS.
PROVIDERS = ("plex", "tmdb", "tvdb")
#: Ids typed or picked that the Plex agent resolves itself (``tmdb-603``, ``tvdb-81189``, ``imdb-tt0133093``).
DIRECT_ID = re.compile(r"^(tmdb|tvdb)-\d+$|^imdb-tt\d+$")


def search_matches(rating_key: int, title: str, year: int | None, provider: str = "plex") -> dict[str, Any]:
    """Candidates for an item: ``{"matches": [{"guid", "name", "year", "score", "source"}]}``. ``plex``: the
    section's agent (``title`` may be ``tmdb-<id>``/``tvdb-<id>``/``imdb-tt…``); ``tmdb``/``tvdb``: a search
    of that service, each result's ``guid`` being ``tmdb-<id>``/``tvdb-<id>`` (:func:`fix_match` has the agent
    resolve it)."""
    if provider not in PROVIDERS:
        raise EditorError(N_("Unknown provider %(name)s."), name=provider)
    plex = client()
    found = _details(plex, rating_key)
    if provider == "plex":
        return {"matches": [{**m, "source": "plex"} for m in plex.matches(rating_key, title.strip() or None, year)]}
    settings = managers().settings.load()
    query = title.strip() or found["title"]
    if provider == "tmdb":
        if not settings.tmdb_api_key:
            raise EditorError(N_("TMDB is not configured."), status=409)
        tmdb = TmdbClient.from_settings(settings)
        items = tmdb.search_movies(query, year) if found["type"] == "movie" else tmdb.search_tv(query, year)
        return {"matches": [{"guid": f"tmdb-{i.id}", "name": i.title, "year": i.year, "score": None,
                             "source": "tmdb"} for i in items[:20]]}
    if not settings.tvdb_api_key:
        raise EditorError(N_("TheTVDB is not configured."), status=409)
    results = TvdbClient.from_settings(settings).search(query, "movie" if found["type"] == "movie" else "series",
                                                        year)
    return {"matches": [{"guid": f"tvdb-{r.tvdb_id}", "name": r.name, "year": r.year, "score": None,
                         "source": "tvdb"} for r in results[:20]]}


def fix_match(rating_key: int, guid: str, name: str) -> dict[str, Any]:
    """Match the item to a candidate and read its GUIDs back: ``{"guids": {scheme: id}, "title"}``."""
    plex = client()
    _details(plex, rating_key)
    if DIRECT_ID.match(guid):  # an id from TMDB/TheTVDB: the agent turns it into its own match
        resolved = plex.matches(rating_key, guid, None)
        if not resolved:
            raise EditorError(N_("Plex's agent found nothing for %(id)s."), status=404, id=guid)
        guid, name = resolved[0]["guid"], resolved[0]["name"]
    guids = plex.fix_match(rating_key, guid, name)
    after = plex.details(rating_key)
    if after.get("section_key"):
        CACHE.update_item(plex, after["section_key"], rating_key, guids=guids, title=after["title"])
    return {"guids": guids, "title": after["title"], "guid": after["guid"]}


def unmatch(rating_key: int) -> dict[str, Any]:
    """Unmatch the item; its GUIDs as read back (empty when Plex dropped them)."""
    plex = client()
    _details(plex, rating_key)
    plex.unmatch(rating_key)
    after = plex.details(rating_key)
    if after.get("section_key"):
        CACHE.update_item(plex, after["section_key"], rating_key, guids=after["guids"])
    return {"guids": after["guids"], "guid": after["guid"]}
