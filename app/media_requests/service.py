"""Requests for films and series (Overseerr's model): a user searches TMDB, asks for a movie or seasons of a
series within their quota; an admin approves or declines (or the role is approved without review); an
approved request is grabbed (:mod:`app.media_requests.fulfil`) and followed until Plex has it
(:mod:`app.media_requests.progress`). State and store: :mod:`app.media_requests.store`.

Quotas: ``N`` movies and ``N`` seasons per ``D`` days per user (settings ``request_movie_quota``,
``request_season_quota``, ``request_quota_days``; a user's own ``quota`` overrides them; 0 = no limit).
A request counts from its creation; declined ones do not count; a series counts its seasons. Admins have no
quota. The check and the write happen under one lock, so two requests at once cannot both pass the last slot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from app.auth.roles import at_least
from app.extensions import managers
from app.media_requests import store as requests_store
from app.media_requests.store import RequestRefused, ensure, move, new_id, publish
from app.utils.clients.tmdb import TmdbClient
from app.utils.messages import N_

#: Requests answered per listing page at most.
LIST_LIMIT = 500
#: States that still hold the media (a new request for the same movie or season is refused).
OPEN_STATES = frozenset({"pending", "approved", "grabbed", "available", "failed"})


class NewRequest(BaseModel):
    """A request: ``kind`` movie or tv, its TMDB id, and for a series the season numbers wanted."""

    kind: Literal["movie", "tv"]
    tmdb_id: int = Field(ge=1, le=100_000_000)
    seasons: list[int] = Field(default_factory=list, max_length=100)

    @field_validator("seasons")
    @classmethod
    def _seasons(cls, value: list[int]) -> list[int]:
        if any(s < 0 or s > 1000 for s in value):
            raise ValueError("a season number is between 0 and 1000")
        return sorted(set(value))


class Decision(BaseModel):
    """An admin's answer to a pending request; ``reason`` is shown to the user when declining."""

    reason: str = Field(default="", max_length=500)


# -- quotas --------------------------------------------------------------------------------------------------
def quota_limits(username: str) -> dict[str, int]:
    """``{"movies", "seasons", "days"}`` for a user: their overrides, else the settings (0 = no limit)."""
    settings = managers().settings.load()
    own = (managers().users.get(username) or {}).get("quota") or {}
    return {"movies": own.get("movies") if own.get("movies") is not None else settings.request_movie_quota,
            "seasons": own.get("seasons") if own.get("seasons") is not None else settings.request_season_quota,
            "days": own.get("days") or settings.request_quota_days}


def _used(requests: dict[str, dict[str, Any]], username: str, days: int, now: datetime) -> dict[str, int]:
    since = now - timedelta(days=days)
    used = {"movies": 0, "seasons": 0}
    for record in requests.values():
        if record["username"] != username or record["state"] == "declined":
            continue
        if datetime.fromisoformat(record["created_at"]) <= since:
            continue
        if record["kind"] == "movie":
            used["movies"] += 1
        else:
            used["seasons"] += len(record.get("seasons") or [])
    return used


def quota(username: str, role: str, now: datetime | None = None) -> dict[str, Any]:
    """What a user may still ask: ``{"exempt", "days", "movies": {"limit", "used", "left"}, "seasons": {...}}``
    (``limit`` 0 and ``left`` None: no limit)."""
    now = now or datetime.now(UTC)
    limits = quota_limits(username)
    used = _used(requests_store.all_requests(), username, limits["days"], now)
    out: dict[str, Any] = {"exempt": role == "admin", "days": limits["days"]}
    for key in ("movies", "seasons"):
        limit = 0 if role == "admin" else limits[key]
        out[key] = {"limit": limit, "used": used[key], "left": max(0, limit - used[key]) if limit else None}
    return out


def _check_quota(requests: dict[str, dict[str, Any]], username: str, role: str, kind: str, seasons: int,
                 now: datetime) -> None:
    if role == "admin":
        return
    limits = quota_limits(username)
    used = _used(requests, username, limits["days"], now)
    if kind == "movie" and limits["movies"] and used["movies"] + 1 > limits["movies"]:
        raise RequestRefused(N_("quota reached: %(limit)d movie(s) per %(days)d day(s)"), status=429,
                             limit=limits["movies"], days=limits["days"])
    if kind == "tv" and limits["seasons"] and used["seasons"] + seasons > limits["seasons"]:
        raise RequestRefused(N_("quota reached: %(limit)d season(s) per %(days)d day(s), %(left)d left"),
                             status=429, limit=limits["seasons"], days=limits["days"],
                             left=max(0, limits["seasons"] - used["seasons"]))


