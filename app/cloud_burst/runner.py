"""One run of cloud burst, step by step, in a thread (:class:`BurstRunner`).

Each step is safe to start again: after an MMS restart the watchdog makes a new runner, which begins the
run's current step again (a machine already made is kept, a mount already there is checked, sections already
scanned are skipped, downloads resume). Whatever ends the run (done, failure, cancel, run time limit), the
machine is destroyed and the S3 credentials are removed from it; a destroy that fails is logged and retried
by the watchdog.

Paths on the machine: ``<cloud_burst_remote_root>/<run id>/`` holds ``plex/`` (Plex's ``/config``),
``rclone.conf`` (mode 0600) and ``logs/``; the bucket is mounted on ``cloud_burst_mount_path``.
"""

from __future__ import annotations

import logging
import posixpath
import shlex
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree
from flask import Flask

from app.cloud_burst import guard, providers, remap, runs
from app.cloud_burst.mount import MountUnhealthy, ensure_mount_healthy
from app.cloud_burst.remote import RemoteError, RemoteHost
from app.cloud_burst.scans import scan_when_healthy, watch_scan
from app.extensions import managers
from app.utils.clients.errors import UpstreamError
from app.utils.clients.plex import PlexClient
from app.utils.messages import N_, Refusal
from app.utils.transfer import SftpPuller, SftpTarget, TransferError

log = logging.getLogger(__name__)

PMS_DIR = "plex/Library/Application Support/Plex Media Server"
DATABASES = "Plug-in Support/Databases"
LIBRARY_DB = "com.plexapp.plugins.library.db"
#: Files of a Plex database (the blobs database beside the library one).
DB_FILES = (LIBRARY_DB, remap.BLOBS_DB)
#: How long Plex has to write its token after a claim, and to answer after a start (seconds).
CLAIM_WAIT_S = 180
PLEX_START_S = 300
RC_PORT = 5572


class StepFailed(Refusal):
    """A step failed for a reason the run records and shows (the run fails)."""

    code = "cloud_burst_step_failed"
    status = 502


class Cancelled(Exception):
    """The run was cancelled (by the user, or because it is stopping)."""


def home_database(settings: Any) -> Path:
    """The home Plex library database (``PLEX_DATA_PATH/Plug-in Support/Databases/...``)."""
    return Path(settings.plex_data_path) / DATABASES / LIBRARY_DB


def run_folder(run_id: str) -> Path:
    """``instance/cloud_burst/<run id>/``: the database copies, the bundles and the run archive."""
    return managers().instance_path / "cloud_burst" / run_id


