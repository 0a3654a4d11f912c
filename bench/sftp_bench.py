"""Pull the same 1 GiB file from a local OpenSSH sshd with MMS's transfer and with OpenSSH's sftp client.

Run: ``python bench/sftp_bench.py [--mib 1024] [--rounds 5] [--connections 1 2]`` (needs openssh-server
and the openssh-client ``sftp``). Each round runs OpenSSH's ``sftp``, a stock paramiko ``get`` and
MMS's :class:`SftpPuller` with each connection count one after the other (interleaved, so a noisy
neighbour hits them all); prints every round, the medians, and the ratios of the medians to OpenSSH.
The target (ratio >= 0.8) is judged on the first connection count, the default setting.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.utils.clients.sftp import BULK_WINDOW  # noqa: E402
from app.utils.transfer import SftpPuller, SftpTarget, connect  # noqa: E402
from tests.services.sshd import SshServer  # noqa: E402
from tests.torrents import sha256_of  # noqa: E402


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (KiB), e.g. ``VmRSS`` or ``VmHWM``."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _pull_peak_rss(target: SftpTarget, source: str, staging: str, connections: int) -> tuple[int, int]:
    """In a fresh process: resident memory (KiB) just before one MMS pull, and the peak (VmHWM: this
    process's own, unlike ru_maxrss, which keeps the parent's size from before exec) after it."""
    before = _status_kib("VmRSS")
    SftpPuller(target, connections=connections).pull(source, Path(staging))
    return before, _status_kib("VmHWM")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    results: dict[str, list[float]] = {"openssh": [], "paramiko": []}
    results.update({f"mms x{count}": [] for count in args.connections})
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        server = SshServer(root)
        try:
            source = root / "seedbox" / "big.bin"
            source.parent.mkdir()
            with open(source, "wb") as handle:
                for _ in range(args.mib):
                    handle.write(os.urandom(1 << 20))
            size = source.stat().st_size
            expected = sha256_of(source)
            target = SftpTarget(server.host, server.port, server.username, key_path=str(server.key_path))

            def openssh() -> Path:
                out = root / "openssh.bin"
                subprocess.run(["sftp", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                                "-i", str(server.key_path), "-P", str(server.port),
                                f"{server.username}@127.0.0.1:{source}", str(out)], check=True)
                return out

            def paramiko_get() -> Path:
                out = root / "plain.bin"
                client = connect(target)
                try:
                    client.open_sftp().get(str(source), str(out))
                finally:
                    client.close()
                return out

            def mms(connections: int) -> Callable[[], Path]:
                def run() -> Path:
                    [pulled] = SftpPuller(target, connections=connections).pull(str(source), root / "staging")
                    return pulled
                return run

            runs: list[tuple[str, Callable[[], Path]]] = [("openssh", openssh), ("paramiko", paramiko_get)]
            runs += [(f"mms x{count}", mms(count)) for count in args.connections]
            for round_number in range(1, args.rounds + 1):
                for name, run in runs:
                    start = time.perf_counter()
                    out = run()
                    elapsed = time.perf_counter() - start
                    if name.startswith("mms") and sha256_of(out) != expected:
                        raise SystemExit("MMS transfer is not byte-identical")
                    out.unlink()
                    shutil.rmtree(root / "staging", ignore_errors=True)
                    results[name].append(size / elapsed / 1e6)
                print(f"round {round_number}: " + "  ".join(f"{n} {v[-1]:6.1f} MB/s" for n, v in results.items()),
                      flush=True)
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                rss_before, rss_after = pool.apply(_pull_peak_rss, (target, str(source), str(root / "staging"),
                                                                     args.connections[0]))
        finally:
            server.stop()
    medians = {name: statistics.median(values) for name, values in results.items()}
    openssh_mb = medians["openssh"]
    print(f"median of {args.rounds} rounds, {args.mib} MiB:")
    print(f"  {'OpenSSH sftp client':34}{openssh_mb:7.1f} MB/s")
    print(f"  {'stock paramiko get':34}{medians['paramiko']:7.1f} MB/s  (ratio {medians['paramiko'] / openssh_mb:.2f})")
    for count in args.connections:
        label = f"MMS transfer, {count} connection(s)"
        ours = medians[f"mms x{count}"]
        print(f"  {label:34}{ours:7.1f} MB/s  (ratio {ours / openssh_mb:.2f})")
    print(f"  memory of one MMS pull: peak RSS {rss_after / 1024:.0f} MiB, {rss_before / 1024:.0f} MiB resident"
          f" before it (channel window {BULK_WINDOW >> 20} MiB)")
    ratio = medians[f"mms x{args.connections[0]}"] / openssh_mb
    print(f"target ratio >= 0.8 with {args.connections[0]} connection(s): {'met' if ratio >= 0.8 else 'MISSED'}"
          f" ({ratio:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
