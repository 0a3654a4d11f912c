"""A real rtorrent (Debian's) with its XML-RPC on SCGI 127.0.0.1:random, no DHT, no trackers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.services.common import free_port, stop, wait_port


class RTorrentServer:
    """``url`` (``scgi://127.0.0.1:port``), ``downloads``; :meth:`stop`."""

    def __init__(self, root: Path):
        self.root = root
        self.downloads = root / "downloads"
        session = root / "session"
        self.downloads.mkdir(parents=True, exist_ok=True)
        session.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"scgi://127.0.0.1:{self.port}"
        peer = free_port()
        rc = root / "rtorrent.rc"
        rc.write_text(f"""directory.default.set = {self.downloads}
session.path.set = {session}
network.scgi.open_port = 127.0.0.1:{self.port}
network.port_range.set = {peer}-{peer}
network.port_random.set = no
dht.mode.set = disable
protocol.pex.set = no
trackers.use_udp.set = no
system.daemon.set = true
""")
        self.log = open(root / "rtorrent.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(["rtorrent", "-n", "-o", f"import={rc}"], stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env={**os.environ, "HOME": str(root), "TERM": "dumb"})
        wait_port(self.port, self.process, what="rtorrent")

    def stop(self) -> None:
        """Stop the client."""
        stop(self.process)
        self.log.close()
