"""HTTP of the archive: ``/archive`` (search and filters in the query string), ``/archive/ghosts``, and the
JSON API under ``/api/archive/``."""

from __future__ import annotations

import json
import tempfile
from typing import Literal

from flask import Response, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from app.api import ApiError, parse_body, parse_query
from app.archive import bp, service
from app.i18n import say
from app.utils.messages import N_


class ArchiveQuery(BaseModel):
    """``q`` text, ``user`` account id, ``type`` movie/tv, ``watched`` all/watched/unwatched, ``page``."""

    q: str = Field(default="", max_length=200)
    user: int | None = Field(default=None, ge=0)
    type: Literal["", "movie", "tv"] = ""
    watched: Literal["all", "watched", "unwatched"] = "all"
    page: int = Field(default=1, ge=1, le=100_000)


def _iso(stamp: str | None) -> str | None:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(stamp), UTC).isoformat(timespec="seconds") if stamp else None


def _search(q: ArchiveQuery) -> dict:
    found = service.search(q.q, q.user, q.type or None, q.watched, q.page)
    for item in found["items"]:
        if service.poster_path(item["key"]) is not None:  # kept on disk: shown after the media is gone too
            item["image"] = url_for("archive.poster", key=item["key"])
        elif item.get("thumb") and item["in_library"]:
            item["image"] = url_for("plex.image", path=item["thumb"])
        else:
            item["image"] = None
    return found


@bp.get("/archive")
def index():
    """The archive: cards with each user's history, written for people."""
    q = parse_query(ArchiveQuery)
    months = service.monthly_plays(q.user) if q.user is not None else []
    return render_template("archive/index.html", found=_search(q), query=q, accounts=service.accounts(),
                           progress=service.progress(),
                           last_play=_iso(service.archive().get_state("last_viewed_at")), months=months,
                           most=max((m["plays"] for m in months), default=0))


@bp.get("/archive/poster/<key>")
def poster(key: str):
    """A poster kept by the archive (404 when none)."""
    found = service.poster_path(key)
    if found is None:
        abort(404)
    response = send_file(found, max_age=86400)
    return response


@bp.get("/archive/ghosts")
def ghosts():
    """Plays whose media could not be found again."""
    return render_template("archive/ghosts.html", ghosts=service.ghosts())


#: What removed a media, as written by the sync (``removed_by`` before the colon).
CAUSES = {"mms": N_("MMS (archived, then deleted through %(detail)s)"),
          "radarr": N_("Radarr deleted the file (%(detail)s)"), "sonarr": N_("Sonarr deleted files (%(detail)s)"),
          "scan": N_("A Plex scan: a large part of the section vanished at once (check the mount)")}
#: Radarr's and Sonarr's reasons for deleting a file (``data.reason`` of their history).
REASONS = {"Manual": N_("by hand"), "MissingFromDisk": N_("missing from disk"), "Upgrade": N_("replaced by an upgrade"),
           "": N_("reason not given")}


def cause_text(removed_by: str | None) -> str:
    """``removed_by`` of the removal log in the reader's language."""
    if not removed_by:
        return _("Unknown (by hand or outside MMS)")
    kind, _sep, detail = removed_by.partition(":")
    if kind not in CAUSES:
        return removed_by
    reason = REASONS.get(detail)
    return _(CAUSES[kind], detail=_(reason) if reason else detail)


@bp.get("/archive/removed")
def removed():
    """Media that left the library, with their size, recorded plays and what removed them when known."""
    return render_template("archive/removed.html", removed=service.removed(), causes=cause_text)


@bp.get("/api/archive/progress")
def api_progress():
    """The running or last sync's progress (``null`` before the first)."""
    return jsonify(service.progress())


@bp.get("/api/archive/search")
def api_search():
    """The archive page's data as JSON."""
    return jsonify(_search(parse_query(ArchiveQuery)))


@bp.post("/api/archive/sync")
def api_sync():
    """Record the plays since the last sync now; the counts."""
    return jsonify(service.sync())


class DeleteBody(BaseModel):
    """Items (Plex rating keys) to archive then delete; ``dry_run`` only says what would go."""

    rating_keys: list[int] = Field(min_length=1, max_length=500)
    dry_run: bool = True
    exclude: bool = False


@bp.post("/api/archive/delete")
def api_archive_delete():
    """Record each item's history, read it back, then delete it (Radarr/Sonarr/Plex); a dry run by default."""
    body = parse_body(DeleteBody)
    return jsonify(service.archive_and_delete(body.rating_keys, dry_run=body.dry_run, exclude=body.exclude))


@bp.get("/archive/export.<fmt>")
def export(fmt: str):
    """Every recorded play as CSV or JSON (a file to download)."""
    if fmt == "csv":
        body, mimetype = service.export_csv(), "text/csv"
    elif fmt == "json":
        body, mimetype = json.dumps({"plays": service.export_rows()}, ensure_ascii=False), "application/json"
    else:
        abort(404)
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=mms-watch-archive.{fmt}"})


@bp.post("/api/archive/import/tautulli")
def api_import_tautulli():
    """Import Tautulli's history from its SQLite file (multipart field ``database``)."""
    upload = request.files.get("database")
    if upload is None:
        raise ApiError(400, "missing_file", _("Send Tautulli's database in the form field 'database'."))
    with tempfile.NamedTemporaryFile(suffix=".db") as copy:
        upload.save(copy.name)
        try:
            return jsonify(service.import_tautulli(copy.name))
        except service.ArchiveRefused as exc:
            raise ApiError(422, "not_tautulli", say(exc)) from None


@bp.post("/archive/import")
def import_page():
    """The Archive page's import form: Tautulli's database, then back to the page with the counts."""
    upload = request.files.get("database")
    if upload is None or not upload.filename:
        flash(_("Choose Tautulli's database file (tautulli.db)."), "warning")
        return redirect(url_for("archive.index"))
    with tempfile.NamedTemporaryFile(suffix=".db") as copy:
        upload.save(copy.name)
        try:
            counts = service.import_tautulli(copy.name)
        except service.ArchiveRefused as exc:
            flash(say(exc), "danger")
            return redirect(url_for("archive.index"))
    flash(_("Tautulli: %(plays)s plays imported, %(resolved)s found by title, %(ghosts)s to match by hand, "
            "%(skipped)s already known.", **counts), "success")
    return redirect(url_for("archive.index"))


@bp.post("/archive/ghosts/match")
def match_ghost():
    """The ghosts page's form: record a ghost's plays under the TMDB (movie) or TVDB (show) id given."""
    form = request.form
    external = (form.get("external_id") or "").strip()
    if not external.isdigit() or form.get("media_type") not in ("movie", "tv"):
        flash(_("Give the TMDB id of a movie or the TVDB id of a show (a number)."), "warning")
        return redirect(url_for("archive.ghosts"))
    try:
        count = service.match_ghost(form.get("history_key", ""), form["media_type"], int(external))
    except service.ArchiveRefused as exc:
        flash(say(exc), "danger")
        return redirect(url_for("archive.ghosts"))
    flash(_("%(count)s play(s) recorded.", count=count), "success")
    return redirect(url_for("archive.ghosts"))
