"""Ollama emulator (``shared/specs/ollama/api.md``): tags, show (capabilities), generate, chat with tool calls
and structured outputs; NDJSON when streaming."""

from __future__ import annotations

import json
import time
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
        #: Scripted chat answers: ``chat_responder(body) -> str | {"content", "tool_calls": [{"name",
        #: "arguments"}]}``; ``None``: :attr:`responder` on the messages.
        self.chat_responder: Callable[[dict[str, Any]], Any] | None = None
        #: Model -> what ``/api/show`` says it can do.
        self.capabilities: dict[str, list[str]] = {}
        #: Every chat request body, in order.
        self.chat_requests: list[dict[str, Any]] = []
        #: Seconds each chat waits before answering (a slow model).
        self.delay_s = 0.0
        self.route("POST", r"/api/show", self._show)
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

    def _show(self, request: Request) -> Reply:
        model = (request.json() or {}).get("model", "")
        unknown = self._unknown(model)
        if unknown:
            return unknown
        family = model.split(":")[0]
        return Reply(200, {"modelfile": f"FROM {model}", "parameters": "", "template": "{{ .Prompt }}",
                           "details": {"parent_model": "", "format": "gguf", "family": family, "families": [family],
                                       "parameter_size": "8.0B", "quantization_level": "Q4_K_M"},
                           "model_info": {"general.architecture": family},
                           "capabilities": self.capabilities.get(model, ["completion", "tools"]),
                           "modified_at": "2025-10-01T12:00:00.000000Z"})

    def _chat(self, request: Request) -> Reply:
        body = request.json() or {}
        self.chat_requests.append(body)
        model = body.get("model", "")
        unknown = self._unknown(model)
        if unknown:
            return unknown
        if self.delay_s:
            time.sleep(self.delay_s)
        answer = self.chat_responder(body) if self.chat_responder else self.responder(model, body.get("messages", []))
        if isinstance(answer, str):
            answer = {"content": answer, "tool_calls": []}
        calls = [{"function": {"name": c["name"], "arguments": c.get("arguments", {})}}
                 for c in answer.get("tool_calls") or []]
        if calls and "tools" not in self.capabilities.get(model, ["completion", "tools"]):
            return Reply(400, {"error": f"registry.ollama.ai/library/{model} does not support tools"})
        if not body.get("stream", True) or not calls:
            message = {"role": "assistant", "content": answer.get("content", "")}
            if calls:
                message["tool_calls"] = calls
            return self._finish(model, body, body.get("stream", True), "message", message)
        lines = [json.dumps({"model": model, "created_at": _now(), "done": False,
                             "message": {"role": "assistant", "content": "", "tool_calls": calls}})]
        lines.append(json.dumps({"model": model, "created_at": _now(), "done": True, "done_reason": "stop",
                                 "message": {"role": "assistant", "content": ""}, "total_duration": 1_000_000,
                                 "eval_count": 20}))
        return Reply(200, "\n".join(lines) + "\n", {"Content-Type": "application/x-ndjson"})
