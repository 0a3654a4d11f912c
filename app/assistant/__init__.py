"""The library assistant on a local Ollama model: reports and recommendations from MMS's own measures, a chat
with tools, and actions only after the user confirms (``/assistant``, ``/api/assistant/...``)."""

from flask import Blueprint

bp = Blueprint("assistant", __name__, template_folder="templates")

from app.assistant import routes  # noqa: E402,F401 - registers the routes on bp
