"""Plex image proxy and the dashboard's recently-added list."""

from __future__ import annotations

from flask import Response, abort, jsonify, request, url_for
from pydantic import BaseModel, Field

from app.api import parse_query
from app.plex import bp, service


@bp.get("/plex/image")
def image():
    """Serve a Plex image fetched server side (``?path=/library/metadata/1/thumb/169...``)."""
    path = request.args.get("path", "")
    try:
        data, content_type = service.fetch_image(path)
    except ValueError:
        abort(400)
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


class RecentQuery(BaseModel):
    """``?limit=N`` (1-100, default 12)."""

    limit: int = Field(default=12, ge=1, le=100)


@bp.get("/api/plex/recent")
def api_recent():
    """Recently added movies and shows, images as MMS proxy URLs."""
    return jsonify(service.recent_items(parse_query(RecentQuery).limit,
                                        lambda path: url_for("plex.image", path=path)))
