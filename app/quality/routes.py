"""HTTP of the quality view: ``/quality`` (filters in the query string) and ``/api/quality/...``."""

from __future__ import annotations

from typing import Literal

from flask import jsonify, render_template
from flask_babel import gettext as _
from pydantic import BaseModel, Field, field_validator

from app.api import ApiError, parse_query
from app.quality import bp, service
from app.utils.media.releases import AUDIO_CLASSES
from app.utils.messages import N_

GIB = 1024**3


class QualityQuery(BaseModel):
    """``q`` text in the file name, ``audio`` classes (comma-separated), ``max_resolution``, ``codec``,
    ``min_gb`` (GiB), ``errors`` (only unreadable files), ``page``."""

    q: str = Field(default="", max_length=200)
    audio: list[Literal["MULTI", "VF2", "VFF", "VFQ", "VOSTFR", "VO"]] = Field(default_factory=list, max_length=6)
    max_resolution: Literal["", "SD", "720p", "1080p", "2160p"] = ""
    codec: Literal["", "x264", "x265", "AV1", "XviD", "MPEG2", "VC-1", "VP9"] = ""
    min_gb: float | None = Field(default=None, ge=0, le=10_000)
    errors: bool = False
    page: int = Field(default=1, ge=1, le=100_000)

    @field_validator("audio", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return [part for part in value.split(",") if part] if isinstance(value, str) else value


def _files(q: QualityQuery) -> dict:
    return service.files(text=q.q, audio=list(q.audio), max_resolution=q.max_resolution or None,
                         codec=q.codec or None, min_size=int(q.min_gb * GIB) if q.min_gb else None,
                         errors=q.errors, page=q.page)


#: Ready-made filters of the page: (label, query string values).
PRESETS = ((N_("VOSTFR only"), {"audio": "VOSTFR"}), (N_("No French audio"), {"audio": "VOSTFR,VO"}),
           (N_("720p or less"), {"max_resolution": "720p"}), (N_("x264 over 8 GB"), {"codec": "x264", "min_gb": 8}))


@bp.get("/quality")
def index():
    """The library's files as measured, with filters."""
    q = parse_query(QualityQuery)
    return render_template("quality/index.html", found=_files(q), query=q, summary=service.summary(),
                           presets=PRESETS, classes=AUDIO_CLASSES)


@bp.get("/api/quality/files")
def api_files():
    """The page's data as JSON."""
    return jsonify(_files(parse_query(QualityQuery)))


@bp.post("/api/quality/scan")
def api_scan():
    """Measure new or changed files now; the counts (409 while a scan runs)."""
    try:
        return jsonify(service.scan())
    except service.ScanBusy:
        raise ApiError(409, "scan_running", _("A quality scan is already running.")) from None
