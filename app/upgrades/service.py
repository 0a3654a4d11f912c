"""Upgrade checks: library items that match a rule, searched on the indexers, the best release kept as a
candidate (current file against proposed release, gain, size), grabbed at once when the rule says so or on
approval. A grab is the same send-to-client + pending map as a manual one; its import replaces the old files
only once the new ones are verified (:mod:`app.seedbox.upgrade_import`).

Items come from the quality probe's measures (``/quality``): a movie is its folder under ``movies_path``
(``Title (Year) {tmdb-ID}``), a series season is its files under ``tv_path`` (``Show (Year) {tvdb-ID}``), checked
as a season pack (one search per season, shared by its episodes). ``upgrades.json`` keeps the rules, the
candidates, the history and when each item was last checked.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.extensions import managers
from app.i18n import localized_detail, say
from app.jobs import JobResult
from app.quality import service as quality
from app.search.service import NoIndexerAnswered, SearchParams, result_cache, search_answered
from app.seedbox.service import SendError, SendItem, send_one
from app.upgrades.rules import Current, Rule, applies, default_rules, gain_of, refusal
from app.utils.clients.errors import UpstreamError
from app.utils.media.releases import FRENCH_RANK, RESOLUTION_RANK, parse_release
from app.utils.messages import N_, Refusal
from app.utils.stores.json_store import JsonStore
from app.utils.stores.mapping_manager import Mapping, detail_message
from app.utils.text import fold

UPGRADES_FILE = "upgrades.json"
#: What the history says happened (for the page, translated).
ACTIONS = {"found": N_("release found"), "grabbed": N_("sent to the torrent client"),
           "imported": N_("imported, old files replaced"), "dismissed": N_("set aside"), "failed": N_("failed")}
#: Why a candidate in this state can no longer be grabbed or dismissed.
SETTLED = {"grabbed": N_("this upgrade was grabbed already"), "imported": N_("this upgrade is imported already"),
           "dismissed": N_("this upgrade was set aside")}
#: History events kept (oldest dropped first).
HISTORY_KEPT = 1000
#: Checks recorded per write of ``upgrades.json`` (an interrupted run loses at most these).
RECORD_BATCH = 50
_EPISODE_TAG = re.compile(r"\bS(\d{1,3})E\d{1,4}", re.I)
_FOLDER = re.compile(r"^(?P<title>.+?)(?: \((?P<year>\d{4})\))?(?: \{(?P<scheme>tmdb|tvdb|imdb)-(?P<id>[\w]+)\})?$")


class UpgradeRefused(Refusal):
    """An action on upgrades that cannot be done (unknown candidate, already grabbed...)."""

    code = "upgrade_refused"
    status = 409


def store() -> JsonStore:
    """``instance/upgrades.json``."""
    return managers().extra_store(UPGRADES_FILE)


def _data() -> dict[str, Any]:
    data = store().read() if store().exists() else None
    return data if isinstance(data, dict) else {}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- rules ------------------------------------------------------------------------------------------------
def rules() -> list[Rule]:
    """The rules (the defaults until some are saved)."""
    saved = _data().get("rules")
    return [Rule.model_validate(r) for r in saved] if saved is not None else default_rules()


def _edit_rules(fn) -> None:
    """Change the saved rules (the defaults when none were saved yet) with ``fn(rules) -> rules``."""
    def apply_(data: Any) -> None:
        data = _dict(data)
        current = [Rule.model_validate(r) for r in data["rules"]] if "rules" in data else default_rules()
        data["rules"] = [r.model_dump() for r in fn(current)]
    store().update(apply_)


def save_rule(rule: Rule) -> Rule:
    """Add a rule or replace the one with its ``id``."""
    def put(current: list[Rule]) -> list[Rule]:
        ids = [r.id for r in current]
        return [rule if r.id == rule.id else r for r in current] if rule.id in ids else [*current, rule]
    _edit_rules(put)
    return rule


def delete_rule(rule_id: str) -> None:
    """Remove a rule; :class:`UpgradeRefused` (404) when there is none with that id."""
    if not any(r.id == rule_id for r in rules()):
        raise UpgradeRefused(N_("no rule %(id)s"), id=rule_id, status=404)
    _edit_rules(lambda current: [r for r in current if r.id != rule_id])


# -- library items ----------------------------------------------------------------------------------------
def _folder_info(name: str) -> dict[str, Any]:
    match = _FOLDER.match(name)
    if not match:
        return {"title": name, "year": None, "scheme": None, "external_id": None}
    return {"title": match["title"], "year": int(match["year"]) if match["year"] else None,
            "scheme": match["scheme"], "external_id": match["id"]}


def library_items(settings: Any) -> list[dict[str, Any]]:
    """Movies and series seasons of the library, from the quality probe's measures: ``{"key", "media_type",
    "title", "year", "tmdb_id", "tvdb_id", "season", "files": [{"path", "size", "mtime_ns"}], "current":
    Current}``."""
    movies_root = Path(settings.movies_path).resolve() if settings.movies_path else None
    tv_root = Path(settings.tv_path).resolve() if settings.tv_path else None
    items: dict[str, dict[str, Any]] = {}
    rows = quality.store().query("SELECT * FROM files WHERE error IS NULL") if quality.store().exists() else []
    for row in rows:
        path = Path(row["path"])
        media_type, parts = None, ()
        for root, kind in ((movies_root, "movie"), (tv_root, "tv")):
            if root is not None and path.is_relative_to(root):
                media_type, parts = kind, path.relative_to(root).parts
                break
        if media_type is None or len(parts) < 2:
            continue
        info = _folder_info(parts[0])
        season = None
        if media_type == "tv":
            tag = _EPISODE_TAG.search(path.name)  # MMS's and Sonarr's names: cheap; else the full parser
            season = int(tag.group(1)) if tag else parse_release(path.name).season
            if season is None:
                continue
            key = f"tv:{parts[0]}:S{season:02d}"
        else:
            key = f"movie:{parts[0]}"
        item = items.setdefault(key, {
            "key": key, "media_type": media_type, "title": info["title"], "year": info["year"],
            "tmdb_id": int(info["external_id"]) if info["scheme"] == "tmdb" and info["external_id"].isdigit() else None,
            "tvdb_id": int(info["external_id"]) if info["scheme"] == "tvdb" and info["external_id"].isdigit() else None,
            "season": season, "files": [], "rows": []})
        item["files"].append({"path": row["path"], "size": row["size"], "mtime_ns": row["mtime_ns"]})
        item["rows"].append(row)
    out = []
    for item in items.values():
        rows = item.pop("rows")
        worst_audio = min((r["audio_class"] for r in rows), key=lambda c: FRENCH_RANK.get(c, 0))
        worst_resolution = min((r["resolution"] or "SD" for r in rows), key=lambda r: RESOLUTION_RANK.get(r, 0))
        codecs = [r["codec"] or "" for r in rows]
        item["current"] = Current(audio_class=worst_audio, resolution=worst_resolution,
                                  codec=max(set(codecs), key=codecs.count), hdr="" if any(not r["hdr"] for r in rows)
                                  else rows[0]["hdr"], size=sum(r["size"] for r in rows))
        out.append(item)
    return sorted(out, key=lambda i: i["key"])


# -- checks -----------------------------------------------------------------------------------------------
def _candidate_id(key: str, release: str) -> str:
    return hashlib.sha1(f"{key}|{release}".encode()).hexdigest()[:12]


def _same_title(parsed_title: str, item: dict[str, Any]) -> bool:
    return fold(parsed_title) == fold(item["title"])


def check_item(item: dict[str, Any], item_rules: list[Rule], settings: Any) -> dict[str, Any]:
    """Search one item's upgrades: ``{"key", "found": candidate or None, "refused": [(release, reason)],
    "results"}``. Raises ``NoIndexerAnswered`` when no indexer answered."""
    params = SearchParams(kind="movie" if item["media_type"] == "movie" else "tvsearch", titles=(item["title"],),
                          year=item["year"] if item["media_type"] == "movie" else None, season=item["season"],
                          tmdb_id=item["tmdb_id"], tvdb_id=item["tvdb_id"])
    answer = search_answered(params)
    cache = result_cache()
    refused: list[tuple[str, str]] = []
    best: tuple[tuple[int, int, int], dict[str, Any]] | None = None
    for row in answer["results"]:
        parsed = parse_release(row["name"])
        if not _same_title(parsed.title, item):
            refused.append((row["name"], f"another title ({parsed.title})"))
            continue
        if item["media_type"] == "movie" and item["year"] and parsed.year and abs(parsed.year - item["year"]) > 1:
            refused.append((row["name"], f"another year ({parsed.year})"))
            continue
        if item["media_type"] == "tv" and (parsed.season != item["season"] or not parsed.season_pack):
            refused.append((row["name"], "not a pack of that season"))
            continue
        reasons = []
        for rule in item_rules:
            reason = refusal(rule, item["current"], parsed, settings.score_weights)
            if reason:
                reasons.append(f"{rule.name}: {reason}")
                continue
            gain = gain_of(item["current"], parsed, settings.score_weights)
            rank = (gain, row["score"], row.get("seeders") or 0)
            release = cache.get(row["id"])
            link = (release.download_url or release.magnet_url) if release else None
            if not link:
                reasons.append("no download link")
                break
            if best is None or rank > best[0]:
                best = (rank, {"rule": rule.id, "rule_name": rule.name, "auto_grab": rule.auto_grab, "gain": gain,
                               "release": row["name"], "link": link, "size": row.get("size"),
                               "seeders": row.get("seeders"), "indexer": row.get("indexer"),
                               "score": row["score"], "audio_class": parsed.audio_class,
                               "resolution": parsed.resolution, "codec": parsed.codec,
                               "french_tags": list(parsed.french_tags)})
            reasons = []
            break
        if reasons:
            refused.append((row["name"], "; ".join(reasons)))
    return {"key": item["key"], "found": best[1] if best else None, "refused": refused,
            "results": len(answer["results"])}


def run_checks(limit: int | None = None, pause_s: float | None = None, keys: list[str] | None = None
               ) -> dict[str, Any]:
    """Check the items that match an enabled rule, the least recently checked first, at most ``limit``
    (``upgrade_items_per_run``), ``pause_s`` between two searches (``upgrade_pause_s``). Each item on its
    own: a failed search is recorded and the next item goes on. Auto-grab rules send their candidate.
    ``{"checked", "candidates", "grabbed", "failed", "errors": [{"key", "error"}]}``."""
    settings = managers().settings.load()
    limit = settings.upgrade_items_per_run if limit is None else limit
    pause_s = settings.upgrade_pause_s if pause_s is None else pause_s
    active = [r for r in rules() if r.enabled]
    data = _data()
    checked_at = data.get("checked", {})
    dismissed = {c["key"] + "|" + c["release"] for c in data.get("candidates", {}).values()
                 if c["state"] == "dismissed"}
    todo = []
    for item in library_items(settings):
        if keys is not None and item["key"] not in keys:
            continue
        matching = [r for r in active if applies(r, item["current"], item["media_type"])]
        if matching:
            todo.append((checked_at.get(item["key"], ""), item, matching))
    todo.sort(key=lambda t: t[0])
    out: dict[str, Any] = {"checked": 0, "candidates": 0, "grabbed": 0, "failed": 0, "errors": []}
    batch: list[tuple[dict[str, Any], dict[str, Any] | None, list, str | None]] = []

    def flush() -> list[dict[str, Any]]:
        recorded = _record_checks(batch)
        batch.clear()
        return recorded

    for n, (_when, item, matching) in enumerate(todo[:limit]):
        if n and pause_s:
            time.sleep(pause_s)
        try:
            result = check_item(item, matching, settings)
        except (UpstreamError, NoIndexerAnswered) as exc:
            out["failed"] += 1
            out["errors"].append({"key": item["key"], "error": say(exc)})
            batch.append((item, None, [], say(exc)))
            continue
        out["checked"] += 1
        found = result["found"]
        if found and item["key"] + "|" + found["release"] in dismissed:
            found = None
        batch.append((item, found, result["refused"], None))
        if found:
            out["candidates"] += 1
        if (found and found["auto_grab"]) or len(batch) >= RECORD_BATCH:
            for candidate in flush():
                if candidate["auto_grab"] and candidate["state"] == "pending":
                    try:
                        apply(candidate["id"], by="rule")
                        out["grabbed"] += 1
                    except (UpgradeRefused, SendError) as exc:
                        out["failed"] += 1
                        out["errors"].append({"key": candidate["key"], "error": say(exc)})
    flush()
    return out


def _record_checks(checks: list[tuple[dict[str, Any], dict[str, Any] | None, list, str | None]]
                   ) -> list[dict[str, Any]]:
    """Store each check's time and outcome on its item, and its candidate (kept when already known), in one
    write; returns the candidates of the checks that found one."""
    if not checks:
        return []
    now = _now()

    def apply_(data: Any) -> list[dict[str, Any]]:
        data = _dict(data)
        recorded = []
        for item, found, refused, error in checks:
            data.setdefault("checked", {})[item["key"]] = now
            data.setdefault("last_results", {})[item["key"]] = {"at": now, "error": error,
                                                                "refused": (refused or [])[:20]}
            if found is None:
                continue
            cid = _candidate_id(item["key"], found["release"])
            candidates = data.setdefault("candidates", {})
            if cid not in candidates:
                current = item["current"]
                candidates[cid] = {
                    "id": cid, "key": item["key"], "media_type": item["media_type"], "title": item["title"],
                    "year": item["year"], "season": item["season"], "tmdb_id": item["tmdb_id"],
                    "tvdb_id": item["tvdb_id"], "files": item["files"],
                    "current": {"audio_class": current.audio_class, "resolution": current.resolution,
                                "codec": current.codec, "hdr": current.hdr, "size": current.size},
                    **found, "state": "pending", "created_at": now, "updated_at": now, "info_hash": None,
                    "error": None}
                _history(data, cid, "found", N_("%(release)s (+%(gain)s points)"),
                         {"release": found["release"], "gain": found["gain"]})
                new.append(candidates[cid])
            recorded.append(candidates[cid])
        return recorded
    new: list[dict[str, Any]] = []
    recorded = store().update(apply_)
    for candidate in new:
        managers().events.publish("upgrade_available", msgid=N_("%(title)s: %(release)s (+%(gain)s points)"),
                                  params={"title": candidate["title"], "release": candidate["release"],
                                          "gain": candidate["gain"]})
    return recorded


def _dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise UpgradeRefused(N_("upgrades.json is not an object"))
    return data


def _history(data: dict[str, Any], candidate_id: str, action: str, detail: str,
             params: dict[str, Any] | None = None) -> None:
    """Add an event; ``detail`` is a message id (``N_``) with ``params``, kept as English text and as id +
    params so pages show it in the reader's language."""
    text, message = detail_message(detail, params)
    history = data.setdefault("history", [])
    history.append({"time": _now(), "candidate": candidate_id, "action": action, "detail": text, "message": message})
    del history[:-HISTORY_KEPT]


