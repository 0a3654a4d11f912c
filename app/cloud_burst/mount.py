"""Mount health: a scan runs only over a mount that really reads, and stops when it degrades.

A degraded rclone mount still lists its folders (from its directory cache) while every read hangs; Plex
then treats the files as gone. So :func:`ensure_mount_healthy` reads real bytes (the first and the last
64 KiB) of a sample of files, each read in a child process with a deadline (a read stuck in FUSE cannot be
interrupted in a thread; a child process can be killed and abandoned), checks an optional sentinel file and,
when rclone's remote control is enabled, asks ``core/stats`` (rclone's rc API, ``POST /core/stats``).
:class:`MountMonitor` repeats the check during a scan and calls back when the mount degrades, then tries to
remount with back-off.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from app.utils.messages import N_, Refusal

READ_BYTES = 65_536
#: Files listed at most to draw the sample from (the listing runs in a child process too).
LISTED = 500


class MountUnhealthy(Refusal):
    """The mount does not read (the message says which file or check failed); nothing is scanned."""

    code = "mount_unhealthy"
    status = 503


def _run(command: list[str], timeout: float) -> tuple[bool, str]:
    """Run ``command`` in a child process for at most ``timeout`` seconds: ``(finished with 0, output)``. A
    child still running at the deadline is killed and left to a reaper thread (a read stuck in FUSE may take a
    while to die); the caller never waits for it."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGKILL)
        threading.Thread(target=child.communicate, daemon=True, name="reap-probe").start()  # closes its pipe
        return False, f"no answer within {timeout:g} s"
    return child.returncode == 0, output.decode("utf-8", "replace")


#: Runs a command with a deadline: ``(command, timeout seconds) -> (finished with 0, output)``. Local child
#: processes by default; :meth:`app.cloud_burst.remote.RemoteHost.run_checked` runs them on the burst machine.
Runner = Callable[[list[str], float], tuple[bool, str]]


def read_ends(path: Path, size: int, timeout: float, run: Runner = _run) -> str | None:
    """Read the first and the last :data:`READ_BYTES` of ``path`` in child processes (``dd``); the reason it
    failed, or ``None``."""
    for skip in sorted({0, max(0, size - READ_BYTES)}):
        ok, output = run(["dd", f"if={path}", "of=/dev/null", f"bs={READ_BYTES}", "count=1", "status=none",
                           "iflag=skip_bytes", f"skip={skip}"], timeout)
        if not ok:
            return f"{path.name}: {output.strip() or 'read failed'}"
    return None


def sample(root: Path, count: int, timeout: float, rng: random.Random | None = None,
           run: Runner = _run) -> list[tuple[Path, int]]:
    """``count`` files (and sizes) drawn from the first :data:`LISTED` non-empty files under ``root``, listed
    by ``find`` in a child process. Raises :class:`MountUnhealthy` when the listing does not answer."""
    ok, output = run(["find", str(root), "-type", "f", "-size", "+0", "-printf", "%s %p\\n"], timeout)
    if not ok and "no answer" in output:
        raise MountUnhealthy(N_("the listing of %(root)s does not answer (%(reason)s)"), root=str(root),
                             reason=output)
    files = []
    for line in output.splitlines()[:LISTED]:
        size, _sep, name = line.partition(" ")
        if size.isdigit() and name:
            files.append((Path(name), int(size)))
    return (rng or random.Random()).sample(files, min(count, len(files)))


def rclone_stats(rc_url: str, timeout: float) -> dict[str, Any]:
    """rclone's ``core/stats`` (its rc API answers POST with JSON). Raises :class:`MountUnhealthy` when rclone
    does not answer (a stopped or hung rclone)."""
    try:
        response = requests.post(f"{rc_url.rstrip('/')}/core/stats", json={}, timeout=timeout)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise MountUnhealthy(N_("rclone's remote control does not answer (%(reason)s)"),
                             reason=type(exc).__name__) from None


