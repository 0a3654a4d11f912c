"""Pull the same 1 GiB file from a local OpenSSH sshd with MMS's transfer and with OpenSSH's sftp client.

Run: ``python bench/sftp_bench.py [--mib 1024] [--connections 2]`` (needs openssh-server and the
openssh-client ``sftp``). Prints both throughputs and the ratio MMS / OpenSSH (target >= 0.8), plus a
single paramiko stream for reference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.utils.transfer import SftpPuller, SftpTarget, connect  # noqa: E402
from tests.services.sshd import SshServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()
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
            target = SftpTarget(server.host, server.port, server.username, key_path=str(server.key_path))

            start = time.perf_counter()
            subprocess.run(["sftp", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                            "-i", str(server.key_path), "-P", str(server.port),
                            f"{server.username}@127.0.0.1:{source}", str(root / "openssh.bin")], check=True)
            openssh = size / (time.perf_counter() - start) / 1e6
            (root / "openssh.bin").unlink()

            client = connect(target)
            start = time.perf_counter()
            client.open_sftp().get(str(source), str(root / "plain.bin"))
            plain = size / (time.perf_counter() - start) / 1e6
            client.close()
            (root / "plain.bin").unlink()

            start = time.perf_counter()
            [pulled] = SftpPuller(target, connections=args.connections).pull(str(source), root / "staging")
            ours = size / (time.perf_counter() - start) / 1e6
            assert pulled.stat().st_size == size
        finally:
            server.stop()
    print(f"OpenSSH sftp client:          {openssh:7.1f} MB/s")
    print(f"plain paramiko get:           {plain:7.1f} MB/s  (ratio {plain / openssh:.2f})")
    print(f"MMS transfer ({args.connections} connections): {ours:7.1f} MB/s  (ratio {ours / openssh:.2f})")
    print(f"target ratio >= 0.8: {'met' if ours / openssh >= 0.8 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
