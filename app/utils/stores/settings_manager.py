"""Owner of ``instance/settings.json``: layered settings with one precedence rule.

Precedence: environment (including ``.env``, loaded by python-dotenv at start)
> ``instance/settings.json`` (edited on the Configuration page) > the defaults
declared in :mod:`app.utils.settings_schema`. Values are read from disk on every
:meth:`SettingsManager.load`, so a change saved by any process applies at once.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_origin

import orjson
from blinker import Namespace
from pydantic import ValidationError

from app.utils.settings_schema import CHOICE_LABELS, N_, SECRET_HOSTS, Settings, env_name, field_meta, secret_fields
from app.utils.stores.json_store import JsonStore, StoreError
from app.utils.urls import same_host

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
#: Sent (sender: the :class:`SettingsManager`) after every successful save in this process; the job
#: runner listens to apply new schedules at once.
settings_saved = Namespace().signal("mms-settings-saved")
SECRET_MASK = "••••••••"


class SettingsError(ValueError):
    """One or more settings are invalid; the message names each setting and where it came from."""

    def __init__(self, problems: list[tuple[str, str, str]], errors: dict[str, dict[str, Any]] | None = None):
        self.problems = problems  # (field, source, message: English, a message id)
        #: field -> the pydantic error behind its problem (type + ctx), to say it in the reader's language
        self.errors = errors or {}
        text = "; ".join(f"setting {env_name(f)} (from {src}): {msg}" for f, src, msg in problems)
        super().__init__(f"Invalid settings: {text}")


_ENV_NAMES = tuple(env_name(field) for field in Settings.model_fields)
_ENV_KEYS = tuple(os.fsencode(name) for name in _ENV_NAMES)


def _is_structured(field: str) -> bool:
    annotation = Settings.model_fields[field].annotation
    return get_origin(annotation) in (dict, list)


def _masked_keys(field: str) -> list[str]:
    return list(field_meta(field).get("masked_keys") or [])


def _mask(field: str, value: Any) -> Any:
    """Secrets inside a structured value (``api_key`` of each indexer) replaced by the mask."""
    keys = _masked_keys(field)
    if not keys or not isinstance(value, list):
        return value
    return [{k: (SECRET_MASK if k in keys and v else v) for k, v in item.items()} if isinstance(item, dict) else item
            for item in value]


def unmask_secrets(field: str, value: Any, current: Any) -> Any:
    """Put back the stored secret where the browser sent the mask (matched by ``name``), only when the
    item's URL is on the same host as the stored one; else :class:`SettingsError` asks to type it again."""
    keys = _masked_keys(field)
    if not keys or not isinstance(value, list):
        return value
    stored = {getattr(item, "name", None): item for item in current or []}
    out = []
    for item in value:
        if isinstance(item, dict):
            item = dict(item)
            for key in keys:
                if item.get(key) == SECRET_MASK:
                    old = stored.get(item.get("name"))
                    if old is not None and not same_host(getattr(old, "url", ""), str(item.get("url", ""))):
                        raise SettingsError([(field, "request", f"{item.get('name')}: the URL's host changed, "
                                              f"type the {key} again (a saved secret never goes to another host)")])
                    item[key] = getattr(old, key, "")
        out.append(item)
    return out


