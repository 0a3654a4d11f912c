"""Seedbox page, the mapping modal's API, sending releases (one, a batch, an upload), the pending map."""

from __future__ import annotations

from typing import Literal

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from pydantic import BaseModel, Field, ValidationError

from app.api import ApiError, parse_body, parse_query, validation_fields
from app.extensions import managers
from app.i18n import say
from app.seedbox import bp, mapping, pipeline, service
from app.utils.clients.torrent import MAX_TORRENT_BYTES
from app.utils.stores.mapping_manager import (
    STATES,
    EntryNotFound,
    Mapping,
    MappingError,
    TransitionError,
    normalize_hash,
)

#: Releases accepted in one batch.
MAX_BATCH = 100


class MappingBody(BaseModel):
    """What the releases are for (see :class:`~app.utils.stores.mapping_manager.Mapping`)."""

    media_type: Literal["movie", "tv"]
    title: str = Field(min_length=1, max_length=300)
    year: int | None = Field(default=None, ge=1870, le=2100)
    tmdb_id: int | None = Field(default=None, ge=1)
    tvdb_id: int | None = Field(default=None, ge=1)
    imdb_id: str | None = Field(default=None, pattern=r"^tt\d+$")
    sonarr_series_id: int | None = Field(default=None, ge=1)
    radarr_movie_id: int | None = Field(default=None, ge=1)
    season: int | None = Field(default=None, ge=0, le=999)
    episodes: list[int] = Field(default_factory=list, max_length=500)

    def to_mapping(self) -> Mapping:
        try:
            return Mapping(**{**self.model_dump(), "episodes": tuple(self.episodes)})
        except MappingError as exc:
            raise ApiError(422, "invalid_mapping", say(exc)) from None


class ItemBody(BaseModel):
    """One release: a search result id, or a magnet / .torrent URL."""

    result_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    link: str | None = Field(default=None, max_length=8000)
    name: str | None = Field(default=None, max_length=500)


class SendBody(BaseModel):
    """``{"items": [...], "mapping": {...}}``."""

    items: list[ItemBody] = Field(min_length=1, max_length=MAX_BATCH)
    mapping: MappingBody
    #: Send even what is already in the pipeline (after the user saw the warning).
    confirm: bool = False


class ArrAddBody(BaseModel):
    """Add a looked-up series (Sonarr) or movie (Radarr)."""

    service: Literal["sonarr", "radarr"]
    term: str = Field(pattern=r"^(tvdb|tmdb):\d+$")
    root_folder_path: str = Field(min_length=1)
    quality_profile_id: int = Field(ge=1)


@bp.route("/seedbox")
def index():
    """The seedbox page."""
    return render_template("seedbox/index.html", client=managers().settings.load().torrent_client)


@bp.get("/api/seedbox/torrents")
def api_torrents():
    """The client's torrents with their pending-map entries (an unreachable client: 502/504 JSON)."""
    return jsonify(service.list_torrents())


@bp.post("/api/seedbox/send")
def api_send():
    """Send releases mapped to one media; answers a per-item report (200 even when some failed)."""
    body = parse_body(SendBody)
    items = [service.SendItem(result_id=i.result_id, link=i.link, name=i.name) for i in body.items]
    if any(not (i.result_id or i.link) for i in items):
        raise ApiError(422, "validation_error", _("Each item needs a search result or a link."),
                       {"items": _("Empty item.")})
    report = service.send_batch(items, body.mapping.to_mapping(), confirm=body.confirm)
    return jsonify({"report": report, "sent": sum(r["ok"] for r in report),
                    "failed": sum(not r["ok"] for r in report)})


@bp.post("/api/seedbox/upload")
def api_upload():
    """Send an uploaded .torrent (multipart: ``torrent`` file, ``mapping`` JSON)."""
    upload = request.files.get("torrent")
    if upload is None:
        raise ApiError(400, "missing_file", _("Send the .torrent file in the form field 'torrent'."))
    try:  # the app's JSON provider: nesting deeper than 32 levels is refused before parsing
        mapping_body = MappingBody.model_validate(current_app.json.loads(request.form.get("mapping") or "{}"))
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise ApiError(422, "validation_error", "invalid mapping", validation_fields(exc)) from None
        raise ApiError(400, "invalid_json", _("The mapping field must be JSON (nested at most 32 levels).")) from None
    item = service.SendItem(torrent=upload.read(MAX_TORRENT_BYTES + 1), name=None)  # +1: an oversize one is refused
    try:
        entry = service.send_one(item, mapping_body.to_mapping(), confirm=request.form.get("confirm") == "1")
    except service.AlreadyPending as exc:
        raise ApiError(409, "already_pending", say(exc), {str(i): c for i, c in enumerate(exc.conflicts)}) from None
    except service.SendError as exc:
        raise ApiError(422, "send_failed", say(exc)) from None
    return jsonify({"entry": entry}), 201