class BurstRunner:
    """Runs ``run_id`` in a daemon thread inside ``app``'s context. :meth:`cancel` asks it to stop; the
    claim token and the "Plex is stopped" confirmation reach it through :meth:`give_claim` and
    :meth:`confirm_stopped`."""

    def __init__(self, app: Flask, run_id: str):
        self.app, self.run_id = app, run_id
        self.stop = threading.Event()
        self._claim: str | None = None
        self._claim_given = threading.Event()
        self._stopped_confirmed = threading.Event()
        self.remote: RemoteHost | None = None
        self.thread = threading.Thread(target=self._main, daemon=True, name=f"cloud-burst-{run_id}")

    # -- control ---------------------------------------------------------------------------------------
    def start(self) -> BurstRunner:
        """Start the thread."""
        self.thread.start()
        return self

    def alive(self) -> bool:
        """Whether the thread runs."""
        return self.thread.is_alive()

    def cancel(self) -> None:
        """Stop at the next check; the machine is destroyed on the way out."""
        self.stop.set()
        self._claim_given.set()
        self._stopped_confirmed.set()

    def give_claim(self, token: str) -> None:
        """The Plex claim token (``claim-...``, from plex.tv/claim, valid 4 minutes); kept in memory only."""
        self._claim = token
        self._claim_given.set()

    def confirm_stopped(self) -> None:
        """The user says the home Plex is stopped: the database can be installed."""
        self._stopped_confirmed.set()

    # -- the loop --------------------------------------------------------------------------------------
    def _main(self) -> None:
        with self.app.app_context():
            try:
                run = runs.get(self.run_id)
                if run["state"] != "created":
                    runs.restart_step(self.run_id)
                    runs.log(self.run_id, N_("MMS restarted: the step %(step)s starts again"),
                             step=run["state"])
                while True:
                    run = runs.get(self.run_id)
                    if run["state"] in runs.TERMINAL:
                        return
                    self._check_stop(run)
                    following = self._step(run)
                    self._check_stop(runs.get(self.run_id))
                    runs.advance(self.run_id, following)
                    runs.log(self.run_id, N_("step %(step)s done"), step=run["state"])
                    if following == "done":
                        managers().events.publish("cloud_burst_finished", msgid=N_("cloud burst run %(id)s is done"),
                                                  params={"id": self.run_id})
            except Cancelled:
                self._finish("cancelled", N_("cancelled"), {})
            except Exception as exc:  # every failure ends the run with its reason, machine destroyed
                if self.stop.is_set() or runs.get(self.run_id).get("cancel_requested"):
                    self._finish("cancelled", N_("cancelled"), {})  # a wait cut short by the cancel
                    return
                if not isinstance(exc, Refusal | UpstreamError | TransferError):
                    log.exception("cloud burst run %s failed", self.run_id)
                msgid, params = _reason(exc)
                self._finish("failed", msgid, params)
            finally:
                if self.remote is not None:
                    self.remote.close()

    def _check_stop(self, run: dict[str, Any]) -> None:
        if self.stop.is_set() or run.get("cancel_requested"):
            raise Cancelled
        if runs.age_hours(run) > self._settings().cloud_burst_run_timeout_h:
            raise StepFailed(N_("the run passed its time limit (%(hours)s h)"),
                             hours=f"{self._settings().cloud_burst_run_timeout_h:g}")

    def _finish(self, state: str, msgid: str, params: dict[str, Any]) -> None:
        run = runs.get(self.run_id)
        if state == "failed":
            runs.set_fields(self.run_id, error={"msgid": msgid, "params": params, "step": run["state"]})
            runs.log(self.run_id, msgid, level="error", **params)
            managers().events.publish("cloud_burst_failed", msgid=N_("cloud burst run %(id)s failed: %(reason)s"),
                                      params={"id": self.run_id, "reason": {"msgid": msgid, "params": params}})
        else:
            runs.log(self.run_id, N_("cancelled"), level="warning")
        self.teardown()
        if runs.get(self.run_id)["state"] not in runs.TERMINAL:
            runs.advance(self.run_id, state)

    def _step(self, run: dict[str, Any]) -> str:
        state = run["state"]
        handler = getattr(self, f"_do_{state}")
        handler(run)
        return runs.STEPS[runs.STEPS.index(state) + 1]

    def _settings(self) -> Any:
        return managers().settings.load()

    # -- shared pieces ---------------------------------------------------------------------------------
    def _paths(self, run: dict[str, Any]) -> dict[str, str]:
        s = self._settings()
        root = posixpath.join(s.cloud_burst_remote_root, run["id"])
        return {"root": root, "plex": posixpath.join(root, "plex"), "pms": posixpath.join(root, PMS_DIR),
                "conf": posixpath.join(root, "rclone.conf"), "logs": posixpath.join(root, "logs"),
                "mount": s.cloud_burst_mount_path, "container": f"mms-burst-{run['id']}"}

    def _host(self, run: dict[str, Any]) -> RemoteHost:
        if self.remote is None:
            machine = run["machine"] or {}
            key = machine.get("key_path") or str(providers.ssh_key(managers().instance_path / "cloud_burst")[0])
            self.remote = RemoteHost(machine["host"], int(machine["port"]), machine["username"], key,
                                     machine.get("host_key"))
        return self.remote

    def _remember_host_key(self) -> None:
        if self.remote is not None and self.remote.host_key:
            def apply(run: dict[str, Any]) -> None:
                run["machine"]["host_key"] = self.remote.host_key
            runs.change(self.run_id, apply)

    def _mappings(self, to_cloud: bool) -> list[remap.PathMapping]:
        rules = self._settings().cloud_burst_path_mappings
        return remap.load_mappings([{"from": r.home, "to": r.cloud} if to_cloud else {"from": r.cloud, "to": r.home}
                                    for r in rules])

    def _docker(self) -> str:
        return shlex.quote(self._settings().cloud_burst_docker)

    def _ask(self, what: str, answered: threading.Event, msgid: str) -> None:
        """Show the question ``what`` on the run's page (``waiting_for``) and wait for its answer, checking
        for a cancel every second."""
        runs.set_fields(self.run_id, waiting_for=what)
        runs.log(self.run_id, msgid)
        while not answered.wait(1.0):
            self._check_stop(runs.get(self.run_id))
        self._check_stop(runs.get(self.run_id))
        runs.set_fields(self.run_id, waiting_for=None)

    def _wait(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Cancelled

    # -- the steps -------------------------------------------------------------------------------------
    def _do_created(self, run: dict[str, Any]) -> None:
        runs.log(self.run_id, N_("run started: %(mode)s, sections %(sections)s"), mode=run["options"]["mode"],
                 sections=", ".join(str(s) for s in run["options"]["sections"]) or "-")

    def _do_provisioning(self, run: dict[str, Any]) -> None:
        settings = self._settings()
        provider = providers.provider(settings, run["options"]["provider"])
        _key, public = providers.ssh_key(managers().instance_path / "cloud_burst")
        machine = run["machine"]
        if machine is None:
            machine = provider.create(self.run_id, public)
            runs.set_fields(self.run_id, machine=machine)  # saved before anything else: it is destroyed later
            runs.log(self.run_id, N_("machine %(id)s made (%(provider)s)"), id=machine["id"], provider=provider.name)
            if isinstance(provider, providers.Scaleway):
                provider.start(machine, public)
        if not machine.get("host"):
            machine = provider.wait_address(machine, timeout=900)
            runs.set_fields(self.run_id, machine=machine)
        self._host(runs.get(self.run_id)).wait_ready(timeout=900, stop=self.stop)
        self._remember_host_key()
        runs.log(self.run_id, N_("logged in to %(host)s over SSH"), host=machine["host"])

    def _do_preparing(self, run: dict[str, Any]) -> None:
        host, paths, s = self._host(run), self._paths(run), self._settings()
        host.run("command -v cloud-init >/dev/null && cloud-init status --wait >/dev/null; true", timeout=1800)
        host.run(f"mkdir -p {shlex.quote(paths['plex'])} {shlex.quote(paths['logs'])} "
                 f"{shlex.quote(paths['mount'])}")
        for tool in ("rclone", "fusermount3"):
            code, _ = host.run(f"command -v {tool}", check=False)
            if code != 0:
                raise StepFailed(N_("%(tool)s is not installed on the machine"), tool=tool)
        host.run(f"{self._docker()} version", timeout=60)
        runs.log(self.run_id, N_("pulling the Plex image %(image)s"), image=s.cloud_burst_plex_image)
        host.run(f"{self._docker()} pull {shlex.quote(s.cloud_burst_plex_image)}", timeout=3600)
        config = (f"[burst]\ntype = s3\nprovider = Other\naccess_key_id = {s.cloud_burst_s3_access_key}\n"
                  f"secret_access_key = {s.cloud_burst_s3_secret_key}\nendpoint = {s.cloud_burst_s3_endpoint}\n"
                  f"region = {s.cloud_burst_s3_region}\n")
        host.put_bytes(config.encode(), paths["conf"], 0o600)
        runs.log(self.run_id, N_("the S3 credentials are on the machine (mode 0600, removed at the end)"))

    def _do_uploading_db(self, run: dict[str, Any]) -> None:
        if run["options"]["mode"] != "delta":
            runs.log(self.run_id, N_("from scratch: no database sent"))
            return
        settings, folder = self._settings(), run_folder(self.run_id) / "upload"
        folder.mkdir(parents=True, exist_ok=True)
        for name in DB_FILES:
            source = home_database(settings).with_name(name)
            if not source.exists():
                continue
            copy = folder / name
            copy.unlink(missing_ok=True)
            snapshot(source, copy)
            if name == LIBRARY_DB:
                report = remap.apply(copy, self._mappings(to_cloud=True), folder / "backup",
                                     settings.plex_sqlite_path or None)
                runs.log(self.run_id, N_("home database remapped to the cloud paths: %(count)s path(s)"),
                         count=sum(report["changed"].values()))
            remote = posixpath.join(self._paths(run)["pms"], DATABASES, name)
            size = self._host(run).put_file(copy, remote)
            runs.log(self.run_id, N_("%(file)s sent (%(size)s bytes)"), file=name, size=size)

    def _mount_command(self, run: dict[str, Any], root_user: bool) -> str:
        paths, s = self._paths(run), self._settings()
        bucket = s.cloud_burst_s3_bucket.strip("/")
        parts = ["rclone", "mount", f"burst:{bucket}", paths["mount"], "--config", paths["conf"], "--read-only",
                 "--vfs-cache-mode", "off", "--dir-cache-time", "1m", "--rc", "--rc-addr",
                 f"127.0.0.1:{run.get('rc_port') or RC_PORT}", "--rc-no-auth", "--log-file",
                 posixpath.join(paths["logs"], "rclone.log"), "--log-level", "INFO"]
        if root_user:
            parts.append("--allow-other")
        return f"nohup {shlex.join(parts)} >/dev/null 2>&1 </dev/null & echo $!"

    def _mount(self, run: dict[str, Any]) -> None:
        host, paths = self._host(run), self._paths(run)
        code, _ = host.run(f"mountpoint -q {shlex.quote(paths['mount'])}", check=False)
        if code != 0:
            _, uid = host.run("id -u")
            _, pid = host.run(self._mount_command(run, uid.strip() == "0"))
            runs.set_fields(self.run_id, rclone_pid=int(pid.strip().splitlines()[-1]))
            deadline = time.monotonic() + 60
            while host.run(f"mountpoint -q {shlex.quote(paths['mount'])}", check=False)[0] != 0:
                if time.monotonic() > deadline:
                    raise StepFailed(N_("the bucket is not mounted after 60 s (see rclone.log in the run archive)"))
                self._wait(0.5)

    def _check_mount(self, run: dict[str, Any], roots: list[str]) -> None:
        host = self._host(run)
        for root in roots or [self._paths(run)["mount"]]:
            ensure_mount_healthy(Path(root), files=5, timeout=20.0, run=host.run_checked)

    def _do_mounting(self, run: dict[str, Any]) -> None:
        if not run.get("rc_port"):
            runs.set_fields(self.run_id, rc_port=RC_PORT + int(self.run_id, 16) % 1000)
            run = runs.get(self.run_id)
        self._mount(run)
        self._check_mount(run, [])
        runs.log(self.run_id, N_("the bucket is mounted and reads"))

    def _plex(self, run: dict[str, Any]) -> PlexClient:
        host, token = self._host(run), self._token(run)
        port = host.forward(self._settings().cloud_burst_plex_port)
        return PlexClient(f"http://127.0.0.1:{port}", token)

    def _token(self, run: dict[str, Any]) -> str | None:
        text = self._host(run).read_text(posixpath.join(self._paths(run)["pms"], "Preferences.xml"))
        if not text:
            return None
        try:
            return ElementTree.fromstring(text).get("PlexOnlineToken") or None
        except (ParseError, ValueError):
            return None

    def _start_plex(self, run: dict[str, Any]) -> None:
        host, paths, s = self._host(run), self._paths(run), self._settings()
        name = shlex.quote(paths["container"])
        if host.run(f"{self._docker()} inspect {name} >/dev/null 2>&1", check=False)[0] == 0:
            host.run(f"{self._docker()} start {name}")
            return
        for _attempt in range(3):
            self._claim, self._claim_given = None, threading.Event()
            self._ask("plex_claim", self._claim_given, N_("waiting for a Plex claim token (plex.tv/claim)"))
            mount = shlex.quote(paths["mount"])
            host.run(f"{self._docker()} run -d --name {name} --network host --env-file /dev/stdin -e TZ=UTC "
                     f"-v {shlex.quote(paths['plex'])}:/config -v {mount}:{mount}:ro "
                     f"{shlex.quote(s.cloud_burst_plex_image)}", stdin=f"PLEX_CLAIM={self._claim}\n".encode())
            self._claim = None
            deadline = time.monotonic() + CLAIM_WAIT_S
            while time.monotonic() < deadline:
                if self._token(run):
                    runs.log(self.run_id, N_("Plex started on the machine and is claimed"))
                    return
                self._wait(1.0)
            host.run(f"{self._docker()} rm -f {name}", check=False)
            runs.log(self.run_id, N_("Plex was not claimed within %(seconds)s s: the token may have expired"),
                     level="warning", seconds=CLAIM_WAIT_S)
        raise StepFailed(N_("Plex could not be claimed on the machine"))

    def _wait_plex(self, plex: PlexClient) -> None:
        deadline = time.monotonic() + PLEX_START_S
        while True:
            try:
                plex.sections()
                return
            except UpstreamError:
                if time.monotonic() > deadline:
                    raise
            self._wait(1.0)

    def _cloud_sections(self, run: dict[str, Any], plex: PlexClient) -> dict[int, Any]:
        chosen = set(run["options"]["sections"])
        present = {s.key: s for s in plex.sections()}
        if run["options"]["mode"] == "scratch":
            home = guard.section_counts(home_database(self._settings()))
            mappings = self._mappings(to_cloud=True)
            titles = {s.title for s in present.values()}
            for sid, info in home.items():
                if (chosen and sid not in chosen) or info["name"] in titles:
                    continue
                locations = [remap.map_path(p, mappings)[0] if remap.map_path(p, mappings) else p
                             for p in info["locations"]]
                plex.add_section(info["name"], info["kind"], info["agent"], info["scanner"], info["language"],
                                 locations)
                runs.log(self.run_id, N_("section %(name)s made on the machine"), name=info["name"])
            present = {s.key: s for s in plex.sections()}
            names = {home[sid]["name"] for sid in chosen} if chosen else None
            return {k: s for k, s in present.items() if names is None or s.title in names}
        return {k: s for k, s in present.items() if not chosen or k in chosen}

    def _do_scanning(self, run: dict[str, Any]) -> None:
        s = self._settings()
        self._mount(run)
        self._start_plex(run)
        plex = self._plex(run)
        self._wait_plex(plex)
        sections = self._cloud_sections(run, plex)
        runs.set_fields(self.run_id, cloud_sections={str(k): {"title": v.title, "type": v.type}
                                                     for k, v in sections.items()})
        for key, section in sorted(sections.items()):
            if run["sections"].get(str(key), {}).get("state") in ("done", "untrusted", "timed_out"):
                continue
            self._scan_one(run, plex, key, section, s)
            run = runs.get(self.run_id)

    def _section_result(self, key: int, **values: Any) -> None:
        def apply(run: dict[str, Any]) -> None:
            run["sections"].setdefault(str(key), {}).update(values)
        runs.change(self.run_id, apply)

    def _scan_one(self, run: dict[str, Any], plex: PlexClient, key: int, section: Any, s: Any) -> None:
        host, roots = self._host(run), list(section.locations)
        started = time.monotonic()
        self._section_result(key, title=section.title, state="scanning", started_at=runs.now())
        runs.log(self.run_id, N_("scanning %(name)s"), name=section.title)
        try:
            scan_when_healthy(plex, key, [Path(r) for r in roots], files=5, timeout=20.0, run=host.run_checked)
        except MountUnhealthy as exc:
            self._section_result(key, state="untrusted", reason=str(exc), ended_at=runs.now())
            runs.log(self.run_id, N_("%(name)s not scanned: %(reason)s"), level="error", name=section.title,
                     reason=str(exc))
            return
        untrusted: set[int] = set()
        paths = self._paths(run)

        def remount() -> None:
            host.run(f"fusermount3 -uz {shlex.quote(paths['mount'])}", check=False)
            _, uid = host.run("id -u")
            host.run(self._mount_command(runs.get(self.run_id), uid.strip() == "0"))
            time.sleep(2)

        read_timeout = max(5.0, min(20.0, s.cloud_burst_check_s * 5.0))  # a read slower than this: degraded
        monitor = watch_scan(plex, key, [Path(r) for r in roots], untrusted, interval_s=s.cloud_burst_check_s,
                             remount=remount, files=3, timeout=read_timeout, run=host.run_checked).start()
        timed_out = False
        try:
            limit = s.cloud_burst_section_timeout_h * 3600
            self._wait(min(2.0, s.cloud_burst_check_s))
            while key not in untrusted and plex.section_refreshing(key):
                if time.monotonic() - started > limit:
                    plex.cancel_scan(key)
                    timed_out = True
                    break
                self._check_stop(runs.get(self.run_id))
                self._wait(min(5.0, s.cloud_burst_check_s))
        finally:
            monitor.stop(timeout=30)
        seconds = round(time.monotonic() - started, 1)
        if key in untrusted:
            reason = next((e.detail for e in monitor.events if e.kind == "degraded"), "")
            self._section_result(key, state="untrusted", reason=reason, seconds=seconds, ended_at=runs.now())
            runs.log(self.run_id, N_("the mount degraded during the scan of %(name)s: scan cancelled, its results "
                                     "are not trusted (%(reason)s)"), level="error", name=section.title,
                     reason=reason)
        elif timed_out:
            self._section_result(key, state="timed_out", seconds=seconds, ended_at=runs.now())
            runs.log(self.run_id, N_("the scan of %(name)s passed its time limit and was cancelled"),
                     level="error", name=section.title)
        else:
            self._section_result(key, state="done", seconds=seconds, ended_at=runs.now())
            runs.log(self.run_id, N_("%(name)s scanned in %(seconds)s s"), name=section.title, seconds=seconds)

    def _do_analyzing(self, run: dict[str, Any]) -> None:
        music = [int(k) for k, v in (run.get("cloud_sections") or {}).items() if v["type"] == "artist"
                 and run["sections"].get(k, {}).get("state") == "done"]
        if not music:
            runs.log(self.run_id, N_("no music section chosen: no sonic analysis"))
            return
        plex, limit = self._plex(run), self._settings().cloud_burst_section_timeout_h * 3600
        for key in music:
            plex.analyze_section(key)
            runs.log(self.run_id, N_("sonic analysis of section %(key)s started"), key=key)
        started = time.monotonic()
        self._wait(2.0)
        while plex.activities():
            if time.monotonic() - started > limit * len(music):
                runs.log(self.run_id, N_("the analysis passed its time limit"), level="warning")
                break
            self._check_stop(runs.get(self.run_id))
            self._wait(5.0)

    def _do_collecting(self, run: dict[str, Any]) -> None:
        host, paths = self._host(run), self._paths(run)
        host.run(f"{self._docker()} stop -t 120 {shlex.quote(paths['container'])}", timeout=180, check=False)
        archive = posixpath.join(paths["root"], "run-logs.tar.gz")
        host.run(f"cd {shlex.quote(paths['root'])} && tar czf run-logs.tar.gz --ignore-failed-read "
                 f"logs {shlex.quote(posixpath.join(PMS_DIR, 'Logs'))} 2>/dev/null; test -f run-logs.tar.gz",
                 timeout=600)
        local = run_folder(self.run_id) / "run-logs.tar.gz"
        host.get_file(archive, local)
        runs.set_fields(self.run_id, archive=local.name)
        runs.log(self.run_id, N_("Plex and rclone logs collected (%(size)s bytes)"), size=local.stat().st_size)

    def _do_downloading_db(self, run: dict[str, Any]) -> None:
        machine, paths = run["machine"], self._paths(run)
        key = machine.get("key_path") or str(providers.ssh_key(managers().instance_path / "cloud_burst")[0])
        target = SftpTarget(machine["host"], int(machine["port"]), machine["username"], key_path=key)
        folder = run_folder(self.run_id)
        puller = SftpPuller(target)
        for name in DB_FILES:
            remote = posixpath.join(paths["pms"], DATABASES, name)
            if self._host(run).run(f"test -f {shlex.quote(remote)}", check=False)[0] != 0:
                if name == LIBRARY_DB:
                    raise StepFailed(N_("Plex left no database on the machine"))
                continue
            puller.pull(remote, folder / "db")
        for bundle in ("Metadata", "Media"):
            remote = posixpath.join(paths["pms"], bundle)
            if self._host(run).run(f"test -d {shlex.quote(remote)}", check=False)[0] == 0:
                files = puller.pull(remote, folder / "bundles")
                runs.log(self.run_id, N_("%(bundle)s: %(count)s file(s) brought home"), bundle=bundle,
                         count=len(files))
        runs.log(self.run_id, N_("database brought home"))
        self.teardown()

    def _do_verifying(self, run: dict[str, Any]) -> None:
        settings, folder = self._settings(), run_folder(self.run_id)
        candidate = folder / "db" / LIBRARY_DB
        remap.apply(candidate, self._mappings(to_cloud=False), folder / "db-backup", settings.plex_sqlite_path or None)
        verdict = guard.compare(home_database(settings), candidate, settings.cloud_burst_max_loss_percent)
        untrusted = {int(k) for k, v in run["sections"].items() if v.get("state") in ("untrusted", "timed_out")}
        titles = {int(k): v["title"] for k, v in (run.get("cloud_sections") or {}).items()}
        for entry in verdict["sections"]:
            cloud_keys = [k for k, t in titles.items() if t == entry["name"]]
            if any(k in untrusted for k in cloud_keys):
                entry["refused"], entry["untrusted"] = True, True
        verdict["ok"] = not any(s["refused"] for s in verdict["sections"])
        runs.set_fields(self.run_id, guard=verdict)
        if not verdict["ok"]:
            refused = [s["name"] for s in verdict["sections"] if s["refused"]]
            raise StepFailed(N_("the database brought home is refused: %(sections)s lost items or were not scanned "
                                "safely; the home database is untouched"), sections=", ".join(refused))
        runs.log(self.run_id, N_("the guard accepts the database"))

    def _do_installing(self, run: dict[str, Any]) -> None:
        settings = self._settings()
        from app.cloud_burst import install

        container = settings.plex_docker_container
        if container:
            install.container(container, "stop")
        else:
            self._stopped_confirmed.clear()
            self._ask("plex_stopped", self._stopped_confirmed, N_("stop the home Plex, then confirm on the page"))
        try:
            report = install.install(run_folder(self.run_id), Path(settings.plex_data_path),
                                     managers().backup_path / "plex-db")
        finally:
            if container:
                install.container(container, "start")
        runs.set_fields(self.run_id, install={**report, "container": container or None})
        runs.log(self.run_id, N_("database installed; the previous one is kept in %(backup)s"),
                 backup=report["backup"])

    # -- the end ---------------------------------------------------------------------------------------
    def teardown(self) -> None:
        """Remove the credentials and the run folder from the machine and destroy it (once). A failure is
        logged and left to the watchdog."""
        run = runs.get(self.run_id)
        machine = run.get("machine")
        if not machine or run.get("destroyed_at"):
            return
        if machine.get("host"):
            try:
                self._clean_machine(run)
            except (RemoteError, OSError) as exc:
                runs.log(self.run_id, N_("cleaning the machine failed: %(reason)s"), level="warning",
                         reason=str(exc))
        try:
            providers.provider(self._settings(), machine["provider"]).destroy(machine)
        except Exception as exc:  # noqa: BLE001 - kept for the watchdog, shown on the page and the health page
            runs.set_fields(self.run_id, destroy_error=str(exc))
            runs.log(self.run_id, N_("destroying the machine failed, MMS tries again: %(reason)s"),
                     level="error", reason=str(exc))
            return
        if self.remote is not None:
            self.remote.close()
            self.remote = None
        hours = runs.age_hours(run)
        actual = round(hours * float(run["cost"].get("hourly") or 0.0), 4)
        runs.change(self.run_id, lambda r: (r.update(destroyed_at=runs.now(), destroy_error=None),
                                            r["cost"].update(actual=actual, hours=round(hours, 3))))
        runs.log(self.run_id, N_("machine %(id)s released"), id=machine["id"])

    def _clean_machine(self, run: dict[str, Any]) -> None:
        host, paths, s = self._host(run), self._paths(run), self._settings()
        host.run(f"{self._docker()} rm -f {shlex.quote(paths['container'])}", timeout=120, check=False)
        host.run(f"fusermount3 -uz {shlex.quote(paths['mount'])}", check=False)
        pid = run.get("rclone_pid")
        if pid:
            host.run(f"[ \"$(cat /proc/{int(pid)}/comm 2>/dev/null)\" = rclone ] && kill {int(pid)}; true",
                     check=False)
        host.run(f"rm -f {shlex.quote(paths['conf'])}", check=False)
        root = posixpath.normpath(paths["root"])
        if posixpath.dirname(root) == posixpath.normpath(s.cloud_burst_remote_root) and \
                posixpath.basename(root) == run["id"]:
            host.run(f"rm -rf -- {shlex.quote(root)}", timeout=600, check=False)
        runs.log(self.run_id, N_("the S3 credentials and the run folder are removed from the machine"))


def snapshot(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (SQLite's online backup API: pages only, so Plex's own
    tokenizer is not needed)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def archive_path(run_id: str) -> Path | None:
    """The run's log archive, when collected."""
    path = run_folder(run_id) / "run-logs.tar.gz"
    return path if path.is_file() else None


def _reason(exc: Exception) -> tuple[str, dict[str, Any]]:
    if isinstance(exc, Refusal):
        return exc.msgid, dict(exc.params)
    if isinstance(exc, UpstreamError | TransferError):
        return N_("%(reason)s"), {"reason": str(exc)}
    return N_("unexpected error: %(reason)s"), {"reason": f"{type(exc).__name__}: {exc}"}

