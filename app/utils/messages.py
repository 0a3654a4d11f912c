"""Errors that carry their text as a message id and values, so every page can say them in its language.

``str(error)`` is the English sentence (logs, tests); :func:`app.i18n.say` gives the reader's language.
The message ids are marked with ``N_`` where they are raised, so the catalog extraction finds them.
"""

from __future__ import annotations

from typing import Any


def N_(text: str) -> str:
    """Mark ``text`` for the catalog (``pybabel extract -k N_``) without translating it here: it is
    translated where it is shown, in the reader's language."""
    return text


class Refusal(ValueError):
    """Something refused with a reason for people: ``msgid`` (``%(name)s`` places) and ``params``; ``status``
    (HTTP, 422 unless a subclass or the raise says otherwise) and ``code`` are how the API answers it
    (``app/api.py`` answers every Refusal the same way)."""

    status = 422
    code = "refused"

    def __init__(self, msgid: str, status: int | None = None, **params: Any):
        self.msgid, self.params = msgid, params
        if status is not None:
            self.status = status
        try:
            text = msgid % params if params else msgid
        except (KeyError, TypeError, ValueError):
            text = msgid
        super().__init__(text)