class InspectBody(BaseModel):
    """``{"link": "magnet:?…" | "https://…/x.torrent"}``."""

    link: str = Field(min_length=1, max_length=8000)


@bp.post("/api/seedbox/inspect")
def api_inspect():
    """What a link (JSON) or an uploaded .torrent (multipart ``torrent``) is, before the mapping dialog:
    name, info hash, parsed title, and what the pipeline already holds; 422 when it is not a torrent."""
    upload = request.files.get("torrent")
    try:
        if upload is not None:
            return jsonify(service.inspect_source(torrent=upload.read(MAX_TORRENT_BYTES + 1)))
        return jsonify(service.inspect_source(link=parse_body(InspectBody).link))
    except service.SendError as exc:
        raise ApiError(422, "not_a_torrent", say(exc)) from None


@bp.delete("/api/seedbox/torrents/<info_hash>")
def api_remove(info_hash: str):
    """Remove a torrent (``?delete_data=1`` also deletes its data)."""
    try:
        info_hash = normalize_hash(info_hash)
    except MappingError as exc:
        raise ApiError(422, "invalid_info_hash", say(exc)) from None
    service.remove_torrent(info_hash, request.args.get("delete_data") in ("1", "true"))
    return jsonify({"removed": info_hash})


class PendingQuery(BaseModel):
    """``?page=1&page_size=50&state=transfer_failed`` (page_size at most 1,000)."""

    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=50, ge=1, le=1000)
    state: Literal[STATES] | None = None  # type: ignore[valid-type]


@bp.get("/api/pending")
def api_pending():
    """One page of the pending map, newest first, with the total and the count of each state."""
    query = parse_query(PendingQuery)
    return jsonify(service.pending_entries(query.page, query.page_size, query.state))


def _entry_hash(info_hash: str) -> str:
    try:
        return normalize_hash(info_hash)
    except MappingError as exc:
        raise ApiError(422, "invalid_info_hash", say(exc)) from None


@bp.post("/api/pending/<info_hash>/retry")
def api_retry(info_hash: str):
    """Retry a failed transfer or import now."""
    key = _entry_hash(info_hash)
    try:
        entry = pipeline.retry(key)
    except EntryNotFound as exc:
        raise ApiError(404, "not_found", say(exc)) from None
    except ValueError as exc:
        raise ApiError(409, "nothing_to_retry", say(exc)) from None
    return jsonify({"entry": entry})


@bp.post("/api/pending/<info_hash>/remap")
def api_remap(info_hash: str):
    """Change what an entry is for (before or after a failed import)."""
    key = _entry_hash(info_hash)
    body = parse_body(MappingBody)
    try:
        updated = service.remap_entry(key, body.to_mapping())
    except EntryNotFound as exc:
        raise ApiError(404, "not_found", say(exc)) from None
    except TransitionError as exc:
        raise ApiError(409, "not_remappable", say(exc)) from None
    return jsonify({"entry": updated})


@bp.delete("/api/pending/<info_hash>")
def api_forget(info_hash: str):
    """Forget an entry (the torrent stays in the client)."""
    key = _entry_hash(info_hash)
    try:
        service.forget_entry(key)
    except EntryNotFound as exc:
        raise ApiError(404, "not_found", say(exc)) from None
    return jsonify({"forgotten": key})


@bp.get("/api/mapping/candidates")
def api_candidates():
    """Media matching ``q`` for ``media_type`` movie or tv."""
    query = request.args.get("q", "").strip()
    media_type = request.args.get("media_type", "movie")
    if not query or media_type not in ("movie", "tv"):
        raise ApiError(422, "validation_error", _("Give a title and a type (movie or series)."),
                       {"q": _("Required.")})
    return jsonify(mapping.candidates(query, media_type))


@bp.get("/api/mapping/arr-options")
def api_arr_options():
    """Root folders and quality profiles of Sonarr or Radarr."""
    name = request.args.get("service")
    if name not in ("sonarr", "radarr"):
        raise ApiError(422, "validation_error", _("The service must be Sonarr or Radarr."),
                       {"service": _("Unknown service.")})
    return jsonify(mapping.arr_options(name))


@bp.post("/api/mapping/arr-add")
def api_arr_add():
    """Add a looked-up series/movie to Sonarr/Radarr; answers the new candidate."""
    body = parse_body(ArrAddBody)
    try:
        return jsonify(mapping.arr_add(body.service, body.term, body.root_folder_path, body.quality_profile_id))
    except LookupError as exc:
        raise ApiError(404, "not_found", say(exc)) from None