def run_job() -> JobResult:
    """Body of the ``upgrade_checks`` job."""
    sync_states()
    out = run_checks()
    return JobResult.message(N_("%(checked)d checked, %(candidates)d upgrade(s) found, %(grabbed)d grabbed, "
                                "%(failed)d failed"), out["failed"], **{k: v for k, v in out.items() if k != "errors"})


# -- candidates -------------------------------------------------------------------------------------------
def candidates(state: str | None = None) -> list[dict[str, Any]]:
    """Candidates, newest first (``state``: pending, grabbed, imported, dismissed, failed)."""
    found = list(_data().get("candidates", {}).values())
    if state:
        found = [c for c in found if c["state"] == state]
    return sorted(found, key=lambda c: c["updated_at"], reverse=True)


def history(limit: int = 200) -> list[dict[str, Any]]:
    """The last events, newest first: ``{"time", "candidate", "action", "detail"}``."""
    return list(reversed(_data().get("history", [])[-limit:]))


def _get(candidate_id: str) -> dict[str, Any]:
    found = _data().get("candidates", {}).get(candidate_id)
    if found is None:
        raise UpgradeRefused(N_("no upgrade candidate %(id)s"), id=candidate_id, status=404)
    return found


def _mapping(candidate: dict[str, Any]) -> Mapping:
    return Mapping(media_type=candidate["media_type"], title=candidate["title"], year=candidate["year"],
                   tmdb_id=candidate["tmdb_id"], tvdb_id=candidate["tvdb_id"], season=candidate["season"])


