"""JSON API conventions (DESIGN.md, JSON API conventions), registered in one place.

Every answer under ``/api/`` is JSON, errors included:
``{"error": {"code": "...", "message": "...", "fields": {...}?}}`` with the real
HTTP status. Upstream errors map to 502/504/404; bad input to 400/422 naming
the field; anything unexpected to a JSON 500 (logged), never an HTML page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import orjson
from flask import Flask, Response, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from app.i18n import gettext, say, upstream_message
from app.utils.clients.errors import UpstreamError
from app.utils.messages import Refusal
from app.utils.settings_schema import N_, env_name
from app.utils.stores.json_store import StoreCorruptError, StoreError, StoreLockTimeout, StoreSchemaError
from app.utils.stores.settings_manager import SettingsError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An error answered as JSON: ``status`` (HTTP), ``code`` (stable, snake_case), ``message``."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    """The one error shape."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def is_api_request() -> bool:
    """Whether the current request is to the JSON API."""
    return request.path.startswith("/api/") or request.path == "/api"


def parse_body(model: type[M]) -> M:
    """Validate the JSON body against ``model``; raises :class:`ApiError` 400 (not JSON) or 422 (fields)."""
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "invalid_json", _("The request body must be JSON (nested at most %(depth)s levels).",
                                              depth=MAX_JSON_DEPTH))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "validation_error", _("Some values are invalid: see each field."),
                       validation_fields(exc)) from None


def parse_query(model: type[M]) -> M:
    """Validate the query string against ``model`` (each parameter once); raises :class:`ApiError` 400
    naming each bad parameter (``limit=abc``)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError(400, "invalid_query", _("Some query parameters are invalid."), validation_fields(exc)) from None


#: pydantic error types (https://docs.pydantic.dev/latest/errors/validation_errors/) -> a sentence for people;
#: ``%(name)s`` places are filled from the error's ``ctx``.
VALIDATION_MESSAGES = {
    "missing": N_("Required."),
    "extra_forbidden": N_("Unknown field."),
    "string_type": N_("Enter text."),
    "string_too_short": N_("At least %(min_length)s character(s)."),
    "string_too_long": N_("At most %(max_length)s character(s)."),
    "string_pattern_mismatch": N_("This value does not have the expected form."),
    "int_type": N_("Enter a whole number."),
    "int_parsing": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "float_type": N_("Enter a number."),
    "float_parsing": N_("Enter a number."),
    "bool_type": N_("Enter yes or no (true or false)."),
    "bool_parsing": N_("Enter yes or no (true or false)."),
    "greater_than": N_("Must be more than %(gt)s."),
    "greater_than_equal": N_("Must be %(ge)s or more."),
    "less_than": N_("Must be less than %(lt)s."),
    "less_than_equal": N_("Must be %(le)s or less."),
    "literal_error": N_("Choose one of: %(expected)s."),
    "enum": N_("Choose one of: %(expected)s."),
    "list_type": N_("Enter a list."),
    "dict_type": N_("Enter an object."),
    "model_type": N_("Enter an object."),
    "too_short": N_("At least %(min_length)s item(s)."),
    "too_long": N_("At most %(max_length)s item(s)."),
    "url_parsing": N_("Enter a valid address (URL)."),
    "json_invalid": N_("This is not valid JSON."),
}


def validation_message(err: dict[str, Any]) -> str:
    """One pydantic error for people, in the request's language: :data:`VALIDATION_MESSAGES` by type; a
    ``value_error`` raised by our validators is translated as its own message id; else pydantic's text."""
    template = VALIDATION_MESSAGES.get(err.get("type", ""))
    if template:
        try:
            # pydantic writes its lists in English ("'a', 'b' or 'c'"): the last "or" becomes a comma
            return gettext(template, **{k: str(v).replace("' or '", "', '") for k, v in (err.get("ctx") or {}).items()})
        except (KeyError, ValueError, TypeError):
            return gettext(template)
    if err.get("type") in ("value_error", "assertion_error") and err.get("ctx", {}).get("error") is not None:
        error = err["ctx"]["error"]
        return say(error) if isinstance(error, Refusal) else gettext(str(error))
    return str(err.get("msg", ""))


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """``{"field.path": "message"}`` from a pydantic error, messages in the request's language."""
    return {".".join(str(p) for p in err["loc"]) or "body": validation_message(err) for err in exc.errors()}


def _store_status(exc: StoreError) -> tuple[int, str]:
    if isinstance(exc, StoreCorruptError):
        return 503, "store_corrupt"
    if isinstance(exc, StoreSchemaError):
        return 503, "store_schema"
    if isinstance(exc, StoreLockTimeout):
        return 503, "store_busy"
    return 500, "store_error"


