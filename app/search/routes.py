"""Search page and its JSON API (search, media-driven searches, release parsing)."""

from __future__ import annotations

from typing import Annotated, Literal

from flask import jsonify, render_template
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.api import ApiError, parse_body, parse_query
from app.extensions import managers
from app.i18n import say
from app.search import bp, service
from app.utils.media.releases import MAX_NAME_CHARS
from app.utils.settings_schema import N_

#: Filter categories shown translated on the page.
CATEGORY_LABELS = (N_("quality"), N_("language"), N_("codec"), N_("source"))
#: Names accepted by one parse call.
MAX_PARSE_NAMES = 10_000


class ParseRequest(BaseModel):
    """``{"names": ["Release.Name...", ...]}``."""

    names: list[Annotated[str, Field(max_length=MAX_NAME_CHARS)]] = Field(min_length=1, max_length=MAX_PARSE_NAMES)


class Filters(BaseModel):
    """Alias-based filters (aliases from the settings)."""

    quality: list[str] = []
    language: list[str] = []
    codec: list[str] = []
    source: list[str] = []
    min_seeders: int | None = Field(default=None, ge=0)
    min_size: int | None = Field(default=None, ge=0)
    max_size: int | None = Field(default=None, ge=0)


class SearchRequest(BaseModel):
    """A search: text and/or ids; ``kind`` search, tvsearch or movie."""

    query: str = Field(default="", max_length=300)
    kind: Literal["search", "tvsearch", "movie"] = "search"
    season: int | None = Field(default=None, ge=0, le=999)
    episode: int | None = Field(default=None, ge=0, le=9999)
    imdb_id: str | None = Field(default=None, pattern=r"^(tt)?\d+$")
    tvdb_id: int | None = Field(default=None, ge=1)
    tmdb_id: int | None = Field(default=None, ge=1)
    categories: list[int] = []
    filters: Filters = Filters()
    #: A media search (from ``/api/search/media``): its titles and year, used when an indexer cannot
    #: search by id.
    titles: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=6)
    year: int | None = Field(default=None, ge=1870, le=2100)


@bp.route("/search")
def index():
    """The search page."""
    settings = managers().settings.load()
    return render_template("search/index.html", aliases=settings.search_filter_aliases)


@bp.post("/api/releases/parse")
def api_parse():
    """Parse and score release names (no seeders known: reliability counts 0 seeders)."""
    body = parse_body(ParseRequest)
    return jsonify({"releases": service.parse_names(body.names)})


@bp.post("/api/search")
def api_search():
    """Search every indexer; per-indexer failures are in ``indexers``, never a 5xx."""
    body = parse_body(SearchRequest)
    if not body.query.strip() and not body.titles and not (body.imdb_id or body.tvdb_id or body.tmdb_id):
        raise ApiError(422, "validation_error", _("Type a title or pick a media."), {"query": _("Required.")})
    params = service.SearchParams(query=body.query.strip(), kind=body.kind, season=body.season,
                                  episode=body.episode, imdb_id=body.imdb_id, tvdb_id=body.tvdb_id,
                                  tmdb_id=body.tmdb_id, categories=tuple(body.categories),
                                  titles=tuple(t.strip() for t in body.titles if t.strip()), year=body.year,
                                  filters=body.filters.model_dump(exclude_none=True))
    return jsonify(service.search(params))


class MediaQuery(BaseModel):
    """``?source=tmdb-movie|tmdb-tv|sonarr|radarr|tvdb&id=N[&season=N]``."""

    source: str = Field(max_length=20)
    id: int = Field(ge=1, le=2**31)
    season: int | None = Field(default=None, ge=0, le=1000)


@bp.get("/api/search/media")
def api_media_searches():
    """The searches for one media (``source`` tmdb-movie, tmdb-tv, sonarr or radarr; ``id``; ``season``)."""
    query = parse_query(MediaQuery)
    try:
        return jsonify(service.media_searches(query.source, query.id, query.season))
    except ValueError as exc:
        raise ApiError(422, "validation_error", say(exc), {"source": say(exc)}) from None
