"""HTTP of the trailers: the page at ``/trailers`` and the JSON API under ``/api/trailers/`` (used by the one
global trailer modal, wherever it is opened)."""

from __future__ import annotations

from typing import Literal

from flask import jsonify, render_template
from pydantic import BaseModel, Field

from app.api import parse_body, parse_query
from app.core.images import proxied
from app.trailers import bp, service
from app.utils.messages import N_


@bp.get("/trailers")
def index():
    """Every movie and show of Plex with its trailer status."""
    return render_template("trailers/index.html")


class Media(BaseModel):
    """A media by its external id (TMDB for movies, TVDB for shows), with its title and year for searches."""

    media_type: Literal["movie", "tv"]
    external_id: int = Field(ge=1, le=10**10)
    title: str = Field(default="", max_length=300)
    original_title: str = Field(default="", max_length=300)
    year: int | None = Field(default=None, ge=1870, le=2100)

    def media(self) -> dict:
        """As the service takes it."""
        return service.media_of(self.media_type, self.external_id, self.title, self.year, self.original_title)


def _with_images(data: dict) -> dict:
    for candidate in data.get("candidates") or []:
        candidate["thumbnail_url"] = proxied(candidate.get("thumbnail"))
    if data.get("locked"):
        data["locked"]["thumbnail_url"] = proxied(data["locked"].get("thumbnail"))
    return data


@bp.post("/api/trailers/candidates")
def api_candidates():
    """Search TMDB and YouTube for a media's trailer, ranked; the stored status and lock."""
    return jsonify(_with_images(service.find_candidates(parse_body(Media).media())))


@bp.post("/api/trailers/info")
def api_info():
    """What is kept for a media: status, locked video, last candidates, download."""
    media = parse_body(Media).media()
    entry = service.manager().get_trailer_info(media["key"]) or {"locked": None, "candidates": [], "download": None}
    return jsonify(_with_images({**entry, "key": media["key"], "status": service.manager().get_trailer_status(
        media["key"])}))


class LockBody(Media):
    """One of the candidates (``video_id``) or a pasted YouTube ``link``."""

    video_id: str | None = Field(default=None, max_length=20)
    link: str | None = Field(default=None, max_length=500)


@bp.post("/api/trailers/lock")
def api_lock():
    """Lock a video for the media."""
    body = parse_body(LockBody)
    if not body.video_id and not body.link:
        raise service.TrailerRefused(N_("Choose a video or paste a YouTube link."))
    media = body.media()
    entry = service.lock(media, body.video_id, body.link)
    return jsonify(_with_images({"key": media["key"], "status": "LOCKED", "locked": entry["locked"]}))


@bp.post("/api/trailers/unlock")
def api_unlock():
    """Forget the locked video of the media."""
    media = parse_body(Media).media()
    service.unlock(media["key"])
    return jsonify({"key": media["key"], "status": service.manager().get_trailer_status(media["key"])})


class StatusBody(BaseModel):
    """Keys ``movie_<tmdb>`` / ``tv_<tvdb>``."""

    keys: list[str] = Field(max_length=2000)


@bp.post("/api/trailers/statuses")
def api_statuses():
    """The status of many media at once (buttons colour themselves with it)."""
    return jsonify({"statuses": service.statuses(parse_body(StatusBody).keys)})


@bp.post("/api/trailers/download")
def api_download():
    """Start downloading the locked trailer next to the media (202); poll ``/api/trailers/download/<key>``."""
    media = parse_body(Media).media()
    return jsonify(service.start_download(media["key"])), 202


@bp.get("/api/trailers/download/<key>")
def api_download_progress(key: str):
    """Bytes done and total while it runs; then the entry (and Plex's extras), or the reason it failed."""
    return jsonify(service.download_progress(key))


class LibraryQuery(BaseModel):
    """Filters of the trailers page."""

    status: Literal["", "LOCKED", "UNLOCKED", "NONE"] = ""
    text: str = Field(default="", max_length=200)
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=100, ge=1, le=500)


@bp.get("/api/trailers/library")
def api_library():
    """Plex's movies and shows with their trailer status, a page at a time, and the counts by status."""
    q = parse_query(LibraryQuery)
    return jsonify(service.library(q.status or None, q.text, q.page, q.page_size))


class BulkBody(BaseModel):
    """An action over chosen media (keys ``movie_<tmdb>`` / ``tv_<tvdb>``)."""

    action: Literal["find_best", "download"]
    keys: list[str] = Field(min_length=1, max_length=2000)


@bp.post("/api/trailers/bulk")
def api_bulk():
    """Start a bulk action (202); poll ``/api/trailers/bulk/<id>``."""
    body = parse_body(BulkBody)
    return jsonify(service.start_bulk(body.action, body.keys)), 202


@bp.get("/api/trailers/bulk/<run_id>")
def api_bulk_status(run_id: str):
    """A bulk action's progress and result."""
    return jsonify(service.bulk_status(run_id))
