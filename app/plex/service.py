"""Plex data for pages, with image URLs that go through MMS's proxy (never Plex's, never the token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.extensions import managers
from app.utils.clients.errors import UpstreamError
from app.utils.clients.plex import PlexClient


def client() -> PlexClient:
    """A Plex client for the current settings."""
    return PlexClient.from_settings(managers().settings.load())


def recent_items(limit: int = 12, image_url: Callable[[str], str] = lambda path: path) -> dict[str, Any]:
    """``{"items": [{"rating_key", "title", "year", "type", "image"}], "error": None | str}``; ``image_url``
    turns a Plex image path into the URL the browser gets (the route passes MMS's proxy)."""
    settings = managers().settings.load()
    if not settings.plex_url or not settings.plex_token:
        return {"items": [], "error": None, "configured": False}
    try:
        found = PlexClient.from_settings(settings).recently_added(limit)
    except UpstreamError as exc:
        return {"items": [], "error": str(exc), "configured": True}
    return {"configured": True, "error": None, "items": [
        {"rating_key": i.rating_key, "title": i.title, "year": i.year, "type": i.type,
         "image": image_url(i.thumb) if i.thumb else None}
        for i in found]}


def fetch_image(path: str) -> tuple[bytes, str]:
    """The image bytes and type; ``ValueError`` for a path that is not a Plex image path."""
    return client().fetch_image(path)