def ensure_mount_healthy(root: Path, *, files: int = 5, timeout: float = 10.0, sentinel: str | None = None,
                         rc_url: str | None = None, rng: random.Random | None = None,
                         run: Runner = _run) -> dict[str, Any]:
    """Check that ``root`` reads: the sentinel file (relative to ``root``) when given, ``files`` sampled files
    read at both ends, rclone's stats when ``rc_url`` is given; each read within ``timeout`` seconds, through
    ``run`` (local child processes by default, or commands on another machine over SSH).
    Returns ``{"checked": [file names], "rclone": stats or None}``; raises :class:`MountUnhealthy`."""
    checked = []
    if sentinel:
        target = root / sentinel
        reason = read_ends(target, READ_BYTES, timeout, run) if target.name else "empty sentinel"
        if reason:
            raise MountUnhealthy(N_("the sentinel file %(file)s does not read (%(reason)s)"), file=str(target),
                                 reason=reason)
        checked.append(sentinel)
    for path, size in sample(root, files, timeout, rng, run):
        reason = read_ends(path, size, timeout, run)
        if reason:
            raise MountUnhealthy(N_("%(root)s does not read: %(reason)s"), root=str(root), reason=reason)
        checked.append(path.name)
    stats = rclone_stats(rc_url, timeout) if rc_url else None
    if not checked and not stats:
        raise MountUnhealthy(N_("%(root)s holds no file to read: an empty mount is not a healthy one"),
                             root=str(root))
    return {"checked": checked, "rclone": stats}


@dataclass
class MonitorEvent:
    """What the monitor saw: ``kind`` (``degraded``, ``remounted``, ``remount_failed``), ``detail``, ``at``
    (monotonic seconds)."""

    kind: str
    detail: str
    at: float = field(default_factory=time.monotonic)


class MountMonitor:
    """Repeats ``check`` every ``interval_s`` while a scan runs. When it raises :class:`MountUnhealthy`,
    ``on_degraded(reason)`` is called once (cancel the section's scan, mark its results untrusted), then
    ``remount`` is tried with back-off (``backoff_s``) until ``check`` passes again. ``stop()`` ends it and
    joins the thread with a timeout. The checks and callbacks run outside the lock that guards
    :attr:`events`."""

    def __init__(self, check: Callable[[], Any], on_degraded: Callable[[str], None], *, interval_s: float = 30.0,
                 remount: Callable[[], None] | None = None, backoff_s: tuple[float, ...] = (5.0, 15.0, 60.0)):
        self._check, self._on_degraded, self._remount = check, on_degraded, remount
        self.interval_s, self.backoff_s = interval_s, backoff_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._events: list[MonitorEvent] = []
        self._thread: threading.Thread | None = None
        self.degraded = False

    @property
    def events(self) -> list[MonitorEvent]:
        """A copy of what happened so far."""
        with self._lock:
            return list(self._events)

    def _record(self, kind: str, detail: str) -> None:
        with self._lock:
            self._events.append(MonitorEvent(kind, detail))

    def start(self) -> MountMonitor:
        """Start watching in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="mount-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop and join; ``False`` when the thread did not end within ``timeout`` seconds (a check stuck in
        its own timeout)."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._check()
                continue
            except MountUnhealthy as exc:
                reason = str(exc)
            if not self.degraded:
                self.degraded = True
                self._record("degraded", reason)
                self._on_degraded(reason)
            self._recover()

    def _recover(self) -> None:
        for pause in self.backoff_s:
            if self._remount is None or self._stop.wait(pause):
                return
            try:
                self._remount()
                self._check()
            except (MountUnhealthy, OSError, subprocess.SubprocessError) as exc:
                self._record("remount_failed", str(exc))
                continue
            self.degraded = False
            self._record("remounted", "the mount reads again")
            return


class Remounter:
    """A ``remount`` for :class:`MountMonitor`: ``fusermount3 -uz`` (a lazy unmount, which works on a hung
    mount), then ``mount_command`` started in the background (a foreground ``rclone mount ...``: rclone 1.60's
    ``--daemon`` with ``--rc`` starts the remote control twice and never returns), until the mount point is
    mounted again or ``timeout`` seconds pass. :attr:`processes` keeps the mounts it started."""

    def __init__(self, mountpoint: Path, mount_command: list[str], timeout: float = 30.0):
        self.mountpoint, self.mount_command, self.timeout = mountpoint, mount_command, timeout
        self.processes: list[subprocess.Popen] = []
        # rclone 1.60's S3 backend fails on AWS_CA_BUNDLE ("unsupported transport"): it takes --ca-cert instead
        self.env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}

    def __call__(self) -> None:
        """Unmount, start the mount again, wait until it is mounted. Raises ``OSError`` when it is not."""
        subprocess.run(["fusermount3", "-uz", str(self.mountpoint)], capture_output=True, timeout=self.timeout,
                       check=False)
        process = subprocess.Popen(self.mount_command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True, env=self.env)
        self.processes.append(process)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise OSError(f"the mount command ended with code {process.returncode}")
            if os.path.ismount(self.mountpoint):
                return
            time.sleep(0.1)
        raise OSError(f"{self.mountpoint} is not mounted after {self.timeout:g} s")

    def stop(self) -> None:
        """End the mounts this remounter started (at the end of a run)."""
        subprocess.run(["fusermount3", "-uz", str(self.mountpoint)], capture_output=True, check=False)
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
