"""``flask --app run symlink scan PATH [--depth basic|full] [--delete --yes] [--json]`` for cron users."""

from __future__ import annotations

import json
import sys
import time

import click
from flask import current_app

from app.symlink import bp, service

bp.cli.short_help = "Media health checks."


@bp.cli.command("scan")
@click.argument("path")
@click.option("--depth", type=click.Choice(["basic", "full"]), default="basic", show_default=True)
@click.option("--files/--links-only", "include_files", default=True, show_default=True,
              help="Check regular media files as well as symlinks (the default), or symlinks only.")
@click.option("--delete", is_flag=True, help="Delete what is found (needs --yes).")
@click.option("--yes", is_flag=True, help="Confirm the deletion without asking.")
@click.option("--json", "as_json", is_flag=True, help="Print counts and every finding as JSON.")
def scan(path: str, depth: str, include_files: bool, delete: bool, yes: bool, as_json: bool) -> None:
    """Scan PATH (under the media root); exit 1 when problems are found, 2 on a usage error."""
    if delete and not yes:
        raise click.UsageError("--delete needs --yes")
    try:
        started = service.start_scan([path], "real" if delete else "dry", depth, include_files)
    except service.ScanError as exc:
        raise click.UsageError(str(exc)) from None
    scan_obj = service.manager().scans[started["id"]]
    while scan_obj.state in ("pending", "running"):
        time.sleep(0.2)
    result = scan_obj.snapshot()
    deleted = None
    deletable = [f["path"] for f in result["findings"] if f.get("deletable")]
    if delete and deletable:
        try:
            deleted = service.delete_confirmed(result["id"], deletable)
        except service.ScanError as exc:
            click.echo(f"nothing deleted: {exc}", err=True)
    problems = len(result["findings"])
    if as_json:
        click.echo(json.dumps({"counts": result["counts"], "findings": [
            {"path": f["path"], "category": f["category"], "deletable": f.get("deletable", False)}
            for f in result["findings"]],
            "deleted": deleted["deleted"] if deleted else [],
            "skipped": deleted["skipped"] if deleted else [],
            "failed": deleted["failed"] if deleted else []}, indent=1))
    else:
        counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items() if v) or "no problem"
        click.echo(f"{result['total']} checked in {result['duration_s']} s: {counts}")
        if deleted:
            click.echo(f"deleted {len(deleted['deleted'])}:")
            for path in deleted["deleted"]:
                click.echo(f"  {path}")
            for item in deleted["skipped"]:
                click.echo(f"skipped {item['path']}: {item['reason']}")
            for item in deleted["failed"]:
                click.echo(f"failed {item['path']}: {item['error']}")
    current_app.logger.info("symlink scan %s: %d problem(s)", path, problems)
    sys.exit(1 if problems else 0)
