"""HTTP of the assistant: the page, the report and its recommendations, the streamed chat and its proposals
(thin over :mod:`app.assistant.report`, :mod:`app.assistant.actions`, :mod:`app.assistant.chat`)."""

from __future__ import annotations

import json

from flask import Response, jsonify, render_template
from flask_login import current_user
from pydantic import BaseModel, Field

from app.api import parse_body, streamed
from app.assistant import actions, bp, chat, model, report
from app.auth.roles import at_least, signed_in
from app.i18n import localized_detail


class Confirmation(BaseModel):
    """The user's click: ``confirm`` must be true."""

    confirm: bool = False


class ChatMessage(BaseModel):
    """A chat message; ``conversation_id`` continues a conversation."""

    message: str = Field(min_length=1, max_length=4000)
    conversation_id: str | None = Field(default=None, max_length=32, pattern=r"^[0-9a-f]+$")


def _report_view(found: dict | None) -> dict | None:
    if found is None:
        return None
    for signal in found["facts"]["signals"]:
        signal["label_text"] = localized_detail({"msgid": signal["label"], "params": {}}, signal["label"])
    return found


@bp.get("/assistant")
def index():
    """The assistant: the report (power users and admins) and the chat."""
    username, role = signed_in()
    status = model.status()
    latest = _report_view(report.latest()) if at_least(role, "power") else None
    return render_template("assistant/index.html", status=status, report=latest, role=role,
                           conversations=chat.conversations(username), localized=localized_detail)


@bp.get("/api/assistant/status")
def api_status():
    """Whether Ollama answers and what the model can do, with the message to show when it cannot."""
    return jsonify(model.status())


@bp.get("/api/assistant/report")
def api_report():
    """The last report with its recommendations."""
    return jsonify(_report_view(report.latest()))


@bp.post("/api/assistant/report")
def api_make_report():
    """Measure the library and have the model write the report now."""
    return jsonify(_report_view(report.build())), 201


@bp.post("/api/assistant/recommendations/<rec_id>/apply")
def api_apply(rec_id: str):
    """Run a recommendation's action (``{"confirm": true}``: the user's click)."""
    return jsonify(actions.apply_recommendation(rec_id, *signed_in(), parse_body(Confirmation).confirm))


@bp.post("/api/assistant/recommendations/<rec_id>/dismiss")
def api_dismiss(rec_id: str):
    """Set a recommendation aside."""
    return jsonify(actions.dismiss(rec_id, current_user.username))


@bp.post("/api/assistant/chat")
def api_chat():
    """One message; the answer streams as NDJSON events (see :mod:`app.assistant.chat`)."""
    body = parse_body(ChatMessage)
    who = signed_in()

    def lines():
        for event in chat.turn(*who, body.conversation_id, body.message):
            yield json.dumps(event, ensure_ascii=False) + "\n"
    return Response(streamed(lines), mimetype="application/x-ndjson",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.get("/api/assistant/conversations")
def api_conversations():
    """The user's conversations."""
    return jsonify(chat.conversations(current_user.username))


@bp.get("/api/assistant/conversations/<conversation_id>")
def api_conversation(conversation_id: str):
    """One of the user's conversations."""
    return jsonify(chat.conversation(current_user.username, conversation_id))


@bp.post("/api/assistant/conversations/<conversation_id>/proposals/<proposal_id>/confirm")
def api_confirm(conversation_id: str, proposal_id: str):
    """The user confirms a proposal: it is done now."""
    return jsonify(chat.confirm(*signed_in(), conversation_id, proposal_id))


@bp.post("/api/assistant/conversations/<conversation_id>/proposals/<proposal_id>/dismiss")
def api_dismiss_proposal(conversation_id: str, proposal_id: str):
    """The user turns a proposal down."""
    return jsonify(chat.dismiss(current_user.username, conversation_id, proposal_id))