def secrets_for_new_hosts(current: Settings, changes: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Problems for each saved secret that ``changes`` would send to another host: the host setting of
    the secret (:data:`SECRET_HOSTS`) names a new host while the secret itself is not typed again
    (absent, ``None``, empty or the mask). A saved secret is never sent to a host it was not saved for."""
    problems = []
    for secret, host_field in SECRET_HOSTS.items():
        if host_field not in changes or not getattr(current, secret):
            continue
        typed = changes.get(secret) not in (None, "", SECRET_MASK)
        if not typed and not same_host(getattr(current, host_field), str(changes[host_field] or "")):
            problems.append((secret, "request", N_("the host changed: type this secret again "
                                                   "(a saved secret never goes to another host)")))
    return problems


class SettingsManager:
    """Reads, validates and saves the settings.

    ``environ`` defaults to :data:`os.environ` (read at each call, so tests and
    ``.env`` changes made before start-up are seen).
    """

    def __init__(self, instance_path: Path | str, environ: Mapping[str, str] | None = None):
        self.store = JsonStore(Path(instance_path) / SETTINGS_FILE, schema_version=1)
        self._environ = environ
        self._reported: str | None = None
        self._loaded: tuple[tuple, Settings] | None = None
        self._public: tuple[tuple, list[dict[str, Any]]] | None = None

    # -- layers --------------------------------------------------------------------
    def _env_values(self) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        environ = os.environ if self._environ is None else self._environ
        values: dict[str, Any] = {}
        problems: list[tuple[str, str, str]] = []
        for field in Settings.model_fields:
            raw = environ.get(env_name(field))
            if raw is None:
                continue
            if _is_structured(field):
                try:
                    values[field] = json.loads(raw)
                except json.JSONDecodeError as exc:
                    problems.append((field, "environment", f"not valid JSON ({exc.msg})"))
                continue
            values[field] = raw
        return values, problems

    def _file_values(self) -> dict[str, Any]:
        """The values of settings.json; an unreadable file gives none (defaults and the environment
        apply, the app keeps running, the health page and the dashboard report the file)."""
        try:
            data = self.store.read_shared()
        except StoreError as exc:
            if str(exc) != self._reported:
                self._reported = str(exc)
                log.error("settings.json unreadable, running on defaults and the environment: %s", exc)
            return {}
        unknown = set(data) - set(Settings.model_fields)
        if unknown:
            log.warning("settings.json: ignoring unknown settings %s", ", ".join(sorted(unknown)))
        return {k: v for k, v in data.items() if k in Settings.model_fields}

    def sources(self) -> dict[str, str]:
        """Where each field's value comes from: ``environment``, ``settings.json`` or ``default``."""
        env, _ = self._env_values()
        stored = self._file_values()
        return {
            field: "environment" if field in env else "settings.json" if field in stored else "default"
            for field in Settings.model_fields
        }

    def _validate(self, merged: dict[str, Any], sources: dict[str, str]) -> Settings:
        try:
            return Settings.model_validate(merged)
        except ValidationError as exc:
            problems, errors = [], {}
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else "?"
                problems.append((field, sources.get(field, "settings.json"), err["msg"]))
                errors.setdefault(field, err)
            raise SettingsError(problems, errors) from None

    def load(self, fresh: bool = False) -> Settings:
        """The current settings. Raises :class:`SettingsError` naming every bad setting.

        Validated once per version of settings.json and of the environment's values (an immutable
        :class:`Settings` is shared between callers). A save through this manager shows at the next
        call; one by another process within :data:`~app.utils.stores.json_store.SHARED_RECHECK_S`
        seconds, or at once with ``fresh``.
        """
        if fresh:
            self.store.version(fresh=True)
        key = self._version()
        cached = self._loaded
        if cached is not None and cached[0] == key:
            return cached[1]
        settings = self._load()
        self._loaded = (key, settings)
        return settings

    def _version(self) -> tuple:
        """What the settings depend on: settings.json's signature and the environment's values of the
        settings' variables (read from the process environment's raw table when there is one)."""
        if self._environ is None:
            raw = getattr(os.environ, "_data", None)
            if isinstance(raw, dict):
                env = tuple(raw.get(name) for name in _ENV_KEYS)
            else:
                env = tuple(os.environ.get(name) for name in _ENV_NAMES)
        else:
            env = tuple(self._environ.get(name) for name in _ENV_NAMES)
        return self.store.version(), env

    def _load(self) -> Settings:
        env, problems = self._env_values()
        if problems:
            raise SettingsError(problems)
        stored = self._file_values()
        merged = {**stored, **env}
        sources = {f: ("environment" if f in env else "settings.json") for f in merged}
        return self._validate(merged, sources)

    @staticmethod
    def validate_data(data: Any) -> None:
        """Check a ``settings.json`` data object (a restore's) with the settings model, before it replaces
        anything. Raises ``ValueError`` naming the bad settings."""
        if not isinstance(data, dict):
            raise ValueError("settings.json data must be an object")
        values = {k: v for k, v in data.items() if k in Settings.model_fields}
        try:
            Settings.model_validate(values)
        except ValidationError as exc:
            raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
                             ) from None

    # -- editing ---------------------------------------------------------------------
    def save(self, changes: Mapping[str, Any]) -> Settings:
        """Validate ``changes`` merged over the current values and write them to settings.json.

        A secret given as ``None`` keeps its stored value. Fields set by the
        environment cannot be changed here. Raises :class:`SettingsError`
        (nothing is written).
        """
        env, _ = self._env_values()
        problems = [(f, "request", N_("unknown setting")) for f in changes if f not in Settings.model_fields]
        problems += [
            (f, "environment", N_("set by the environment; change it there")) for f in changes if f in env
        ]
        if problems:
            raise SettingsError(problems)
        current = self.load()
        problems = [p for p in secrets_for_new_hosts(current, changes) if p[0] not in changes]
        if problems:
            raise SettingsError(problems)
        changes = {k: v for k, v in changes.items() if not (k in secret_fields() and v is None)}
        changes = {k: unmask_secrets(k, v, getattr(current, k)) for k, v in changes.items()}

        def apply(data: dict[str, Any]) -> Settings:
            stored = {k: v for k, v in data.items() if k in Settings.model_fields}
            merged = {**stored, **changes, **env}
            sources = {f: "request" if f in changes else "settings.json" for f in merged}
            settings = self._validate(merged, sources)
            for field in changes:
                data[field] = settings.model_dump(mode="json")[field]
            return settings

        saved = self.store.update(apply)
        settings_saved.send(self)
        return saved

    def public_view(self) -> list[dict[str, Any]]:
        """The fields for the browser: value (secrets masked), source, metadata and limits (built once
        per version of the settings; each call gets its own copy)."""
        key = self._version()
        cached = self._public
        if cached is None or cached[0] != key:
            cached = (key, self._public_view())
            self._public = cached
        return orjson.loads(orjson.dumps(cached[1]))  # a copy each caller owns (orjson: ~20x deepcopy)

    def _public_view(self) -> list[dict[str, Any]]:
        settings = self.load()
        sources = self.sources()
        secrets = secret_fields()
        out = []
        for field, info in Settings.model_fields.items():
            value = getattr(settings, field)
            meta = field_meta(field)
            item: dict[str, Any] = {
                "name": field,
                "env": env_name(field),
                "title": info.title or field,
                "group": meta.get("group", "general"),
                "kind": meta.get("kind", "text"),
                "source": sources[field],
                "secret": field in secrets,
            }
            if field in secrets:
                item["is_set"] = bool(value)
                item["value"] = SECRET_MASK if value else ""
            else:
                item["value"] = _mask(field, settings.model_dump(mode="json")[field])
            for rule in info.metadata:
                for attr in ("ge", "le", "min_length", "pattern"):
                    if getattr(rule, attr, None) is not None:
                        item[attr] = getattr(rule, attr)
            args = getattr(info.annotation, "__args__", None)
            if meta.get("kind") == "choice" and args:
                item["choices"] = list(args)
                item["choice_labels"] = CHOICE_LABELS.get(field, {})
            out.append(item)
        return out
