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
