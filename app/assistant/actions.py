"""What a confirmed recommendation or proposal does: the real action, through the existing services.

Nothing here runs without the user's click: each entry point takes ``confirm`` and refuses without it.
Deleting (a media health finding) needs an admin, as on the media health page; it goes through
:func:`app.symlink.service.delete_confirmed`, which checks the file again at that moment.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.assistant import report as reports
from app.assistant.report import ReportRefused
from app.auth.roles import at_least
from app.i18n import REQUEST_STATES, STATES, say
from app.utils.clients.errors import UpstreamError
from app.utils.messages import N_, Refusal


def _needs(role: str, lowest: str) -> None:
    if not at_least(role, lowest):
        raise ReportRefused(N_("your role cannot do this"), status=403)


def _message(msgid: str, **params: Any) -> dict[str, Any]:
    return {"msgid": msgid, "params": params}


def _label(labels: dict[str, str], state: str) -> dict[str, Any]:
    """A state as a stored detail, so the reader sees it in their language (an unknown state as it is)."""
    return {"msgid": labels.get(state, "%(state)s"), "params": {} if state in labels else {"state": state}}


def _upgrade_check(key: str) -> dict[str, Any]:
    from app.upgrades.service import run_checks

    out = run_checks(limit=1, pause_s=0, keys=[key])
    if out["failed"] and not out["checked"]:
        raise ReportRefused(N_("the upgrade search failed: %(reason)s"),
                            reason="; ".join(e["error"] for e in out["errors"]) or "?")
    return _message(N_("upgrade search done: %(candidates)s candidate(s), %(grabbed)s grabbed"),
                    candidates=out["candidates"], grabbed=out["grabbed"])


def _file_item(path: str) -> str:
    from app.extensions import managers
    from app.upgrades.service import library_items

    for item in library_items(managers().settings.load()):
        if any(f["path"] == path for f in item["files"]):
            return item["key"]
    raise ReportRefused(N_("this file is no longer in the library"), status=404)


def run_target(target: str, kind: str, by: str, role: str) -> Any:
    """Run ``kind`` on ``target`` (see :mod:`app.assistant.facts` for the target forms); what it gave.
    Raises :class:`ReportRefused`, the services' own refusals, ``UpstreamError``."""
    scheme, _, rest = target.partition(":")
    if scheme == "upgrade" and kind == "upgrade":
        _needs(role, "power")
        from app.upgrades.service import ACTIONS, apply

        return _message(N_("upgrade sent to the torrent client (%(state)s)"),
                        state=_label(ACTIONS, apply(rest, by="user")["state"]))
    if scheme == "item" and kind == "upgrade":
        _needs(role, "power")
        return _upgrade_check(rest)
    if scheme == "file" and kind == "upgrade":
        _needs(role, "power")
        return _upgrade_check(_file_item(rest))
    if scheme == "entry" and kind == "fix":
        _needs(role, "power")
        from app.seedbox.pipeline import retry

        return _message(N_("retried: %(state)s"), state=_label(STATES, retry(rest)["state"]))
    if scheme == "request" and kind == "download":
        _needs(role, "admin")
        from app.media_requests.service import approve

        return _message(N_("request approved: %(state)s"), state=_label(REQUEST_STATES, approve(rest, by)["state"]))
    if scheme == "episode" and kind == "download":
        _needs(role, "power")
        from app.follows.service import check_follow

        out = check_follow(rest.split(":", 1)[0], datetime.now(UTC))
        return _message(N_("%(due)s episode(s) searched, %(grabbed)s grabbed"), due=out["due"], grabbed=out["grabbed"])
    if scheme == "tmdb" and kind == "download":
        from app.media_requests.service import NewRequest, create

        media, _, tmdb_id = rest.partition(":")
        if media != "movie" or not tmdb_id.isdigit():
            raise ReportRefused(N_("no action for %(kind)s on this target"), kind=kind)
        made = create(by, role, NewRequest(kind="movie", tmdb_id=int(tmdb_id)))
        return _message(N_("request made: %(state)s"), state=_label(REQUEST_STATES, made["state"]))
    if scheme == "finding" and kind == "delete":
        _needs(role, "admin")
        from app.symlink.service import delete_confirmed

        scan_id, _, path = rest.partition(":")
        out = delete_confirmed(scan_id, [path])
        if not out["deleted"]:
            reasons = [s["reason"] for s in out["skipped"]] + [f["error"] for f in out["failed"]]
            raise ReportRefused(N_("nothing deleted: %(reason)s"), reason="; ".join(reasons) or "?")
        return _message(N_("deleted: %(path)s"), path=path)
    if scheme == "plex" and kind == "fix":
        raise ReportRefused(N_("choosing the right match is yours: open the item in the Plex editor (Fix match)"))
    if scheme == "item" and kind == "fix":
        raise ReportRefused(N_("MMS does not choose which copy to keep: open the Quality page to compare them"))
    raise ReportRefused(N_("no action for %(kind)s on this target"), kind=kind)


def apply_recommendation(rec_id: str, by: str, role: str, confirm: bool) -> dict[str, Any]:
    """Run a recommendation's action once the user confirmed it; the recommendation after (``applied`` with
    the result, or ``failed`` with the reason). Raises :class:`ReportRefused` (not confirmed, settled, role)."""
    if not confirm:
        raise ReportRefused(N_("confirm the action first: nothing is done without your click"), status=428)
    rec = reports.recommendation(rec_id)
    if rec["state"] not in ("pending", "approved", "failed"):
        raise ReportRefused(N_("this recommendation is %(state)s already"), state=rec["state"])
    reports.set_state(rec_id, "approved", by)
    try:
        result = run_target(rec["target"], rec["kind"], by, role)
    except ReportRefused as exc:
        if exc.status == 403:
            reports.set_state(rec_id, "pending", by)
            raise
        return reports.set_state(rec_id, "failed", by, _message(exc.msgid, **exc.params))
    except Refusal as exc:
        return reports.set_state(rec_id, "failed", by, _message(exc.msgid, **exc.params))
    except (UpstreamError, ValueError, LookupError) as exc:
        return reports.set_state(rec_id, "failed", by, _message(N_("%(reason)s"), reason=say(exc)))
    return reports.set_state(rec_id, "applied", by, result)


def dismiss(rec_id: str, by: str) -> dict[str, Any]:
    """Set a recommendation aside."""
    rec = reports.recommendation(rec_id)
    if rec["state"] == "applied":
        raise ReportRefused(N_("this recommendation is %(state)s already"), state=rec["state"])
    return reports.set_state(rec_id, "dismissed", by)