def apply(candidate_id: str, by: str = "user") -> dict[str, Any]:
    """Send a pending (or failed) candidate's release to the torrent client, recording the files it replaces.
    Raises :class:`UpgradeRefused` (unknown, not pending, no id to import it under) or ``SendError``."""
    candidate = _get(candidate_id)
    if candidate["state"] not in ("pending", "failed"):
        raise UpgradeRefused(SETTLED[candidate["state"]])
    try:
        mapping = _mapping(candidate)
    except ValueError:
        raise UpgradeRefused(N_("no TMDB or TVDB id is known for %(title)s: add it to the folder name "
                                "({tmdb-ID} or {tvdb-ID})"), title=candidate["title"]) from None
    try:
        entry = send_one(SendItem(link=candidate["link"], name=candidate["release"]), mapping, confirm=True,
                         fields={"replaces": candidate["files"], "upgrade_id": candidate_id,
                                 "upgrade_audio_class": candidate["audio_class"]})
    except SendError as exc:
        _set_state(candidate_id, "failed", N_("not sent: %(reason)s"), {"reason": say(exc)}, error=say(exc))
        raise
    _set_state(candidate_id, "grabbed", N_("by its rule") if by == "rule" else N_("approved"),
               info_hash=entry["info_hash"])
    return _get(candidate_id)


