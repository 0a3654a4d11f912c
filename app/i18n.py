"""Words shown by the browser's JavaScript, from the same Flask-Babel catalog as the pages.

Each page carries ``<script type="application/json" id="mms-i18n">`` with these words translated to the
page's language (a data block: no script runs); ``static/js/api.js`` reads it with ``t(key)``.
Technical values that reach the page (pipeline states, job statuses, media health categories) are
shown through this table, never raw.
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import format_decimal, get_locale, get_translations

from app.utils.clients.base import failure_code
from app.utils.clients.errors import UpstreamError
from app.utils.messages import Refusal
from app.utils.settings_schema import N_

#: Pipeline states (DESIGN.md, the pending map).
STATES = {
    "downloading": N_("downloading"), "completed": N_("finished on the seedbox"), "transferring": N_("transferring"),
    "transferred": N_("in staging"), "importing": N_("importing"), "imported": N_("imported"),
    "transfer_failed": N_("transfer failed"), "import_failed": N_("import failed"), "removed": N_("removed"),
}
#: Request states (app/media_requests/store.py).
REQUEST_STATES = {
    "pending": N_("pending"), "approved": N_("approved"), "grabbed": N_("grabbed"),
    "available": N_("available"), "declined": N_("declined"), "failed": N_("failed"), "withdrawn": N_("withdrawn"),
}
#: Job run statuses.
RUN_STATUSES = {"ok": N_("ok"), "partial": N_("partial"), "error": N_("error"), "skipped": N_("skipped"),
                "running": N_("running")}
#: Media health categories (app.utils.media.health.CATEGORIES) and scan phases/states.
HEALTH = {
    "broken_link": N_("broken link"), "link_loop": N_("link loop"), "inaccessible": N_("not readable (permissions)"),
    "empty": N_("empty file"), "too_small": N_("too small"), "io_error": N_("read error"),
    "unreadable_media": N_("unreadable media"), "corrupt_media": N_("corrupt media"),
    "basic": N_("basic"), "full": N_("full"), "queued": N_("queued"), "pending": N_("pending"),
    "cancelled": N_("cancelled"), "dry": N_("dry run"), "real": N_("real"), "running": N_("running"),
    "completed": N_("completed"), "error": N_("error"),
}
#: Size units (French: o, Ko, Mo, Go, To), for :func:`human_size` and the scripts' ``size()``.
UNITS = {"B": N_("B"), "KB": N_("KB"), "MB": N_("MB"), "GB": N_("GB"), "TB": N_("TB")}
#: Torrent states as the clients' adapters name them (app.utils.clients.torrent.TorrentInfo.state).
TORRENT_STATES = {
    "downloading": N_("downloading"), "seeding": N_("seeding"), "paused": N_("paused"), "checking": N_("checking"),
    "queued": N_("queued"), "error": N_("error"), "stalled": N_("stalled"), "unknown": N_("unknown"),
}
#: Other words of the scripts.
WORDS = {
    "deleted": N_("deleted"), "failed": N_("failed"), "sent": N_("sent"), "none": N_("none"),
    "eta": N_("remaining"), "close": N_("Close"), "offline": N_("MMS does not answer"),
    "trailer": N_("Trailer"),
}


def translations():
    """The request's catalog, looked up once per request (Flask-Babel resolves the locale and the catalog
    on every call otherwise); outside a request, Flask-Babel's own answer."""
    if not has_request_context():
        return get_translations()
    found = g.get("_mms_translations")
    if found is None:
        found = g._mms_translations = get_translations()
    return found


def gettext(text: str, **variables: object) -> str:
    """``text`` translated to the request's language, ``%(name)s`` placeholders filled (Flask-Babel's
    ``gettext``, with the catalog looked up once per request)."""
    translated = translations().ugettext(text)
    return translated % variables if variables else translated


_catalogs: dict[str, dict[str, dict[str, str]]] = {}


def run_result(run: dict | None) -> str:
    """A recorded job run's result in the request's language (its message id and values, when kept),
    else as recorded."""
    if not run:
        return ""
    if run.get("result_msgid"):
        try:
            return gettext(run["result_msgid"], **(run.get("result_params") or {}))
        except (KeyError, TypeError, ValueError):
            return run.get("result") or ""
    return run.get("result") or run.get("error") or ""


def localized_detail(message: dict | None, fallback: str | None = "") -> str | None:
    """A stored detail (``{"msgid", "params"}``, see ``MappingManager.transition``) in the request's
    language; params whose name ends in ``size`` are bytes and shown with :func:`human_size`, a param that is
    itself a stored detail is shown in the same language. ``fallback`` (the English text kept beside it) when
    there is no id or it does not format."""
    if not message or not message.get("msgid"):
        return fallback
    params = {k: human_size(v) if k.endswith("size") and isinstance(v, int | float)
              else localized_detail(v, "") if isinstance(v, dict) else v
              for k, v in (message.get("params") or {}).items()}
    try:
        return gettext(message["msgid"], **params)
    except (KeyError, TypeError, ValueError):
        return fallback


