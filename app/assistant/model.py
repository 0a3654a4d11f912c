"""Talking to the local model: the client, what it can do, and its failures in words for people.

Every call goes through :func:`client`; :class:`AssistantUnavailable` carries a message for people when
Ollama is not set up, the model is not installed, a call times out, or the model lacks a capability
(tools for the chat, vision for the poster check).
"""

from __future__ import annotations

from typing import Any

from app.extensions import managers
from app.i18n import say
from app.utils.clients.errors import UpstreamError, UpstreamNotFound, UpstreamTimeout
from app.utils.clients.ollama import OllamaClient
from app.utils.messages import N_, Refusal


class AssistantUnavailable(Refusal):
    """The assistant cannot answer now (the message says why and what to do)."""

    code = "assistant_unavailable"
    status = 503


def client() -> OllamaClient:
    """An Ollama client for the settings; :class:`AssistantUnavailable` when Ollama is not configured."""
    settings = managers().settings.load()
    if not settings.ollama_url or not settings.ollama_model:
        raise AssistantUnavailable(N_("Ollama is not set up: install it on a machine of your network, pull a "
                                      "model (ollama pull %(model)s), then fill in its address and model in "
                                      "Configuration › Ollama."), model=settings.ollama_model or "qwen3")
    return OllamaClient.from_settings(settings)


def unavailable(exc: UpstreamError) -> AssistantUnavailable:
    """The assistant's message for an Ollama failure."""
    model = managers().settings.load().ollama_model
    if isinstance(exc, UpstreamNotFound):
        return AssistantUnavailable(N_("The model %(model)s is not installed on Ollama: run ollama pull %(model)s "
                                       "on its machine, or choose another in Configuration › Ollama."), model=model)
    if isinstance(exc, UpstreamTimeout):
        return AssistantUnavailable(N_("Ollama did not answer in time (%(detail)s): the model may still be loading; "
                                       "try again in a minute, or raise the services' timeout."), detail=exc.message)
    return AssistantUnavailable(N_("Ollama cannot be reached: %(detail)s"), detail=say(exc))


def capabilities(ollama: OllamaClient) -> list[str]:
    """What the configured model can do; :class:`AssistantUnavailable` when it is missing or Ollama fails."""
    try:
        return ollama.capabilities()
    except UpstreamError as exc:
        raise unavailable(exc) from None


def require(capabilities_found: list[str], needed: str) -> None:
    """:class:`AssistantUnavailable` when the model lacks ``needed`` (``tools``, ``vision``)."""
    if needed in capabilities_found:
        return
    model = managers().settings.load().ollama_model
    if needed == "tools":
        raise AssistantUnavailable(N_("The model %(model)s cannot call tools, which the chat needs: choose one "
                                      "that can (qwen3, llama3.1, mistral...)."), model=model)
    raise AssistantUnavailable(N_("The model %(model)s cannot read images: the poster check needs one that can "
                                  "(qwen3-vl, llava...)."), model=model)


def status() -> dict[str, Any]:
    """For the page: ``{"ready", "message", "capabilities"}`` (never raises)."""
    try:
        with client() as ollama:
            found = capabilities(ollama)
    except AssistantUnavailable as exc:
        return {"ready": False, "message": say(exc), "capabilities": []}
    return {"ready": True, "message": "", "capabilities": found}
