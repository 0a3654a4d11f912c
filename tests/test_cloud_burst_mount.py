"""Mount health on a real ``rclone mount`` (FUSE) of a local S3 server (moto) (issue 16, item 3): a healthy
mount passes and its section is scanned; with rclone stopped by SIGSTOP (folders still listed from cache,
reads hang) the check fails within its timeout and no scan is asked; the monitor cancels a running scan,
marks the section untrusted, and remounts with ``fusermount3 -uz`` and a new rclone."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cloud_burst import mount
from app.cloud_burst.scans import scan_when_healthy, watch_scan
from app.utils.clients.plex import PlexClient
from tests.emulators.plex import PlexEmulator
from tests.waiting import wait_for


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(tmp_path: Path):
    port = _port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import boto3

    client = boto3.client("s3", endpoint_url=url, aws_access_key_id="mms", aws_secret_access_key="mms-secret",
                          region_name="us-east-1")
    wait_for(lambda: _answers(client), timeout=30, interval=0.2, what="moto S3 server")
    client.create_bucket(Bucket="media")
    for n in range(6):
        client.put_object(Bucket="media", Key=f"Films/Film {n} (200{n})/Film {n}.mkv", Body=os.urandom(200_000 + n))
    yield url
    server.terminate()
    server.wait(10)


def _answers(client) -> bool:
    try:
        client.list_buckets()
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False


def _rclone(url: str, mountpoint: Path, rc_port: int) -> list[str]:
    command = ["rclone", "mount", "s3:media", str(mountpoint), "--vfs-cache-mode", "off", "--dir-cache-time", "1h",
               "--attr-timeout", "1h", "--rc", "--rc-addr", f"127.0.0.1:{rc_port}", "--rc-no-auth",
               "--s3-provider", "Other", "--s3-endpoint", url, "--s3-access-key-id", "mms",
               "--s3-secret-access-key", "mms-secret", "--s3-region", "us-east-1"]
    return command


def _env() -> dict[str, str]:
    """rclone's environment: the remote's type; no AWS_CA_BUNDLE (rclone 1.60's S3 backend fails on it)."""
    return {**{k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}, "RCLONE_CONFIG_S3_TYPE": "s3"}


@pytest.fixture
def mounted(s3: str, tmp_path: Path):
    point = tmp_path / "mnt"
    point.mkdir()
    rc_port = _port()
    process = subprocess.Popen(_rclone(s3, point, rc_port), env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_for(lambda: (point / "Films").is_dir() and len(list((point / "Films").iterdir())) == 6, timeout=30,
             interval=0.2, what="the rclone mount")
    os.environ["RCLONE_CONFIG_S3_TYPE"] = "s3"  # for the remount, run by the code under test
    yield {"point": point, "process": process, "rc": f"http://127.0.0.1:{rc_port}", "url": s3, "rc_port": rc_port}
    for sig in (signal.SIGCONT, signal.SIGTERM):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    subprocess.run(["fusermount3", "-uz", str(point)], capture_output=True, check=False)
    subprocess.run(["pkill", "-f", f"rclone mount s3:media {point}"], capture_output=True, check=False)
    os.environ.pop("RCLONE_CONFIG_S3_TYPE", None)


def test_a_healthy_mount_is_scanned_a_stopped_one_is_not(mounted, app) -> None:
    point = mounted["point"]
    with PlexEmulator() as plex:
        section = plex.add_section("Films", "movie", str(point / "Films"))
        client = PlexClient(plex.url, plex.token)
        reports = scan_when_healthy(client, section, [point / "Films"], files=3, timeout=5, rc_url=mounted["rc"])
        assert len(reports[str(point / "Films")]["checked"]) == 3
        assert reports[str(point / "Films")]["rclone"]["bytes"] > 0  # rclone read real bytes from S3
        assert plex.scans == [(section, None)]

        mounted["process"].send_signal(signal.SIGSTOP)  # rclone hangs: every request to the mount waits
        started = time.monotonic()
        with pytest.raises(mount.MountUnhealthy):
            scan_when_healthy(client, section, [point / "Films"], files=3, timeout=2)
        assert time.monotonic() - started < 12  # within its timeouts, never stuck
        assert plex.scans == [(section, None)]  # no second scan


def test_the_monitor_cancels_the_scan_and_remounts(mounted, app) -> None:
    point = mounted["point"]
    with PlexEmulator() as plex:
        section = plex.add_section("Films", "movie", str(point / "Films"))
        client = PlexClient(plex.url, plex.token)
        untrusted: set[int] = set()
        process = mounted["process"]

        remounter = mount.Remounter(point, _rclone(mounted["url"], point, _port()))

        def remount() -> None:
            process.kill()  # the hung rclone goes; the remounter clears its mount and starts a new one
            process.wait(10)
            remounter()

        monitor = watch_scan(client, section, [point / "Films"], untrusted, interval_s=0.3, remount=remount,
                             files=2, timeout=2)
        monitor.backoff_s = (0.2, 0.5, 1.0)
        monitor.start()
        try:
            process.send_signal(signal.SIGSTOP)
            wait_for(lambda: plex.cancelled_scans == [section], timeout=20, interval=0.2, what="the scan cancelled")
            assert untrusted == {section} and monitor.events[0].kind == "degraded"
            wait_for(lambda: any(e.kind == "remounted" for e in monitor.events), timeout=40, interval=0.3,
                     what="the remount")
            assert not monitor.degraded
            assert mount.ensure_mount_healthy(point / "Films", files=2, timeout=5)["checked"]
        finally:
            assert monitor.stop(timeout=15)
            remounter.stop()