#: What a connection test's ``code`` means, for people (``%(service)s``, ``%(detail)s`` = the technical reason).
CONNECTION_MESSAGES = {
    "ok": N_("Connected: %(detail)s"),
    "refused": N_("%(service)s cannot be reached (%(detail)s)."),
    "timeout": N_("%(service)s did not answer in time (%(detail)s)."),
    "server_error": N_("%(service)s answered with a server error (%(detail)s)."),
    "auth": N_("%(service)s refused the credentials: check the API key, user name or password."),
    "auth_setting": N_("%(service)s refused the credentials: check %(setting)s."),
    "not_found": N_("%(service)s: nothing at this address (%(detail)s). Check the URL."),
    "bad_response": N_("%(service)s answered something unexpected (%(detail)s)."),
    "not_configured": N_("Not configured: fill in %(detail)s."),
    "host_key_changed": N_("The seedbox's SSH host key changed. If you re-installed the seedbox, trust the new key "
                           "on the Configuration page; otherwise someone may be in the middle."),
    "error": N_("Unexpected error (%(detail)s)."),
}
#: Success texts of connection tests that are words, not a product name and version.
CONNECTION_OK_TEXTS = (N_("API key accepted"),)


def connection_message(code: str, service: str, detail: str, setting: str | None = None) -> str:
    """A connection test's result in the request's language: the sentence for ``code`` with the
    ``service``'s name, the technical ``detail`` (English from the network layer, or the version) kept in it;
    for ``auth``, the ``setting`` to check when known."""
    if code == "auth" and setting:
        return gettext(CONNECTION_MESSAGES["auth_setting"], service=service, setting=setting)
    if code == "not_configured":
        detail = detail.removeprefix("not configured: set ")
    elif code == "ok" and detail in CONNECTION_OK_TEXTS:
        detail = gettext(detail)
    template = CONNECTION_MESSAGES.get(code, CONNECTION_MESSAGES["error"])
    return gettext(template, service=service, detail=detail)


#: ISO 639-2 codes (bibliographic and terminology forms, as Plex gives stream languages) -> ISO 639-1.
ISO_639_2 = {
    "fra": "fr", "fre": "fr", "eng": "en", "spa": "es", "deu": "de", "ger": "de", "ita": "it", "jpn": "ja",
    "kor": "ko", "zho": "zh", "chi": "zh", "por": "pt", "rus": "ru", "nld": "nl", "dut": "nl", "ara": "ar",
    "hin": "hi", "swe": "sv", "nor": "no", "dan": "da", "fin": "fi", "pol": "pl", "tur": "tr", "heb": "he",
    "ces": "cs", "cze": "cs", "hun": "hu", "ell": "el", "gre": "el", "tha": "th", "ukr": "uk", "ron": "ro",
    "rum": "ro", "cat": "ca", "eus": "eu", "baq": "eu", "bre": "br", "cos": "co", "oci": "oc",
}


def language_name(code: str) -> str:
    """A stream language code (``fra``, ``fre``, ``fr``, ``fr-CA``) as a word in the request's language
    (``français``); the code itself when unknown."""
    if not code:
        return ""
    base = code.split("-")[0].lower()
    short = ISO_639_2.get(base, base if len(base) == 2 else "")
    names = get_locale().languages if has_request_context() else {}
    return names.get(short, code) if short else code


def say(exc: Exception) -> str:
    """An error for people in the request's language: a :class:`Refusal` by its message id and values,
    an upstream failure by its kind (:func:`upstream_message`), anything else as its text."""
    if isinstance(exc, Refusal):
        try:
            return gettext(exc.msgid, **exc.params)
        except (KeyError, TypeError, ValueError):
            return str(exc)
    if isinstance(exc, UpstreamError):
        return upstream_message(exc)
    return str(exc)


def upstream_message(exc: UpstreamError) -> str:
    """An upstream failure for people, in the request's language: the sentence for its kind (the connection
    test's), the technical reason kept inside."""
    return connection_message(failure_code(exc), exc.service, exc.message, exc.setting)


def js_catalog() -> dict[str, dict[str, str]]:
    """Every table above, translated to the current request's language (built once per language)."""
    locale = str(get_locale())
    if locale not in _catalogs:
        _catalogs[locale] = {
            name: {key: gettext(text) for key, text in table.items()}
            for name, table in (("states", STATES), ("torrent", TORRENT_STATES), ("run", RUN_STATUSES),
                                ("health", HEALTH), ("words", WORDS), ("requests", REQUEST_STATES),
                                ("units", UNITS))}
    return _catalogs[locale]


def human_size(size: int | float | None) -> str:
    """A size in bytes for people, in the request's language: ``1,5 Go`` (decimal units, as disks and
    trackers count), ``812 o``; empty for ``None``."""
    if size is None:
        return ""
    value, unit = float(size), "B"
    for bigger in ("KB", "MB", "GB", "TB"):
        if abs(value) < 1000:
            break
        value, unit = value / 1000, bigger
    digits = 0 if unit == "B" or value >= 100 else 1
    return f"{format_decimal(round(value, digits), format='#,##0.#' if digits else '#,##0')} {gettext(UNITS[unit])}"
