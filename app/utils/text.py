"""Comparing titles the way people type them: without accents, case or punctuation ("Amelie" finds
"Amélie", "amelie poulain" finds "Le Fabuleux Destin d'Amélie Poulain")."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")


def strip_accents(text: str) -> str:
    """``text`` without its combining accents (Unicode NFKD, marks dropped): ``Amélie`` -> ``Amelie``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """The form titles are compared in: accents dropped, case-folded, punctuation as single spaces."""
    return _NON_WORD.sub(" ", strip_accents(text).casefold()).strip()


def matches(query: str, *titles: str | None) -> bool:
    """Whether every word of ``query`` appears in one of ``titles`` (accent- and case-insensitive)."""
    words = fold(query).split()
    return any(all(word in folded for word in words) for folded in (fold(t) for t in titles if t))
