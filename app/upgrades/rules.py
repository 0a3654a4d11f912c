"""Upgrade rules: which library items deserve a better release, and which release is better.

The product brief's tables: language (VOSTFR → VF or MULTI, VF → MULTI), resolution (720p → 1080p →
2160p), codec (x264 → HEVC or AV1 at the same resolution), each with a minimum gain. The gain is counted in
the score's **quality points** (audio + video of :func:`app.utils.media.releases.score_release`, from the
settings' weights): what is in the file against what the release name says. Source and seeders rank the
candidates of one item but are not a gain (a file on disk has no seeders).

A candidate release must also never lose elsewhere: its French audio and its resolution are at least the
file's (a codec upgrade keeps the resolution), and it is never a CAM or TS.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from app.utils.media.releases import FRENCH_RANK, RESOLUTION_RANK, ParsedRelease, score_release
from app.utils.messages import N_, Refusal

CODECS = ("x264", "x265", "AV1", "XviD", "MPEG2", "VC-1", "VP9")
VALUES = {"language": tuple(FRENCH_RANK), "resolution": ("SD", "720p", "1080p", "2160p"), "codec": CODECS}
BAD_SOURCES = frozenset({"CAM", "TS"})


class UnknownValue(Refusal, ValueError):
    """A rule value that is not one of its kind's (a pydantic validation error, translated)."""


class Rule(BaseModel):
    """One upgrade rule: items whose ``kind`` value (audio class, resolution or codec) is in ``from_values``
    look for a release whose value is in ``to_values`` and that gains at least ``min_gain`` quality points;
    ``auto_grab`` sends the best at once, else it waits for approval. ``media``: ``all``, ``movie`` or ``tv``."""

    id: str = Field(default_factory=lambda: secrets.token_hex(4), pattern=r"^[a-z0-9_-]{1,32}$")
    name: str = Field(min_length=1, max_length=80)
    kind: Literal["language", "resolution", "codec"]
    from_values: list[str] = Field(min_length=1, max_length=10)
    to_values: list[str] = Field(min_length=1, max_length=10)
    min_gain: int = Field(default=5, ge=0, le=100)
    auto_grab: bool = False
    enabled: bool = True
    media: Literal["all", "movie", "tv"] = "all"

    @field_validator("from_values", "to_values")
    @classmethod
    def _known(cls, values: list[str], info: Any) -> list[str]:
        kind = info.data.get("kind")
        allowed = VALUES.get(kind, ())
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise UnknownValue(N_("not a value of this kind of rule: %(values)s (choose among %(allowed)s)"),
                               values=", ".join(unknown), allowed=", ".join(allowed))
        return list(dict.fromkeys(values))


def default_rules() -> list[Rule]:
    """The rules a new install starts with (the brief's tables); 1080p → 2160p is off: it costs disk."""
    return [
        Rule(id="vostfr-to-vf", name="VOSTFR → VF / MULTI", kind="language", from_values=["VO", "VOSTFR"],
             to_values=["MULTI", "VF2", "VFF", "VFQ"], min_gain=5),
        Rule(id="vf-to-multi", name="VF → MULTI", kind="language", from_values=["VFF", "VFQ", "VF2"],
             to_values=["MULTI"], min_gain=5),
        Rule(id="720p-to-1080p", name="720p → 1080p", kind="resolution", from_values=["SD", "720p"],
             to_values=["1080p", "2160p"], min_gain=5),
        Rule(id="1080p-to-2160p", name="1080p → 2160p", kind="resolution", from_values=["1080p"],
             to_values=["2160p"], min_gain=5, enabled=False),
        Rule(id="x264-to-hevc", name="x264 → HEVC / AV1", kind="codec", from_values=["x264", "XviD", "MPEG2", "VC-1"],
             to_values=["x265", "AV1"], min_gain=1),
    ]


@dataclass(frozen=True)
class Current:
    """What an item holds on disk (the worst of its files for a season): ``audio_class``, ``resolution``,
    ``codec``, ``hdr`` (``""`` when none), ``size`` (bytes, all files)."""

    audio_class: str
    resolution: str
    codec: str
    hdr: str
    size: int


def _value(rule: Rule, audio_class: str, resolution: str | None, codec: str | None) -> str:
    return {"language": audio_class, "resolution": resolution or "SD", "codec": codec or ""}[rule.kind]


def applies(rule: Rule, current: Current, media_type: str) -> bool:
    """Whether ``rule`` looks for an upgrade of an item holding ``current``."""
    return rule.enabled and rule.media in ("all", media_type) and \
        _value(rule, current.audio_class, current.resolution, current.codec) in rule.from_values


def quality_points(audio_class: str, resolution: str | None, codec: str | None, hdr: bool,
                   weights: dict[str, Any] | None) -> int:
    """Audio + video points of the score (see the module docstring)."""
    parsed = ParsedRelease(name="", title="", year=None, season=None, seasons=(), episodes=(), season_pack=False,
                           resolution=resolution if resolution != "SD" else None, source=None, codec=codec,
                           hdr=("HDR",) if hdr else (), audio=(), audio_class=audio_class, languages=(), group=None)
    score = score_release(parsed, None, weights)
    return score.audio + score.video


def refusal(rule: Rule, current: Current, parsed: ParsedRelease, weights: dict[str, Any] | None) -> str | None:
    """Why a release is no upgrade of ``current`` under ``rule`` (English), or ``None`` with its gain fine."""
    if parsed.source in BAD_SOURCES:
        return f"{parsed.source}: never"
    value = _value(rule, parsed.audio_class, parsed.resolution, parsed.codec)
    if value not in rule.to_values:
        return f"{value or 'unknown'} is not one of {', '.join(rule.to_values)}"
    if FRENCH_RANK.get(parsed.audio_class, 0) < FRENCH_RANK.get(current.audio_class, 0):
        return f"audio {parsed.audio_class} is less French than the file's {current.audio_class}"
    have, offer = RESOLUTION_RANK.get(current.resolution, 0), RESOLUTION_RANK.get(parsed.resolution or "SD", 0)
    if offer < have or (rule.kind == "codec" and offer != have):
        return f"resolution {parsed.resolution or 'SD'} against the file's {current.resolution}"
    gain = gain_of(current, parsed, weights)
    if gain < rule.min_gain:
        return f"gains {gain} point(s), {rule.min_gain} wanted"
    return None


def gain_of(current: Current, parsed: ParsedRelease, weights: dict[str, Any] | None) -> int:
    """Quality points the release has over the file (may be negative)."""
    return (quality_points(parsed.audio_class, parsed.resolution, parsed.codec, bool(parsed.hdr), weights)
            - quality_points(current.audio_class, current.resolution, current.codec, bool(current.hdr), weights))