def dismiss(candidate_id: str) -> dict[str, Any]:
    """Set a pending candidate aside (the same release is not proposed again for the item)."""
    candidate = _get(candidate_id)
    if candidate["state"] not in ("pending", "failed"):
        raise UpgradeRefused(SETTLED[candidate["state"]])
    _set_state(candidate_id, "dismissed", N_("by hand"))
    return _get(candidate_id)


def _set_state(candidate_id: str, state: str, detail: str, params: dict[str, Any] | None = None,
               **fields: Any) -> None:
    def apply_(data: Any) -> None:
        candidate = _dict(data)["candidates"][candidate_id]
        candidate.update(fields, state=state, updated_at=_now())
        _history(data, candidate_id, state, detail, params)
    store().update(apply_)


def sync_states() -> int:
    """Follow grabbed candidates through the pipeline: imported (with what was replaced) or failed. Returns
    how many changed."""
    entries = managers().mapping.all_shared()
    changed = 0
    for candidate in candidates("grabbed"):
        entry = entries.get(candidate["info_hash"] or "")
        if entry is None:
            continue
        if entry["state"] == "imported":
            replaced = entry.get("replaced") or []
            kept = [r for r in replaced if r["outcome"] == "kept"]
            _set_state(candidate["id"], "imported", N_("%(replaced)s old file(s) replaced, %(kept)s kept (changed "
                                                       "since)") if kept else N_("%(replaced)s old file(s) replaced"),
                       {"replaced": len(replaced) - len(kept), "kept": len(kept)}, replaced=replaced)
            changed += 1
        elif entry["state"] in ("import_failed", "transfer_failed", "removed"):
            reason = localized_detail((entry.get("history") or [{}])[-1].get("msgid") and {
                "msgid": entry["history"][-1]["msgid"], "params": entry["history"][-1].get("params")},
                entry.get("error") or entry["state"])
            _set_state(candidate["id"], "failed", N_("in the pipeline: %(reason)s"), {"reason": reason},
                       error=reason)
            changed += 1
    return changed


def failure_problems(app: Any) -> list[dict[str, Any]]:
    """Failed upgrades of the last 7 days, for the dashboard and the health page."""
    with app.app_context():
        week = (datetime.now(UTC) - timedelta(days=7)).isoformat(timespec="seconds")
        failed = [c for c in candidates("failed") if c["updated_at"] >= week]
    if not failed:
        return []
    return [{"title": N_("Upgrades that failed"), "subject": c["title"], "detail": c.get("error") or ""}
            for c in failed[:5]]
