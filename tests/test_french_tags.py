"""TRaSH-Guides French tags on release names (issue 15, item 4): each tag as Radarr evaluates the published
custom format (every required specification matches, no negated one does; case-insensitive), checked on every
name of the French corpus; tags sit beside the audio class and agree with it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.utils.media.releases import parse_release

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "french" / "french_releases.json"

#: The custom formats as TRaSH-Guides publishes them (``specifications``: name, negate, required, regex), in
#: the test's own copy so the implementation is checked against the format, not against itself.
FORMATS = {
    "MULTi": [("Multi", False, True, r"\b(MULTi)(?![ ._-]?sub(s)?)(\b|\d)")],
    "VFF": [("VFF", False, True, r"\b(TRUEFRENCH|VFF)\b"), ("Not VF2", True, True, r"\b(VF2|(VF(F|Q)[ .]VF(F|Q)))\b")],
    "VOF": [("VOF", False, True, r"\b(VOF)\b")],
    "VFI": [("VFI", False, True, r"\b(VFI)\b")],
    "VF2": [("VF2", False, False, r"\b(VF2)\b"), ("VFF VFQ", False, False, r"\b(VF(F|Q)[ .]VF(F|Q))\b")],
    "VFQ": [("VFQ", False, True, r"\b(VFQ)\b"), ("Not VF2", True, True, r"\b(VF2|(VF(F|Q)[ .]VF(F|Q)))\b")],
    "VOQ": [("VOQ", False, True, r"\b(VOQ)\b")],
    "VQ": [("VQ", False, True, r"\b(VQ)\b")],
    "VFB": [("VFB", False, True, r"\b(VFB)\b")],
    "VOSTFR": [("VOSTFR", False, False, r"\b(VOST.*?FR(E|A)?)\b"),
               ("SUBFRENCH", False, False, r"\b(SUBFR(A|ENCH)?)\b")],
    "FanSUB": [("FanSUB", False, True, r"\b(FAN[ ._-]?SUB(S)?)\b")],
    "FastSUB": [("FastSUB", False, True, r"\b(FAST[ ._-]?SUB(S)?)\b")],
}


def radarr_matches(specifications, name: str) -> bool:
    """Radarr's rule: all required specifications pass; of the others, at least one passes when any exist."""
    passed = [(required, bool(re.search(regex, name, re.I)) != negate)
              for _n, negate, required, regex in specifications]
    optional = [ok for required, ok in passed if not required]
    return all(ok for required, ok in passed if required) and (not optional or any(optional))


def names() -> list[str]:
    return sorted({r["name"] for r in json.loads(CORPUS.read_text())["records"]})


def test_tags_are_the_published_formats_on_the_corpus() -> None:
    differences = []
    for name in names():
        parsed = parse_release(name)
        expected = {tag for tag, specs in FORMATS.items() if radarr_matches(specs, name)}
        ours = set(parsed.french_tags)
        # a marker inside the title ("VQ" as a word of it) is not a tag of the release: the only allowed gap
        extra_in_title = {tag for tag in expected - ours if any(re.search(regex, parsed.title, re.I)
                                                                  for _n, neg, _r, regex in FORMATS[tag] if not neg)}
        if ours - expected or expected - ours - extra_in_title:
            differences.append((name, sorted(ours), sorted(expected)))
    assert differences == []
    assert len(names()) > 400


def test_tags_agree_with_the_audio_class() -> None:
    for name in names():
        parsed = parse_release(name)
        tags = set(parsed.french_tags)
        if "MULTi" in tags:
            assert parsed.audio_class == "MULTI", name
        if tags & {"VFF", "VFI", "VOF", "VFB"} and "MULTi" not in tags:
            assert parsed.audio_class in ("VFF", "VF2"), name
        if tags & {"VFQ", "VOQ", "VQ"} and not tags & {"MULTi", "VFF", "VFI", "VOF"}:
            assert parsed.audio_class in ("VFQ", "VF2"), name


@pytest.mark.parametrize(("name", "tags", "audio"), [
    ("Film.2020.MULTi.VFF.1080p.WEB.x264-GRP", ("MULTi", "VFF"), "MULTI"),
    ("Film.2020.MULTi-SUBS.1080p.WEB", (), "VO"),
    ("Le.Film.2019.VFQ.VFF.1080p.WEB", ("VF2",), "VF2"),
    ("Le.Film.2019.VQ.720p.WEB", ("VQ",), "VFQ"),
    ("Un.Film.Quebecois.2018.VOQ.1080p.WEB", ("VOQ",), "VFQ"),
    ("Serie.S02E03.FASTSUB.VOSTFR.720p.WEB", ("VOSTFR", "FastSUB"), "VOSTFR"),
    ("Movie.2010.SUBFRENCH.1080p.WEB", ("VOSTFR",), "VOSTFR"),
    ("The.French.Connection.1971.1080p.BluRay", (), "VO"),
])
def test_examples(name: str, tags: tuple[str, ...], audio: str) -> None:
    parsed = parse_release(name)
    assert (parsed.french_tags, parsed.audio_class) == (tags, audio)
