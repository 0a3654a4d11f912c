"""HTTP of upgrades: the page and ``/api/upgrades`` (rules CRUD, candidates, apply, dismiss, history, check)."""

from __future__ import annotations

from typing import Literal

from flask import jsonify, render_template
from pydantic import BaseModel, Field

from app.api import parse_body, parse_query
from app.i18n import localized_detail
from app.seedbox.service import SendError
from app.upgrades import bp, service
from app.upgrades.rules import Rule


class CandidateQuery(BaseModel):
    """``state``: only the candidates in that state."""

    state: Literal["", "pending", "grabbed", "imported", "dismissed", "failed"] = ""


class CheckBody(BaseModel):
    """``keys``: only these items (all the matching ones when absent); ``limit``: at most that many."""

    keys: list[str] | None = Field(default=None, max_length=500)
    limit: int | None = Field(default=None, ge=1, le=5000)


@bp.get("/upgrades")
def index():
    """Candidates waiting for approval, the rules, the history."""
    service.sync_states()
    return render_template("upgrades/index.html", candidates=service.candidates(), rules=service.rules(),
                           history=service.history(50), actions=service.ACTIONS, localized=localized_detail)


@bp.get("/api/upgrades/rules")
def api_rules():
    """Every rule."""
    return jsonify([r.model_dump() for r in service.rules()])


@bp.post("/api/upgrades/rules")
def api_add_rule():
    """Add a rule (or replace the one with the same ``id``)."""
    return jsonify(service.save_rule(parse_body(Rule)).model_dump()), 201


@bp.put("/api/upgrades/rules/<rule_id>")
def api_put_rule(rule_id: str):
    """Replace a rule (its ``id`` is the URL's)."""
    rule = parse_body(Rule)
    return jsonify(service.save_rule(rule.model_copy(update={"id": rule_id})).model_dump())


@bp.delete("/api/upgrades/rules/<rule_id>")
def api_delete_rule(rule_id: str):
    """Remove a rule."""
    service.delete_rule(rule_id)
    return "", 204


@bp.get("/api/upgrades/candidates")
def api_candidates():
    """Upgrade candidates, newest first."""
    service.sync_states()
    return jsonify(service.candidates(parse_query(CandidateQuery).state or None))


@bp.post("/api/upgrades/candidates/<candidate_id>/apply")
def api_apply(candidate_id: str):
    """Grab a candidate's release (its import replaces the old files once verified)."""
    try:
        return jsonify(service.apply(candidate_id))
    except SendError as exc:
        raise service.UpgradeRefused(exc.msgid, status=422, **exc.params) from None


@bp.post("/api/upgrades/candidates/<candidate_id>/dismiss")
def api_dismiss(candidate_id: str):
    """Set a candidate aside."""
    return jsonify(service.dismiss(candidate_id))


@bp.get("/api/upgrades/history")
def api_history():
    """The last upgrade events, newest first."""
    return jsonify(service.history())


@bp.post("/api/upgrades/check")
def api_check():
    """Run the upgrade checks now (the matching items, or ``keys``); the counts and per-item errors."""
    body = parse_body(CheckBody)
    return jsonify(service.run_checks(limit=body.limit, pause_s=0, keys=body.keys))
