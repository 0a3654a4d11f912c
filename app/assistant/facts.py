"""What MMS measures about the library, for the assistant's report (the model only writes and ranks these).

Each signal has its items; each item a ``target`` (what an action would act on: ``finding:<scan>:<path>``,
``upgrade:<candidate>``, ``item:<library key>``, ``entry:<info hash>``, ``request:<id>``,
``episode:<follow>:<SxxEyy>``) and the ``kinds`` of action MMS can run on it. The health score starts at 100
and loses each signal's penalty, capped per signal, so one cause cannot hide the others:

=====================  ==========================================  ==========
signal                 measured from                                 cap
=====================  ==========================================  ==========
health_findings        the last media health scan's findings        25 (2 each)
failed_entries         pipeline entries in a failed state           15 (5 each)
no_french_audio        library items whose worst file is VO/VOSTFR  15 (share)
obsolete_codecs        XviD, MPEG-2, VC-1 files                     10 (share)
low_bitrate            files under the bitrate floor of their size  10 (share)
missing_episodes       followed episodes still missing after 48 h   10 (2 each)
duplicates             movies with more than one video file          5 (1 each)
upgrade_candidates     pending upgrade candidates                    5 (0.5 each)
pending_requests       requests waiting for a decision               5 (1 each)
=====================  ==========================================  ==========

Incomplete TMDB collections (:mod:`app.assistant.collections`) and poster mismatches
(:mod:`app.assistant.posters`) are added by the report, which may call TMDB and the model; they cost no points.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.extensions import managers
from app.utils.messages import N_

#: Items listed per signal (the counts cover them all).
ITEMS_KEPT = 25
OBSOLETE_CODECS = ("XviD", "MPEG2", "VC-1")
#: Bitrate floors (bits per second) by resolution; 0 (unknown) is not judged.
BITRATE_FLOOR = {"2160p": 8_000_000, "1080p": 2_500_000, "720p": 1_200_000, "SD": 500_000}
SIGNALS: dict[str, tuple[str, float, float | None]] = {
    # id: (label, cap, penalty per item; None = the share of the library's items times the cap)
    "health_findings": (N_("media health problems"), 25, 2),
    "failed_entries": (N_("failed downloads or imports"), 15, 5),
    "no_french_audio": (N_("without French audio"), 15, None),
    "obsolete_codecs": (N_("obsolete video codecs"), 10, None),
    "low_bitrate": (N_("low bitrates"), 10, None),
    "missing_episodes": (N_("missing episodes"), 10, 2),
    "duplicates": (N_("duplicate movies"), 5, 1),
    "upgrade_candidates": (N_("upgrades waiting"), 5, 0.5),
    "pending_requests": (N_("requests waiting"), 5, 1),
}


def _item(target: str, title: str, detail: str, kinds: list[str]) -> dict[str, Any]:
    return {"target": target, "title": title, "detail": detail, "kinds": kinds}


def _health() -> list[dict[str, Any]]:
    from app.symlink.service import scans_store

    scans = [s for s in (scans_store().read() if scans_store().exists() else []) if s.get("state") == "completed"]
    if not scans:
        return []
    last = scans[0]
    return [_item(f"finding:{last['id']}:{f['path']}", f["path"].rsplit("/", 1)[-1], f"{f['category']}: {f['path']}",
                  ["delete"]) for f in last.get("findings") or []]


def _library() -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    from app.quality.service import store as quality_store
    from app.upgrades.service import library_items

    settings = managers().settings.load()
    items = library_items(settings)
    out: dict[str, list[dict[str, Any]]] = {"no_french_audio": [], "obsolete_codecs": [], "low_bitrate": [],
                                            "duplicates": []}
    for item in items:
        title = f"{item['title']} ({item['year']})" if item.get("year") else item["title"]
        if item.get("season") is not None:
            title += f" S{item['season']:02d}"
        current = item["current"]
        if current.audio_class in ("VO", "VOSTFR"):
            out["no_french_audio"].append(_item(f"item:{item['key']}", title, current.audio_class, ["upgrade"]))
        if current.codec in OBSOLETE_CODECS:
            out["obsolete_codecs"].append(_item(f"item:{item['key']}", title, current.codec, ["upgrade"]))
        if item["media_type"] == "movie" and len(item["files"]) > 1:
            out["duplicates"].append(_item(f"item:{item['key']}", title, f"{len(item['files'])} files", ["fix"]))
    if quality_store().exists():
        for row in quality_store().query("SELECT path, resolution, bitrate FROM files WHERE error IS NULL "
                                         "AND bitrate > 0"):
            floor = BITRATE_FLOOR.get(row["resolution"] or "SD", 0)
            if row["bitrate"] < floor:
                out["low_bitrate"].append(_item(f"file:{row['path']}", row["path"].rsplit("/", 1)[-1],
                                                f"{row['resolution']} {row['bitrate'] // 1000} kb/s", ["upgrade"]))
    return items, out


def _failed_entries() -> list[dict[str, Any]]:
    return [_item(f"entry:{h}", e.get("release_name") or h, e["state"], ["fix"])
            for h, e in managers().mapping.all_shared().items() if e["state"] in ("transfer_failed", "import_failed")]


def _missing_episodes() -> list[dict[str, Any]]:
    from app.follows.service import calendar

    now = datetime.now(UTC)
    return [_item(f"episode:{e['follow_id']}:S{e['season']:02d}E{e['episode']:02d}",
                  f"{e['title']} S{e['season']:02d}E{e['episode']:02d}", "missing 48 h after airing", ["download"])
            for e in calendar(now - timedelta(days=30), 30, now) if e["state"] == "missing"]


def _upgrades() -> list[dict[str, Any]]:
    from app.upgrades.service import candidates

    return [_item(f"upgrade:{c['id']}", c["title"], c["release"], ["upgrade"]) for c in candidates("pending")]


def _requests() -> list[dict[str, Any]]:
    from app.media_requests.service import listing

    return [_item(f"request:{r['id']}", r["title"], f"{r['username']} ({r['kind']})", ["download"])
            for r in listing(state="pending")]


def measure() -> dict[str, Any]:
    """The facts: ``{"generated_at", "score" (0-100), "library_items", "signals": [{"id", "label", "count",
    "penalty", "items": [{"target", "title", "detail", "kinds"}]}], "errors": [{"signal", "error"}]}``. A
    source that fails is named in ``errors`` and counts nothing (the others go on)."""
    found: dict[str, list[dict[str, Any]]] = {}
    errors: list[dict[str, str]] = []
    library_count = 0
    sources = {"health_findings": _health, "failed_entries": _failed_entries, "missing_episodes": _missing_episodes,
               "upgrade_candidates": _upgrades, "pending_requests": _requests}
    for signal, source in sources.items():
        try:
            found[signal] = source()
        except Exception as exc:  # noqa: BLE001 - one unreadable source is reported, the others go on
            errors.append({"signal": signal, "error": f"{type(exc).__name__}: {exc}"})
            found[signal] = []
    try:
        items, quality = _library()
        library_count = len(items)
        found.update(quality)
    except Exception as exc:  # noqa: BLE001
        errors.append({"signal": "library", "error": f"{type(exc).__name__}: {exc}"})
    signals, total_penalty = [], 0.0
    for signal, (label, cap, each) in SIGNALS.items():
        rows = found.get(signal, [])
        share = len(rows) / library_count if library_count else 0.0
        penalty = round(min(cap, cap * share if each is None else each * len(rows)), 1)
        total_penalty += penalty
        signals.append({"id": signal, "label": label, "count": len(rows), "penalty": penalty,
                        "items": rows[:ITEMS_KEPT]})
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "score": max(0, round(100 - total_penalty)), "library_items": library_count, "signals": signals,
            "errors": errors}


def targets(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every item of the facts by target."""
    return {item["target"]: item for signal in facts["signals"] for item in signal["items"]}
