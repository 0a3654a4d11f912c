"""French release tags as the TRaSH-Guides French custom formats name them (VFF, VOF, VFI, VF2, VFQ, VOQ, VQ,
VFB, VOSTFR, MULTi, FanSUB, FastSUB), so a rule can prefer VFF over VFQ or refuse VQ, and a Sonarr/Radarr user
finds the names of their own custom formats.

Source: TRaSH-Guides, French guide, custom formats ``docs/json/radarr/cf/*.json`` (``ReleaseTitleSpecification``
regexes, case-insensitive as Radarr applies them). What each tag means:

=========  =============================================================================
MULTi      several audio tracks, French among them (not "Multi-Subs")
VFF        France French dub (``VFF``, ``TRUEFRENCH``)
VOF        original version, French (a French film in its own language)
VFI        international French dub (the one distributors ship outside France)
VF2        both France and Québec dubs (``VF2``, ``VFF.VFQ``)
VFQ        Québec French dub
VOQ        original version, Québec (a Québec film)
VQ         Québec street-French dub (often refused)
VFB        Belgian French dub
VOSTFR     original audio with French subtitles (``VOSTFR``, ``SUBFRENCH``)
FanSUB     subtitles made by fans
FastSUB    subtitles made quickly, often by machine
=========  =============================================================================

Tags are read outside the title (``Le Film VQ`` is not a VQ release), like the audio class of
:mod:`app.utils.media.releases`.
"""

from __future__ import annotations

import re

#: Tag -> (patterns of which one must match, patterns none of which may match), as the custom formats say.
TRASH_FRENCH_FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "MULTi": ((r"\b(MULTi)(?![ ._-]?sub(s)?)(\b|\d)",), ()),
    "VFF": ((r"\b(TRUEFRENCH|VFF)\b",), (r"\b(VF2|(VF(F|Q)[ .]VF(F|Q)))\b",)),
    "VOF": ((r"\b(VOF)\b",), ()),
    "VFI": ((r"\b(VFI)\b",), ()),
    "VF2": ((r"\b(VF2)\b", r"\b(VF(F|Q)[ .]VF(F|Q))\b"), ()),
    "VFQ": ((r"\b(VFQ)\b",), (r"\b(VF2|(VF(F|Q)[ .]VF(F|Q)))\b",)),
    "VOQ": ((r"\b(VOQ)\b",), ()),
    "VQ": ((r"\b(VQ)\b",), ()),
    "VFB": ((r"\b(VFB)\b",), ()),
    "VOSTFR": ((r"\b(VOST.*?FR(E|A)?)\b", r"\b(SUBFR(A|ENCH)?)\b"), ()),
    "FanSUB": ((r"\b(FAN[ ._-]?SUB(S)?)\b",), ()),
    "FastSUB": ((r"\b(FAST[ ._-]?SUB(S)?)\b",), ()),
}
FRENCH_TAGS = tuple(TRASH_FRENCH_FORMATS)
_COMPILED = {tag: (tuple(re.compile(p, re.I) for p in wanted), tuple(re.compile(p, re.I) for p in refused))
             for tag, (wanted, refused) in TRASH_FRENCH_FORMATS.items()}
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")


def _after_title(name: str, title: str) -> str:
    """``name`` from the first token after the leading tokens equal to ``title``'s (the tags' search area)."""
    title_tokens = [t.upper() for t in _TOKEN_RE.findall(title)]
    position, matched = 0, 0
    for match in _TOKEN_RE.finditer(name):
        if matched < len(title_tokens) and match.group().upper() == title_tokens[matched]:
            matched += 1
            position = match.end()
            continue
        break
    return name[position:]


def french_tags(name: str, title: str = "") -> tuple[str, ...]:
    """The TRaSH French tags of a release name, in :data:`FRENCH_TAGS` order; ``title`` (the parsed title)
    keeps words of the title out. Never raises."""
    area = _after_title(name, title) if title else name
    return tuple(tag for tag, (wanted, refused) in _COMPILED.items()
                 if any(p.search(area) for p in wanted) and not any(p.search(area) for p in refused))
