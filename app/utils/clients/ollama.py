"""Ollama client, through the official ``ollama`` package (``shared/specs/ollama/api.md``).

``GET /api/tags`` lists the local models, ``POST /api/generate`` and
``POST /api/chat`` answer (``stream: false``: one JSON object). No
authentication on a LAN install. Generation is not retried (not idempotent in
cost); listing is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import ollama
from pydantic import ValidationError

from app.utils.clients.arr import retry_read
from app.utils.clients.base import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    ConnectionReport,
    not_configured,
    run_connection_test,
)
from app.utils.clients.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.utils.settings_schema import Settings

SERVICE = "Ollama"
T = TypeVar("T")


@dataclass(frozen=True)
class ChatChunk:
    """One line of a streamed chat: ``text`` (a piece of the reply), ``tool_calls`` (``[{"name",
    "arguments"}]``), ``done`` (the last line)."""

    text: str
    tool_calls: list[dict[str, Any]]
    done: bool


@dataclass(frozen=True)
class OllamaModel:
    """An installed model: ``name`` (``llama3.1:8b``) and ``size`` in bytes."""

    name: str
    size: int
    family: str | None = None
    parameter_size: str | None = None


class OllamaClient:
    """Ollama at ``ollama_url``; ``model`` is the default model; ``timeout`` (connect, read) seconds."""

    def __init__(self, base_url: str, model: str = "",
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.api = ollama.Client(host=self.base_url,
                                 timeout=httpx.Timeout(timeout[1], connect=timeout[0]))

    @classmethod
    def from_settings(cls, settings: Settings) -> OllamaClient:
        """A client for ``ollama_url`` / ``ollama_model``."""
        return cls(settings.ollama_url, settings.ollama_model, timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s))

    def close(self) -> None:
        """Close the HTTP connections."""
        self.api._client.close()

    def __enter__(self) -> OllamaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except ollama.ResponseError as exc:
            status = exc.status_code
            if status in (401, 403):
                raise UpstreamAuthError(SERVICE, f"HTTP {status}", setting="OLLAMA_URL") from None
            if status == 404:
                raise UpstreamNotFound(SERVICE, exc.error or "not found") from None
            if status is not None and status >= 500:
                raise UpstreamServerError(SERVICE, f"server error (HTTP {status}): {exc.error}") from None
            raise UpstreamBadResponse(SERVICE, f"request refused (HTTP {status}): {exc.error}") from None
        except httpx.TimeoutException:
            raise UpstreamTimeout(SERVICE, f"no answer within {self.timeout[1]:g} s") from None
        except (ConnectionError, httpx.TransportError):
            raise UpstreamUnavailable(SERVICE, f"cannot connect to {self.base_url}: connection refused") from None
        except (json.JSONDecodeError, ValidationError, TypeError) as exc:
            raise UpstreamBadResponse(SERVICE, f"the answer is not what the API documents ({type(exc).__name__})"
                                      ) from None

    @retry_read
    def models(self) -> list[OllamaModel]:
        """``GET /api/tags``."""
        listed = self._run(self.api.list)
        return [OllamaModel(m.model or "", int(m.size or 0), m.details.family if m.details else None,
                            m.details.parameter_size if m.details else None) for m in listed.models]

    def generate(self, prompt: str, *, model: str | None = None, system: str | None = None,
                 fmt: str | dict[str, Any] | None = None) -> str:
        """``POST /api/generate`` (no streaming): the model's answer text."""
        answer = self._run(lambda: self.api.generate(model=model or self.model, prompt=prompt, system=system,
                                                     format=fmt, stream=False))
        return answer.response

    def chat(self, messages: list[dict[str, str]], *, model: str | None = None) -> str:
        """``POST /api/chat`` (no streaming) with ``[{"role", "content"}]``: the assistant's reply."""
        answer = self._run(lambda: self.api.chat(model=model or self.model, messages=messages, stream=False))
        return answer.message.content or ""

    def chat_json(self, messages: list[dict[str, Any]], schema: dict[str, Any], *, model: str | None = None) -> str:
        """``POST /api/chat`` with ``format`` = a JSON schema (structured outputs, ``api.md`` "Structured
        outputs"): the reply's text, which the caller validates (a model may still answer off-schema)."""
        answer = self._run(lambda: self.api.chat(model=model or self.model, messages=messages, format=schema,
                                                 stream=False, options={"temperature": 0}))
        return answer.message.content or ""

    def chat_stream(self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None,
                    model: str | None = None) -> Iterator[ChatChunk]:
        """``POST /api/chat`` streamed (NDJSON, ``api.md`` "Chat request (Streaming with tools)"): a
        :class:`ChatChunk` per line: text pieces, then the tool calls the model asks for. Raises the
        ``UpstreamError`` kinds, also while the stream is read."""
        stream = self._run(lambda: self.api.chat(model=model or self.model, messages=messages, tools=tools or None,
                                                 stream=True))
        iterator = iter(stream)
        while True:
            part = self._run(lambda: next(iterator, None))
            if part is None:
                return
            message = part.message
            calls = [{"name": c.function.name, "arguments": dict(c.function.arguments or {})}
                     for c in (message.tool_calls or [])]
            yield ChatChunk(text=message.content or "", tool_calls=calls, done=bool(part.done))

    def capabilities(self, model: str | None = None) -> list[str]:
        """``POST /api/show``: what the model can do (``completion``, ``tools``, ``vision``...). Raises
        ``UpstreamNotFound`` when the model is not installed."""
        shown = self._run(lambda: self.api.show(model or self.model))
        return list(shown.capabilities or [])

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """List the models and say whether ``ollama_model`` is among them."""
        if not settings.ollama_url:
            return not_configured(SERVICE, "OLLAMA_URL")
        def probe() -> str:
            with cls.from_settings(settings) as client:
                names = [m.name for m in client.models()]
            wanted = settings.ollama_model
            found = any(n.split(":")[0] == wanted.split(":")[0] for n in names)
            suffix = "" if found or not wanted else f"; model {wanted} is not installed"
            return f"{len(names)} model(s){suffix}"

        return run_connection_test(SERVICE, probe)