#: Deepest nesting of arrays/objects accepted in a JSON body (deeper input costs recursion, not data).
MAX_JSON_DEPTH = 32
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of a JSON text (strings skipped), counted up to ``limit + 1`` and stopped there:
    cheap on any input (one regex pass, no recursion)."""
    data = raw.encode() if isinstance(raw, str) else raw
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


class DepthLimitedJSON(DefaultJSONProvider):
    """Flask's JSON provider refusing bodies nested deeper than :data:`MAX_JSON_DEPTH` (``ValueError``, so
    ``get_json`` reports a bad body) before the parser recurses into them; answers are encoded by orjson
    (several times faster than the standard library on the pending map), falling back to Flask's encoder
    for what orjson does not know."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if json_depth(s) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return super().loads(s, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, default=self.default, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            return super().dumps(obj)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype=self.mimetype)


def install_api_conventions(app: Flask) -> None:
    """The JSON provider with its depth limit; ``//`` in a path is a 404 (JSON under /api), not a
    redirect; then the error handlers."""
    app.json_provider_class = DepthLimitedJSON
    app.json = DepthLimitedJSON(app)
    app.url_map.merge_slashes = False
    register_error_handlers(app)


def register_error_handlers(app: Flask) -> None:
    """Install the API error handlers (JSON on /api, messages on pages)."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return error_response(422, "validation_error", _("Some values are invalid: see each field."),
                              validation_fields(exc))

    @app.errorhandler(Refusal)
    def _refusal(exc: Refusal):
        if is_api_request():
            return error_response(exc.status, exc.code, say(exc))
        return _page_error(exc.status, say(exc))

    @app.errorhandler(SettingsError)
    def _settings(exc: SettingsError):
        fields = {f: validation_message(exc.errors[f]) if f in exc.errors else gettext(msg)
                  for f, _src, msg in exc.problems}
        if is_api_request():
            details = "; ".join(f"{env_name(f)}: {text}" for f, text in fields.items())
            return error_response(422, "invalid_setting", _("Invalid settings: %(details)s", details=details), fields)
        return _page_error(422, str(exc))

    @app.errorhandler(UpstreamError)
    def _upstream(exc: UpstreamError):
        if is_api_request():
            return error_response(exc.status_code, exc.code, upstream_message(exc))
        return _page_error(exc.status_code, upstream_message(exc))

    @app.errorhandler(StoreError)
    def _store(exc: StoreError):
        status, code = _store_status(exc)
        log.error("store error on %s: %s", request.path, exc)
        if is_api_request():
            return error_response(status, code, str(exc))
        return _page_error(status, str(exc))

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        if is_api_request():
            return error_response(400, "csrf_failed", _("The form expired or did not come from MMS. Reload the page "
                                                        "and try again."))
        # never a redirect to the Referer (an open redirect a forged form could steer): say it here
        return _page_error(400, _("The form expired or did not come from MMS. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if is_api_request():
            code = (exc.name or "error").lower().replace(" ", "_")
            generic = exc.description == type(exc).description and (exc.code or 500) in _PAGE_MESSAGES
            message = _PAGE_MESSAGES[exc.code or 500]() if generic else exc.description or exc.name
            return error_response(exc.code or 500, code, message)
        if exc.code is None or exc.code < 400 or exc.response is not None:
            return exc  # redirects and ready-made answers pass through
        return _page_error(exc.code, _PAGE_MESSAGES.get(exc.code, _PAGE_MESSAGES[400])())

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        if is_api_request():
            return error_response(500, "internal_error", _("Unexpected error (%(kind)s); the details are in the log.",
                                                          kind=type(exc).__name__))
        return _page_error(500, _("Unexpected error; the details are in the log."))


_PAGE_MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You may not open this page."),
    404: lambda: _("This page does not exist. Check the address, or go back to the dashboard."),
    405: lambda: _("This action is not possible on this page."),
    413: lambda: _("What you sent is too large."),
    429: lambda: _("Too many requests: wait a moment and try again."),
}


def _page_error(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


def streamed(make: Callable[[], Iterator[str]]) -> Iterator[str]:
    """The body of a streamed response: ``make()``'s generator run with the app's context and the request's
    language around each step, never across a ``yield`` (Flask's ``stream_with_context`` keeps the request
    context open between steps, and a stream closed later, from elsewhere, then pops it in the wrong place).
    Call it during the request: it reads the app and the language then."""
    from flask import current_app
    from flask_babel import force_locale, get_locale

    app, language = current_app._get_current_object(), str(get_locale() or "fr")

    def run() -> Iterator[str]:
        steps: Iterator[str] | None = None
        try:
            while True:
                with app.app_context(), force_locale(language):
                    steps = steps if steps is not None else make()
                    try:
                        piece = next(steps)
                    except StopIteration:
                        return
                yield piece
        finally:  # the client left: the steps' own cleanup runs now, in the app's context
            if steps is not None:
                with app.app_context():
                    steps.close()

    return run()
