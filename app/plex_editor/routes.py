"""HTTP of the Plex editor: the page at ``/plex`` and its JSON API under ``/api/plex-editor/``."""

from __future__ import annotations

from datetime import date
from typing import Literal

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.api import ApiError, parse_body, parse_query
from app.core.images import proxied
from app.i18n import localized_detail
from app.plex_editor import bp, service
from app.utils.clients.plex import TAG_KINDS, TEXT_FIELDS
from app.utils.images import MAX_IMAGE_BYTES


def _plex_image(path: str) -> str:
    return url_for("plex.image", path=path)


@bp.get("/plex")
def index():
    """The library browser."""
    return render_template("plex_editor/index.html", text_fields=TEXT_FIELDS, tag_kinds=list(TAG_KINDS),
                           bulk_actions=service.BULK_ACTIONS)


@bp.get("/plex-editor")
def old_index():
    """The address of the "coming soon" page, kept for bookmarks."""
    return redirect(url_for("plex_editor.index"))


@bp.get("/api/plex-editor/sections")
def api_sections():
    """The section tabs and the user filter."""
    return jsonify(service.sections_and_users())


class ItemsQuery(BaseModel):
    """Filters of the browser (see :class:`service.BrowseQuery`)."""

    section: int = Field(ge=1)
    user: int | None = Field(default=None, ge=0)
    watched: Literal["all", "watched", "unwatched", "in_progress"] = "all"
    added_after: date | None = None
    added_before: date | None = None
    resolution: Literal["", "4k", "1080", "720", "sd"] = ""
    audio: Literal["", "fr", "no_fr"] = ""
    missing: bool = False
    text: str = Field(default="", max_length=200)
    sort: Literal["title", "year", "added", "size"] = "title"
    order: Literal["asc", "desc"] = "asc"
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=60, ge=1, le=200)
    fresh: bool = False


@bp.get("/api/plex-editor/items")
def api_items():
    """One page of a section, filtered and sorted on the server."""
    q = parse_query(ItemsQuery)
    query = service.BrowseQuery(section=q.section, user=q.user, watched=q.watched, added_after=q.added_after,
                                added_before=q.added_before, resolution=q.resolution or None,
                                audio=q.audio or None, missing=q.missing, text=q.text, sort=q.sort, order=q.order,
                                page=q.page, page_size=q.page_size, fresh=q.fresh)
    return jsonify(service.browse(query, _plex_image))


@bp.get("/api/plex-editor/items/<int:rating_key>")
def api_details(rating_key: int):
    """The details dialog's data."""
    return jsonify(service.details(rating_key, _plex_image))


class SaveBody(BaseModel):
    """``values`` (text fields), ``locks`` (field -> locked), ``tags`` (kind -> the full list)."""

    values: dict[str, str | int | None] = Field(default_factory=dict, max_length=len(TEXT_FIELDS))
    locks: dict[str, bool] = Field(default_factory=dict, max_length=len(TEXT_FIELDS) + len(TAG_KINDS))
    tags: dict[str, list[str]] = Field(default_factory=dict, max_length=len(TAG_KINDS))


@bp.put("/api/plex-editor/items/<int:rating_key>")
def api_save(rating_key: int):
    """Save the General tab (one batched edit)."""
    body = parse_body(SaveBody)
    if any(len(v) > 200 or any(len(t) > 200 for t in v) for v in body.tags.values()):
        raise ApiError(422, "validation_error", _("Too many tags, or a tag too long."))
    service.save(rating_key, body.values, body.locks, body.tags)
    return jsonify(service.details(rating_key, _plex_image))


class ResetBody(BaseModel):
    """The field to unlock and let the agent set again."""

    field: str = Field(min_length=1, max_length=40)


@bp.post("/api/plex-editor/items/<int:rating_key>/reset")
def api_reset(rating_key: int):
    """Unlock one field and refresh the item."""
    service.reset_field(rating_key, parse_body(ResetBody).field)
    return jsonify(service.details(rating_key, _plex_image))


class BulkBody(BaseModel):
    """An action over selected items."""

    rating_keys: list[int] = Field(min_length=1, max_length=1000)
    action: str = Field(max_length=40)
    value: str = Field(default="", max_length=200)
    fields: list[str] = Field(default_factory=list, max_length=20)


@bp.post("/api/plex-editor/bulk")
def api_bulk():
    """Label/collection, lock/unlock, refresh or analyze many items; each fails on its own."""
    body = parse_body(BulkBody)
    return jsonify(service.bulk(body.rating_keys, body.action, body.value, body.fields))


class SeasonsQuery(BaseModel):
    """Whose watched state to show (an account id), if anyone's."""

    user: int | None = Field(default=None, ge=0)


@bp.get("/api/plex-editor/items/<int:rating_key>/seasons")
def api_seasons(rating_key: int):
    """A show's seasons and episodes, Plex's watched state next to Sonarr's files."""
    return jsonify(service.seasons(rating_key, parse_query(SeasonsQuery).user))


