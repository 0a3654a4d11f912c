"""HTTP of the audit log: ``/audit`` (filters in the query string) and ``/api/audit``."""

from __future__ import annotations

from flask import jsonify, render_template
from pydantic import BaseModel, Field

from app.api import parse_query
from app.audit import bp, service


class AuditQuery(BaseModel):
    """``user``, ``action`` (an action id), ``since`` (``YYYY-MM-DD``), ``page``."""

    user: str = Field(default="", max_length=100)
    action: str = Field(default="", max_length=100)
    since: str = Field(default="", pattern=r"^(\d{4}-\d{2}-\d{2})?$")
    page: int = Field(default=1, ge=1, le=100_000)


def _search(q: AuditQuery) -> dict:
    return service.search(q.user, q.action, q.since, q.page)


@bp.get("/audit")
def index():
    """Who did what and when, newest first."""
    q = parse_query(AuditQuery)
    return render_template("audit/index.html", found=_search(q), query=q)


@bp.get("/api/audit")
def api_events():
    """The audit events as JSON."""
    return jsonify(_search(parse_query(AuditQuery)))
