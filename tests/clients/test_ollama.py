"""Ollama client (the official package) against the Ollama emulator."""

from __future__ import annotations

import time

import pytest

from app.utils.clients.arr import READ_ATTEMPTS
from app.utils.clients.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.utils.clients.ollama import OllamaClient
from tests.emulators.ollama import OllamaEmulator
from tests.emulators.openapi import OpenApiSpec

TIMEOUT = (2.0, 1.0)


@pytest.fixture
def ollama_emu():
    emulator = OllamaEmulator(models=("llama3.1:8b", "mistral:7b")).start()
    yield emulator
    emulator.stop()
    OpenApiSpec("ollama/openapi.yaml").check_exchanges(emulator.exchanges)


@pytest.fixture
def make_client():
    made: list[OllamaClient] = []

    def make(url: str, model: str = "llama3.1:8b") -> OllamaClient:
        made.append(OllamaClient(url, model, timeout=TIMEOUT))
        return made[-1]

    yield make
    for client in made:
        client.close()


def test_models_generate_chat(ollama_emu, make_client) -> None:
    ollama_emu.responder = lambda model, prompt: f"{model} says: {prompt if isinstance(prompt, str) else prompt[-1]}"
    client = make_client(ollama_emu.url)
    models = client.models()
    assert [m.name for m in models] == ["llama3.1:8b", "mistral:7b"] and models[0].size == 4_920_753_328
    assert client.generate("Bonjour") == "llama3.1:8b says: Bonjour"
    assert ollama_emu.requests[-1].json()["stream"] is False
    reply = client.chat([{"role": "user", "content": "Salut"}], model="mistral:7b")
    assert reply.startswith("mistral:7b says:") and "Salut" in reply


def test_empty_and_unknown_model(ollama_emu, make_client) -> None:
    ollama_emu.models = []
    client = make_client(ollama_emu.url)
    assert client.models() == []
    with pytest.raises(UpstreamNotFound, match="not found"):
        client.generate("x")


def test_failures(ollama_emu, make_client) -> None:
    client = make_client(ollama_emu.url)
    ollama_emu.fail_next(401)  # an Ollama behind an authenticating reverse proxy
    with pytest.raises(UpstreamAuthError, match="OLLAMA_URL"):
        client.models()
    ollama_emu.fail_next("timeout")
    start = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        client.generate("x")
    assert time.monotonic() - start < TIMEOUT[1] + 1.5
    ollama_emu.fail_next(500, times=READ_ATTEMPTS)
    with pytest.raises(UpstreamUnavailable, match="HTTP 500"):
        client.models()
    ollama_emu.fail_next("malformed")
    with pytest.raises(UpstreamBadResponse):
        client.models()
    closed = OllamaEmulator().start()
    url = closed.url
    closed.stop()
    with pytest.raises(UpstreamUnavailable, match="connection refused"):
        make_client(url).generate("x")
