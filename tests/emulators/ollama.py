"""Ollama emulator (``shared/specs/ollama/api.md``): tags, generate, chat; NDJSON when streaming."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.emulators.base import Emulator, Reply, Request


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class OllamaEmulator(Emulator):
    """Installed ``models``; ``responder(model, prompt_or_messages) -> str`` makes the answers."""

    def __init__(self, models: tuple[str, ...] = ("llama3.1:8b",)):
        super().__init__()
        self.models = list(models)
        self.responder: Callable[[str, Any], str] = lambda model, prompt: f"echo: {prompt}"
        self.route("GET", r"/api/tags", self._tags)
        self.route("GET", r"/api/version", lambda r: Reply(200, {"version": "0.12.6"}))
        self.route("POST", r"/api/generate", self._generate)
        self.route("POST", r"/api/chat", self._chat)

    def _tags(self, request: Request) -> Reply:
        return Reply(200, {"models": [{
            "name": m, "model": m, "modified_at": "2025-10-01T12:00:00.000000Z", "size": 4_920_753_328,
            "digest": "a" * 64, "details": {"parent_model": "", "format": "gguf", "family": m.split(":")[0],
                                            "families": [m.split(":")[0]], "parameter_size": "8.0B",
                                            "quantization_level": "Q4_K_M"}} for m in self.models]})

    def _unknown(self, model: str) -> Reply | None:
        if model not in self.models and f"{model}:latest" not in self.models:
            return Reply(404, {"error": f"model '{model}' not found"})
        return None

    def _finish(self, model: str, body: dict[str, Any], stream: bool, key: str, value: Any) -> Reply:
        final = {"model": model, "created_at": _now(), key: value, "done": True, "done_reason": "stop",
                 "total_duration": 1_000_000, "load_duration": 1000, "prompt_eval_count": 10,
                 "eval_count": 20, "eval_duration": 500_000}
        if not stream:
            return Reply(200, final)
        text = value if isinstance(value, str) else value["content"]
        lines = []
        for word in text.split(" "):
            chunk = word + " "
            part = chunk if isinstance(value, str) else {"role": "assistant", "content": chunk}
            lines.append(json.dumps({"model": model, "created_at": _now(), key: part, "done": False}))
        final[key] = "" if isinstance(value, str) else {"role": "assistant", "content": ""}
        lines.append(json.dumps(final))
        return Reply(200, "\n".join(lines) + "\n", {"Content-Type": "application/x-ndjson"})

    def _generate(self, request: Request) -> Reply:
        body = request.json() or {}
        model = body.get("model", "")
        return self._unknown(model) or self._finish(model, body, body.get("stream", True), "response",
                                                    self.responder(model, body.get("prompt", "")))

    def _chat(self, request: Request) -> Reply:
        body = request.json() or {}
        model = body.get("model", "")
        content = self.responder(model, body.get("messages", []))
        return self._unknown(model) or self._finish(model, body, body.get("stream", True), "message",
                                                    {"role": "assistant", "content": content})
