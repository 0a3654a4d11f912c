"""HTTP of requests: the Requests page and ``/api/requests/...`` (thin over :mod:`app.media_requests.service`)."""

from __future__ import annotations

from typing import Any, Literal

from flask import jsonify, render_template
from flask_babel import ngettext
from flask_login import current_user
from pydantic import BaseModel, Field

from app.api import parse_body, parse_query
from app.auth.roles import at_least, signed_in
from app.core.images import proxied, tmdb_image
from app.i18n import REQUEST_STATES, gettext, localized_detail
from app.media_requests import bp, service


class SearchQuery(BaseModel):
    """``q``: words of a title; ``kind``: movie or tv."""

    q: str = Field(min_length=1, max_length=200)
    kind: Literal["movie", "tv"] = "movie"


class ListQuery(BaseModel):
    """``scope``: the user's own requests or everyone's (power users and admins); ``state``: one state."""

    scope: Literal["mine", "all"] = "mine"
    state: Literal["pending", "approved", "grabbed", "available", "declined", "failed", ""] = ""


def quota_label(quota: dict[str, Any]) -> str:
    """The quota for people: ``2 / 5 films · 3 / 10 saisons · sur 7 jours`` (or no quota, for an admin)."""
    if quota["exempt"]:
        return gettext("no quota (admin)")
    parts = []
    for key, label in (("movies", gettext("movies")), ("seasons", gettext("seasons"))):
        limit = quota[key]["limit"]
        parts.append(gettext("%(used)s / %(limit)s %(what)s", used=quota[key]["used"], limit=limit, what=label)
                     if limit else gettext("%(what)s: no limit", what=label))
    parts.append(ngettext("over %(num)s day", "over %(num)s days", quota["days"]))
    return " · ".join(parts)


def _present(row: dict[str, Any]) -> dict[str, Any]:
    """A request or a search result for the page: its poster through MMS's image proxy, its reason and last
    change in the reader's language."""
    out = {**row, "poster": proxied(tmdb_image(row.get("poster_path")))}
    if "reason" in row:
        out["reason_text"] = localized_detail(row.get("reason"), "") or ""
    if row.get("last"):
        out["last"] = {**row["last"], "text": localized_detail(row["last"].get("detail"), "") or ""}
    return out


@bp.get("/requests")
def index():
    """Search and request; the user's requests; for admins, the requests to review."""
    username, role = signed_in()
    quota = service.quota(username, role)
    return render_template("media_requests/index.html", quota=quota, quota_text=quota_label(quota),
                           states=REQUEST_STATES,
                           can_review=role == "admin", can_see_all=at_least(role, "power"))


@bp.get("/api/requests/search")
def api_search():
    """TMDB's movies or series for the words, each with its request's state."""
    q = parse_query(SearchQuery)
    return jsonify([_present(row) for row in service.search(q.q, q.kind)])


@bp.get("/api/requests/tv/<int:tmdb_id>")
def api_seasons(tmdb_id: int):
    """A series' seasons and which are requested already."""
    return jsonify(service.seasons(tmdb_id))


@bp.get("/api/requests/quota")
def api_quota():
    """What the current user may still request."""
    quota = service.quota(*signed_in())
    return jsonify({**quota, "text": quota_label(quota)})


@bp.get("/api/requests")
def api_list():
    """Requests, newest first: the user's own, or everyone's (power users and admins)."""
    q = parse_query(ListQuery)
    username, role = signed_in()
    everyone = q.scope == "all" and at_least(role, "power")
    rows = service.listing(None if everyone else username, q.state or None)
    return jsonify({"requests": [_present(row) for row in rows],
                    "counts": service.counts() if everyone else None})


@bp.get("/api/requests/<request_id>")
def api_get(request_id: str):
    """One request with its history."""
    record = service.visible(request_id, *signed_in())
    record["history"] = [{**h, "text": localized_detail(h.get("detail"), "") or ""} for h in record["history"]]
    return jsonify(_present(record))


@bp.post("/api/requests")
def api_create():
    """Request a movie or seasons of a series (``{"kind", "tmdb_id", "seasons"}``)."""
    return jsonify(_present(service.create(*signed_in(), parse_body(service.NewRequest)))), 201


@bp.post("/api/requests/<request_id>/approve")
def api_approve(request_id: str):
    """Approve a pending (or failed) request; its grab starts."""
    return jsonify(service.approve(request_id, current_user.username))


@bp.post("/api/requests/<request_id>/decline")
def api_decline(request_id: str):
    """Decline a request (``{"reason"}`` shown to the user)."""
    return jsonify(service.decline(request_id, current_user.username, parse_body(service.Decision).reason))


@bp.delete("/api/requests/<request_id>")
def api_cancel(request_id: str):
    """Withdraw a pending request (its owner or an admin)."""
    service.cancel(request_id, *signed_in())
    return "", 204