# -- search --------------------------------------------------------------------------------------------------
def _tmdb() -> TmdbClient:
    settings = managers().settings.load()
    if not settings.tmdb_api_key:
        raise RequestRefused(N_("TMDB is not configured: ask an admin to set its API key"), status=503)
    return TmdbClient.from_settings(settings)


def _held(kind: str, tmdb_id: int) -> list[dict[str, Any]]:
    return [r for r in requests_store.all_requests().values()
            if r["kind"] == kind and r["tmdb_id"] == tmdb_id and r["state"] in OPEN_STATES]


def search(query: str, kind: str) -> list[dict[str, Any]]:
    """TMDB's answers for ``query`` (``kind`` movie or tv), each with the state of its request if one is
    open: ``[{"kind", "tmdb_id", "title", "original_title", "year", "overview", "poster_path",
    "request": {"id", "state", "seasons"} | None}]``. Raises ``UpstreamError`` when TMDB fails."""
    client = _tmdb()
    items = client.search_movies(query) if kind == "movie" else client.search_tv(query)
    out = []
    for item in items[:20]:
        held = _held(kind, item.id)
        out.append({"kind": kind, "tmdb_id": item.id, "title": item.title, "original_title": item.original_title,
                    "year": item.year, "overview": item.overview[:400], "poster_path": item.poster_path,
                    "request": {"id": held[0]["id"], "state": held[0]["state"],
                                "seasons": sorted({s for r in held for s in r.get("seasons") or []})}
                    if held else None})
    return out


def seasons(tmdb_id: int) -> dict[str, Any]:
    """A series' seasons for the request form: ``{"tmdb_id", "title", "year", "seasons": [{"number", "name",
    "episodes", "state"}]}`` (``state``: the open request holding that season, else None)."""
    show = _tmdb().tv(tmdb_id)
    held: dict[int, str] = {}
    for record in _held("tv", tmdb_id):
        for number in record.get("seasons") or []:
            held[number] = record["state"]
    rows = [{"number": s.get("season_number"), "name": s.get("name") or "", "episodes": s.get("episode_count") or 0,
             "state": held.get(s.get("season_number"))}
            for s in show.seasons if isinstance(s.get("season_number"), int) and s.get("season_number") > 0]
    return {"tmdb_id": show.id, "title": show.title, "year": show.year, "seasons": rows}


# -- the request's life --------------------------------------------------------------------------------------
def create(username: str, role: str, new: NewRequest, now: datetime | None = None) -> dict[str, Any]:
    """Record a request (details from TMDB), within the user's quota; approved at once when the role is
    approved without review (then its grab starts, see :func:`app.media_requests.fulfil.start`).
    Raises :class:`RequestRefused` (409 already requested, 429 over quota, 422 no season), ``UpstreamError``."""
    now = now or datetime.now(UTC)
    client = _tmdb()
    item = client.movie(new.tmdb_id) if new.kind == "movie" else client.tv(new.tmdb_id)
    wanted: list[int] = []
    if new.kind == "tv":
        known = {s.get("season_number") for s in item.seasons}
        wanted = [s for s in new.seasons if s in known and s > 0]
        if not wanted:
            raise RequestRefused(N_("choose at least one season of the series"), status=422)
    settings = managers().settings.load()
    auto = at_least(role, settings.request_auto_approve)
    record = {"id": new_id(), "kind": new.kind, "tmdb_id": item.id, "tvdb_id": item.tvdb_id, "imdb_id": item.imdb_id,
              "title": item.title, "original_title": item.original_title, "year": item.year,
              "poster_path": item.poster_path, "seasons": wanted, "username": username, "state": "pending",
              "created_at": now.isoformat(timespec="seconds"), "updated_at": None, "decided_by": None,
              "reason": None, "via": None, "grabs": [], "arr_id": None, "history": []}

    def apply(data: Any) -> dict[str, Any]:
        requests = ensure(data)["requests"]
        open_ones = [r for r in requests.values() if r["kind"] == new.kind and r["tmdb_id"] == item.id
                     and r["state"] in OPEN_STATES]
        if new.kind == "movie" and open_ones:
            raise RequestRefused(N_("%(title)s is requested already (%(state)s)"), title=item.title,
                                 state=open_ones[0]["state"])
        if new.kind == "tv":
            taken = sorted({s for r in open_ones for s in r.get("seasons") or []} & set(wanted))
            if taken:
                raise RequestRefused(N_("season(s) %(seasons)s of %(title)s are requested already"),
                                     seasons=", ".join(str(s) for s in taken), title=item.title)
        _check_quota(requests, username, role, new.kind, len(wanted), now)
        move(record, "pending", username)
        if auto:
            record["decided_by"] = username
            move(record, "approved", username, {"msgid": N_("approved without review (role %(role)s)"),
                                                "params": {"role": role}})
        requests[record["id"]] = record
        return dict(record)

    created = requests_store.store().update(apply)
    publish({**created, "state": "pending"}, None)
    if created["state"] == "approved":
        publish(created, "pending")
        from app.media_requests import fulfil

        fulfil.start(created["id"])
    return created