def _move_view(record: dict) -> dict:
    return {**record, "message_text": localized_detail(record.get("message"), ""),
            "warnings_text": [localized_detail(w, "") for w in record.get("warnings") or []]}


@bp.get("/api/plex-editor/items/<int:rating_key>/move")
def api_move_targets(rating_key: int):
    """The root folders the item may go to, and the one it is in."""
    return jsonify(service.move_targets(rating_key))


class MoveBody(BaseModel):
    """The root folder to move the item to."""

    root: str = Field(min_length=1, max_length=4096)


@bp.post("/api/plex-editor/items/<int:rating_key>/move")
def api_move(rating_key: int):
    """Start moving the item (202); poll ``/api/plex-editor/moves/<id>``."""
    return jsonify(_move_view(service.start_move(rating_key, parse_body(MoveBody).root))), 202


@bp.get("/api/plex-editor/moves/<move_id>")
def api_move_status(move_id: str):
    """A move's progress and result."""
    return jsonify(_move_view(service.move_status(move_id)))


@bp.post("/api/plex-editor/items/<int:rating_key>/assets/<action>")
def api_item_assets(rating_key: int, action: str):
    """Export the item's images to its Kometa-style asset folder, or import them (``action``)."""
    return jsonify(service.item_assets(rating_key, action))


@bp.post("/api/plex-editor/sections/<int:section_key>/assets/<action>")
def api_section_assets(section_key: int, action: str):
    """Export or import every item of a section, in the background (202); poll the run."""
    return jsonify(service.section_assets(section_key, action)), 202


@bp.get("/api/plex-editor/asset-runs/<run_id>")
def api_asset_run(run_id: str):
    """A section run's progress and failures."""
    return jsonify(service.asset_run(run_id))


def _remote(url: str) -> str | None:
    return proxied(url)


@bp.get("/api/plex-editor/items/<int:rating_key>/artwork/<kind>")
def api_artwork(rating_key: int, kind: str):
    """Every poster or background Plex offers for the item."""
    return jsonify(service.artwork(rating_key, kind, _plex_image, _remote))


class SelectBody(BaseModel):
    """The id of an offered image."""

    id: str = Field(min_length=1, max_length=2000)


@bp.put("/api/plex-editor/items/<int:rating_key>/artwork/<kind>")
def api_select_artwork(rating_key: int, kind: str):
    """Make an offered image the item's poster/background."""
    service.select_artwork(rating_key, kind, parse_body(SelectBody).id)
    return jsonify(service.artwork(rating_key, kind, _plex_image, _remote))


class UploadUrl(BaseModel):
    """An image address, fetched by MMS and checked before it is sent to Plex."""

    url: str = Field(min_length=8, max_length=2000)


@bp.post("/api/plex-editor/items/<int:rating_key>/artwork/<kind>/upload")
def api_upload_artwork(rating_key: int, kind: str):
    """Upload a poster/background: a multipart ``image`` file or JSON ``{"url"}``."""
    if request.files:
        upload = request.files.get("image")
        if upload is None:
            raise ApiError(400, "missing_file", _("Send the image in the form field 'image'."))
        data = upload.stream.read(MAX_IMAGE_BYTES + 1)
        checked = service.upload_artwork(rating_key, kind, data=data)
    else:
        checked = service.upload_artwork(rating_key, kind, url=parse_body(UploadUrl).url)
    return jsonify({"uploaded": checked, **service.artwork(rating_key, kind, _plex_image, _remote)})


class MatchQuery(BaseModel):
    """A title (or ``tmdb-<id>``, ``tvdb-<id>``, ``imdb-tt…``) and an optional year."""

    title: str = Field(default="", max_length=300)
    year: int | None = Field(default=None, ge=1870, le=2100)
    provider: Literal["plex", "tmdb", "tvdb"] = "plex"


@bp.get("/api/plex-editor/items/<int:rating_key>/matches")
def api_matches(rating_key: int):
    """The agent's candidates."""
    q = parse_query(MatchQuery)
    return jsonify(service.search_matches(rating_key, q.title, q.year, q.provider))


class MatchBody(BaseModel):
    """A candidate of :func:`api_matches`."""

    guid: str = Field(min_length=3, max_length=500)
    name: str = Field(min_length=1, max_length=500)


@bp.post("/api/plex-editor/items/<int:rating_key>/match")
def api_fix_match(rating_key: int):
    """Fix the match; the GUIDs read back."""
    body = parse_body(MatchBody)
    return jsonify(service.fix_match(rating_key, body.guid, body.name))


@bp.post("/api/plex-editor/items/<int:rating_key>/unmatch")
def api_unmatch(rating_key: int):
    """Unmatch the item."""
    return jsonify(service.unmatch(rating_key))
