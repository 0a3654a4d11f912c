"""HTTP of follows: the Follows and Calendar pages, ``/api/follows`` and ``/api/calendar``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from flask import jsonify, render_template, request
from flask_babel import format_date
from pydantic import BaseModel, Field

from app.api import parse_body, parse_query
from app.follows import bp, service
from app.i18n import localized_detail
from app.utils.media.releases import AUDIO_CLASSES


class CalendarQuery(BaseModel):
    """``view``: yesterday and the next 7 days (what aired yesterday is still being searched), or the month
    (30 days from today); ``start``: a day (``YYYY-MM-DD``)."""

    view: Literal["week", "month"] = "week"
    start: str = Field(default="", pattern=r"^(\d{4}-\d{2}-\d{2})?$")


class TvdbBody(BaseModel):
    """Follow a series by its TVDB id (title and year read from TheTVDB)."""

    tvdb_id: int = Field(ge=1)


def _calendar(q: CalendarQuery) -> tuple[datetime, int, list[dict]]:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = datetime.strptime(q.start, "%Y-%m-%d").replace(tzinfo=UTC) if q.start else \
        today - timedelta(days=1 if q.view == "week" else 0)
    days = 8 if q.view == "week" else 30
    return start, days, service.calendar(start, days)


@bp.get("/follows")
def index():
    """Followed series, each with its settings and its last checks."""
    return render_template("follows/index.html", follows=service.follows(), audio=AUDIO_CLASSES,
                           localized=localized_detail)


@bp.get("/calendar")
def calendar_page():
    """Followed episodes of the next 7 days or of the month, with their state."""
    q = parse_query(CalendarQuery)
    start, days, episodes = _calendar(q)
    by_day: dict[str, list[dict]] = {}
    for e in episodes:
        by_day.setdefault(e["air"][:10], []).append(e)
    return render_template("follows/calendar.html", query=q, start=start, days=[
        (start + timedelta(days=n)).strftime("%Y-%m-%d") for n in range(days)], by_day=by_day,
        day_label=lambda day: format_date(datetime.strptime(day, "%Y-%m-%d").date(), "full"))


@bp.get("/api/calendar")
def api_calendar():
    """The calendar's episodes as JSON."""
    _start, _days, episodes = _calendar(parse_query(CalendarQuery))
    return jsonify(episodes)


@bp.get("/api/follows")
def api_follows():
    """Every follow."""
    return jsonify(service.follows())


@bp.post("/api/follows")
def api_add():
    """Follow a series: its title and ids, or a ``tvdb_id`` alone (title and year read from TheTVDB)."""
    body = request.get_json(silent=True)
    if isinstance(body, dict) and "title" in body:
        new = parse_body(service.NewFollow)
    else:
        new = service.NewFollow(**service.tvdb_lookup(parse_body(TvdbBody).tvdb_id))
    return jsonify(service.add(new)), 201


@bp.get("/api/follows/<follow_id>")
def api_get(follow_id: str):
    """One follow with its episodes and log."""
    return jsonify(service.get(follow_id))


@bp.put("/api/follows/<follow_id>")
def api_update(follow_id: str):
    """Change what a follow accepts."""
    return jsonify(service.update(follow_id, parse_body(service.FollowSettings)))


@bp.delete("/api/follows/<follow_id>")
def api_delete(follow_id: str):
    """Stop following."""
    service.remove(follow_id)
    return "", 204


@bp.post("/api/follows/<follow_id>/check")
def api_check(follow_id: str):
    """Refresh the air times and search what is due now."""
    service.refresh(follow_id, datetime.now(UTC), force=True)
    return jsonify(service.check_follow(follow_id, datetime.now(UTC)))


@bp.post("/api/follows/import/sonarr")
def api_import_sonarr():
    """Follow every series Sonarr monitors."""
    return jsonify(service.import_sonarr())
