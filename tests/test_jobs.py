"""Scheduler registry: live rescheduling, recorded runs, one scheduler per instance folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from app.jobs import JobSpec
from app.utils.stores.settings_manager import SettingsManager
from tests.conftest import ApiClient, create_admin
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent


def _scheduled_app(make_app):
    app = make_app(SCHEDULER_ENABLED=True)
    client = app.test_client()
    create_admin(client)
    return app, ApiClient(client)


def test_backup_schedule_change_reschedules_without_restart(make_app) -> None:
    app, api = _scheduled_app(make_app)
    runner = app.extensions["mms"].jobs
    assert runner.owns_scheduler
    job = runner.scheduler.get_job("backup")
    assert "hour='3'" in str(job.trigger)
    api.call("PUT", "/api/settings", json={"values": {"backup_schedule": "weekly", "backup_hour": 5}})
    job = runner.scheduler.get_job("backup")
    assert "day_of_week='mon'" in str(job.trigger) and "hour='5'" in str(job.trigger)
    assert job.next_run_time.weekday() == 0 and job.next_run_time.hour == 5
    api.call("PUT", "/api/settings", json={"values": {"backup_schedule": "disabled"}})
    assert runner.scheduler.get_job("backup") is None
    row = next(j for j in api.call("GET", "/api/jobs").json["jobs"] if j["id"] == "backup")
    assert row["enabled"] is False and row["next_run"] is None
    # a change saved by another process is picked up by the periodic sync
    SettingsManager(app.instance_path).save({"backup_schedule": "hourly"})
    assert runner.sync_schedules() == {"backup": "scheduled: cron[minute='0']"}
    assert runner.scheduler.get_job("backup").next_run_time is not None


def test_run_now_records_start_end_duration_and_result(make_app) -> None:
    app, api = _scheduled_app(make_app)
    response = api.call("POST", "/api/jobs/backup/run")
    assert response.status_code == 202

    def finished():
        rows = api.call("GET", "/api/jobs").json["jobs"]
        run = next(j for j in rows if j["id"] == "backup")["last_run"]
        return run if run and run["status"] != "running" else None

    run = wait_for(finished, what="the backup run")
    assert run["status"] == "ok" and run["trigger"] == "manual"
    assert run["ended_at"] >= run["started_at"] and run["duration_s"] >= 0
    name = run["result"].split(":")[0]
    assert (app.extensions["mms"].backup_path / name).is_file()
    assert api.call("POST", "/api/jobs/nope/run").status_code == 404
    page = api.client.get("/jobs").text
    assert 'data-job="backup"' in page and name in page


def test_failing_job_is_recorded_and_does_not_stop_the_runner(app) -> None:
    runner = app.extensions["mms"].jobs

    def broken() -> str:
        raise OSError("disk full")

    runner.specs["broken"] = JobSpec("broken", "Broken", broken, lambda s: None, lambda s: "manual")
    assert runner.execute("broken", "manual") == "error"
    run = app.extensions["mms"].job_runs.runs("broken")[0]
    assert run["status"] == "error" and "disk full" in run["error"]
    assert runner.execute("backup", "manual") == "ok"


def test_a_running_job_is_not_started_twice(app) -> None:
    runner = app.extensions["mms"].jobs
    held = FileLock(str(runner.lock_dir / "job-backup.lock"), thread_local=False)
    with held.acquire(timeout=1):
        assert runner.execute("backup", "manual") == "skipped"
    run = app.extensions["mms"].job_runs.runs("backup")[0]
    assert run["status"] == "skipped" and run["result"] == "already running"
    assert runner.execute("backup", "manual") == "ok"


CHILD = """
import sys
from app import create_app
app = create_app({"INSTANCE_PATH": sys.argv[1], "BACKUP_PATH": sys.argv[2], "SCHEDULER_ENABLED": True})
print("owner", app.extensions["mms"].jobs.owns_scheduler, flush=True)
sys.stdin.read()
app.extensions["mms"].jobs.shutdown()
"""


def test_only_one_process_runs_the_scheduler(make_app, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_PASSWORD",)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "instance"), str(tmp_path / "backups")],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "owner True"
        app = make_app(SCHEDULER_ENABLED=True)
        runner = app.extensions["mms"].jobs
        assert runner.owns_scheduler is False
    finally:
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()
    assert runner.start() is True  # the lock is free once the other process is gone


def test_flask_cli_does_not_start_the_jobs(tmp_path: Path) -> None:
    env = {**os.environ, "MMS_INSTANCE_PATH": str(tmp_path / "i"), "MMS_BACKUP_PATH": str(tmp_path / "b")}
    holder = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "i"), str(tmp_path / "b")],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "owner True"
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "routes"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert done.returncode == 0, done.stderr
    assert "/api/settings" in done.stdout
    assert "another process runs the scheduler" not in done.stderr  # it never tried