def approve(request_id: str, by: str) -> dict[str, Any]:
    """Approve a pending request (or a failed one again) and start its grab."""
    def apply(record: dict[str, Any]) -> None:
        if record["state"] not in ("pending", "failed"):
            raise RequestRefused(N_("only a pending or failed request can be approved (this one is %(state)s)"),
                                 state=record["state"])
        record["decided_by"], record["reason"] = by, None
        move(record, "approved", by)
    record = requests_store.change(request_id, apply)
    from app.media_requests import fulfil

    fulfil.start(record["id"])
    return record


def decline(request_id: str, by: str, reason: str = "") -> dict[str, Any]:
    """Decline a pending (or approved, not yet grabbed, or failed) request; it stops counting in the quota."""
    def apply(record: dict[str, Any]) -> None:
        record["decided_by"] = by
        record["reason"] = {"msgid": N_("declined: %(reason)s"), "params": {"reason": reason.strip()}} \
            if reason.strip() else {"msgid": N_("declined"), "params": {}}
        move(record, "declined", by, record["reason"])
    return requests_store.change(request_id, apply)


def cancel(request_id: str, username: str, role: str) -> None:
    """Withdraw a pending request: its owner, or an admin. Refused once it is approved."""
    record = requests_store.get(request_id)
    if record["username"] != username and role != "admin":
        raise RequestRefused(N_("no request %(id)s"), id=request_id, status=404)
    if record["state"] != "pending":
        raise RequestRefused(N_("only a pending request can be withdrawn (this one is %(state)s)"),
                             state=record["state"])

    def apply(data: Any) -> None:
        found = ensure(data)["requests"].get(request_id)
        if found is None or found["state"] != "pending":
            raise RequestRefused(N_("only a pending request can be withdrawn (this one is %(state)s)"),
                                 state=found["state"] if found else "?")
        del data["requests"][request_id]
    requests_store.store().update(apply)
    managers().events.publish("request.changed", id=request_id, owner=record["username"], title=record["title"],
                              state="withdrawn", previous="pending", media_type=record["kind"])


def listing(username: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
    """Requests newest first (one user's when ``username``), optionally in one state; each without its
    history but with ``last`` (its last history line)."""
    rows = []
    for record in requests_store.all_requests().values():
        if (username and record["username"] != username) or (state and record["state"] != state):
            continue
        row = {k: v for k, v in record.items() if k != "history"}
        row["last"] = (record.get("history") or [None])[-1]
        rows.append(row)
    rows.sort(key=lambda r: r["created_at"], reverse=True)
    return rows[:LIST_LIMIT]


def visible(request_id: str, username: str, role: str) -> dict[str, Any]:
    """One request with its history, for its owner or a power user and above (404 for anyone else)."""
    record = requests_store.get(request_id)
    if record["username"] != username and not at_least(role, "power"):
        raise RequestRefused(N_("no request %(id)s"), id=request_id, status=404)
    return record


def counts() -> dict[str, int]:
    """Requests per state (the dashboard and the navigation badge)."""
    out = dict.fromkeys(requests_store.STATES, 0)
    for record in requests_store.all_requests().values():
        out[record["state"]] = out.get(record["state"], 0) + 1
    return out
