"""Validate what an emulator answered against the service's OpenAPI document in ``shared/specs``.

Each recorded exchange is matched to the spec's operation (method + path
template) and its JSON body validated against the response schema for that
status (OpenAPI 3.0 rules: ``nullable``, ``$ref`` into ``components``). An
emulator that answers a path, status or shape the spec does not define fails.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, OAS31Validator

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs"


@cache
def load_spec(relative: str) -> dict[str, Any]:
    """The parsed OpenAPI (JSON) or Swagger/OpenAPI (YAML) document, e.g. ``sonarr/openapi-v3.json``."""
    path = SPECS / relative
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


class OpenApiSpec:
    """Operations of one spec; ``base_path`` is prepended to its paths (e.g. ``/v4`` for TVDB)."""

    def __init__(self, relative: str, base_path: str = ""):
        self.doc = load_spec(relative)
        self.components = self.doc.get("components", {})
        self.validator_cls = OAS31Validator if str(self.doc.get("openapi", "")).startswith("3.1") else OAS30Validator
        self.routes: list[tuple[str, re.Pattern[str], str, dict[str, Any]]] = []
        for template, item in self.doc["paths"].items():
            pattern = re.compile(re.escape(base_path) + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)))
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    self.routes.append((method.upper(), pattern, template, operation))
        # literal segments win over parameters: /series/lookup before /series/{id}
        self.routes.sort(key=lambda r: r[2].count("{"))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """The (template, operation) for a request; ``AssertionError`` when the spec has none."""
        for op_method, pattern, template, operation in self.routes:
            if op_method == method.upper() and pattern.fullmatch(path):
                return template, operation
        raise AssertionError(f"{method} {path} is not in the spec")

    def errors(self, method: str, path: str, status: int, body: bytes, content_type: str) -> list[str]:
        """Schema violations of one answer (empty when it conforms)."""
        template, operation = self.operation(method, path)
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if response is None:
            if status >= 400:  # error statuses the spec leaves out (401, 404...) carry no schema
                return []
            return [f"{method} {template}: status {status} not in the spec ({sorted(responses)})"]
        media = (response.get("content") or {})
        schema = next((m.get("schema") for t, m in media.items() if "json" in t), None)
        if schema is None or "json" not in content_type:
            return []
        validator = self.validator_cls({**schema, "components": self.components})
        data = json.loads(body)
        return [f"{method} {template} -> {status}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(data)]

    def check_exchanges(self, exchanges: list) -> int:
        """Assert every recorded exchange conforms; returns how many were checked."""
        problems = []
        for request, status, body, content_type in exchanges:
            problems += self.errors(request.method, request.path, status, body, content_type)
        assert problems == [], "\n".join(problems[:20])
        return len(exchanges)
