"""``flask --app run cloudburst remap DB --mappings FILE [--dry-run] [--json]``, ``cloudburst guard HOME
CANDIDATE [--max-loss 2] [--json]`` and ``cloudburst integrity DB``: the database tools of a cloud burst,
usable on their own. Exit codes: 0 done, 1 refused (the database is as it was), 2 usage error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app

from app.cloud_burst import bp, guard, remap
from app.i18n import say

bp.cli.short_help = "Cloud burst: Plex database tools."


def _mappings(path: str) -> list[remap.PathMapping]:
    try:
        return remap.load_mappings(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"{path}: {exc}") from None
    except remap.RemapError as exc:
        raise click.UsageError(str(exc)) from None


def _settings():
    return current_app.extensions["mms"].settings.load()


@bp.cli.command("remap")
@click.argument("db", type=click.Path(exists=True, dir_okay=False))
@click.option("--mappings", "mappings_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help='JSON file: [{"from": "/old/prefix", "to": "/new/prefix"}].')
@click.option("--dry-run", is_flag=True, help="Only say what would change.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def remap_command(db: str, mappings_file: str, dry_run: bool, as_json: bool) -> None:
    """Rewrite the paths of a copy of Plex's library database DB (backed up first)."""
    mappings = _mappings(mappings_file)
    database = Path(db).resolve()
    try:
        if dry_run:
            report = remap.plan(database, mappings)
        else:
            backups = current_app.extensions["mms"].backup_path / "plex-db"
            report = remap.apply(database, mappings, backups, _settings().plex_sqlite_path or None)
    except remap.RemapError as exc:
        click.echo(json.dumps({"ok": False, "error": str(exc)}) if as_json else f"refused: {say(exc)}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({"ok": True, "dry_run": dry_run, **report}, ensure_ascii=False))
        return
    if dry_run:
        click.echo(f"{report['total']} path(s) would change")
        for name, table in report["tables"].items():
            for source, count in table["changed"].items():
                click.echo(f"  {name}: {count} under {source}")
                for old, new in table["samples"].get(source, []):
                    click.echo(f"    {old} -> {new}")
            if table["unmatched"]:
                click.echo(f"  {name}: {table['unmatched']} path(s) no rule matches, e.g. "
                           + ", ".join(table["unmatched_samples"]))
    else:
        click.echo(f"remapped: {json.dumps(report['changed'])}; backup in {report['backup']}; "
                   f"integrity ({report['integrity']['tool']}): {report['integrity']['detail']}")


@bp.cli.command("guard")
@click.argument("home", type=click.Path(exists=True, dir_okay=False))
@click.argument("candidate", type=click.Path(exists=True, dir_okay=False))
@click.option("--max-loss", type=click.FloatRange(0, 100), default=None,
              help="Largest share of a section that may vanish (percent; the setting by default).")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def guard_command(home: str, candidate: str, max_loss: float | None, as_json: bool) -> None:
    """Say whether CANDIDATE may replace HOME: exit 1 when a section lost too many items."""
    share = _settings().cloud_burst_max_loss_percent if max_loss is None else max_loss
    verdict = guard.compare(Path(home), Path(candidate), share)
    if as_json:
        click.echo(json.dumps(verdict, ensure_ascii=False))
    else:
        for s in verdict["sections"]:
            mark = "REFUSED" if s["refused"] else "ok"
            click.echo(f"{mark:8} {s['name']}: {s['before']} -> {s['after']} items ({s['lost_percent']} % lost), "
                       f"{s['parts_before']} -> {s['parts_after']} media parts")
            for item in s["vanished"][:10]:
                click.echo(f"         vanished: {item['title']} ({item['guid']})")
    sys.exit(0 if verdict["ok"] else 1)


@bp.cli.command("integrity")
@click.argument("db", type=click.Path(exists=True, dir_okay=False))
def integrity_command(db: str) -> None:
    """Check DB with Plex's own SQLite when installed, else the checks stock SQLite can do."""
    result = remap.integrity(Path(db), _settings().plex_sqlite_path or None)
    click.echo(f"{'ok' if result['ok'] else 'FAILED'} ({result['tool']}): {result['detail']}")
    sys.exit(0 if result["ok"] else 1)


def _follow(run_id: str, claim: str | None, plex_stopped: bool) -> None:
    """Run ``run_id`` in this process until it ends, printing its log; answer its questions from the
    options. Exit code 0 when it is done, 1 otherwise."""
    from app.cloud_burst import runs, service
    from app.i18n import localized_detail

    live = service.launch(run_id)
    shown = len(runs.get(run_id)["log"])
    told: set[str] = set()
    while True:
        alive = live.alive()
        run = runs.get(run_id)
        for line in run["log"][shown:]:
            click.echo(f"{line['at']} [{line['step']}] {localized_detail(line)}")
        shown = len(run["log"])
        asked = run.get("waiting_for")
        if asked == "plex_claim" and claim:
            live.give_claim(claim)  # each ask gets the token (answering a stale ask again changes nothing)
        elif asked == "plex_stopped" and plex_stopped:
            live.confirm_stopped()
        elif asked and asked not in told:
            click.echo(f"waiting for {asked}: answer on the page or with --claim / --plex-stopped")
            told.add(asked)
        if not alive:
            break
        live.thread.join(0.5)
    click.echo(f"run {run_id}: {run['state']}")
    sys.exit(0 if run["state"] == "done" else 1)


@bp.cli.command("start")
@click.option("--mode", type=click.Choice(["delta", "scratch"]), default="delta", show_default=True)
@click.option("--provider", type=click.Choice(["own_host", "scaleway"]), default=None,
              help="The machine (the setting by default).")
@click.option("--section", "sections", type=int, multiple=True, help="A home section id (repeatable; all by default).")
@click.option("--hours", type=click.FloatRange(0.1, 720), default=None, help="Hours planned, for the estimate.")
@click.option("--claim", default=None, help="The Plex claim token (plex.tv/claim) to give when asked.")
@click.option("--plex-stopped", is_flag=True, help="The home Plex is stopped: install without asking.")
def start_command(mode: str, provider: str | None, sections: tuple[int, ...], hours: float | None,
                  claim: str | None, plex_stopped: bool) -> None:
    """Start a run and follow it here until it ends."""
    from app.cloud_burst import runs, service

    try:
        run = service.start(service.StartRun(mode=mode, provider=provider, sections=list(sections),
                                             planned_hours=hours), thread=False)
    except (runs.RunRefused, service.providers.ProviderError) as exc:
        click.echo(f"refused: {say(exc)}", err=True)
        sys.exit(1)
    click.echo(f"run {run['id']}: estimate {run['cost']['estimate']} EUR")
    _follow(run["id"], claim, plex_stopped)


@bp.cli.command("resume")
@click.argument("run_id")
@click.option("--claim", default=None, help="The Plex claim token to give when asked.")
@click.option("--plex-stopped", is_flag=True, help="The home Plex is stopped: install without asking.")
def resume_command(run_id: str, claim: str | None, plex_stopped: bool) -> None:
    """Go on with an unfinished run (after MMS stopped) and follow it here."""
    from app.cloud_burst import runs

    try:
        run = runs.get(run_id)
    except runs.RunRefused as exc:
        click.echo(f"refused: {say(exc)}", err=True)
        sys.exit(1)
    if run["state"] in runs.TERMINAL:
        click.echo(f"run {run_id} is {run['state']}")
        sys.exit(0 if run["state"] == "done" else 1)
    _follow(run_id, claim, plex_stopped)


@bp.cli.command("cancel")
@click.argument("run_id")
def cancel_command(run_id: str) -> None:
    """Cancel a run and destroy its machine."""
    from app.cloud_burst import runs, service

    try:
        service.cancel(run_id)
    except runs.RunRefused as exc:
        click.echo(f"refused: {say(exc)}", err=True)
        sys.exit(1)
    live = service.runner(run_id)
    if live is not None:
        live.thread.join(900)
    click.echo(f"run {run_id}: {runs.get(run_id)['state']}")
