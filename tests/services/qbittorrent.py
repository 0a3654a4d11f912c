"""A real qbittorrent-nox (Debian's) on 127.0.0.1 with its Web UI on a random port."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from pathlib import Path

from tests.services.common import free_port, stop, wait_port

USERNAME = "admin"
PASSWORD = "mms-test-password"


def _pbkdf2(password: str) -> str:
    """qBittorrent's WebUI\\Password_PBKDF2 value: PBKDF2-HMAC-SHA512, 100,000 rounds, 16-byte salt."""
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100_000, dklen=64)
    return f'"@ByteArray({base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()})"'


class QBittorrentServer:
    """``url``, ``username``, ``password``, ``downloads`` (its default save path); :meth:`stop`."""

    def __init__(self, root: Path):
        self.root = root
        self.downloads = root / "downloads"
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.username, self.password = USERNAME, PASSWORD
        config = root / "profile" / "qBittorrent" / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "qBittorrent.conf").write_text(f"""[LegalNotice]
Accepted=true

[BitTorrent]
Session\\DefaultSavePath={self.downloads}
Session\\TempPathEnabled=false
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\Port={free_port()}
Session\\QueueingSystemEnabled=false

[Preferences]
Connection\\UPnP=false
Downloads\\SavePath={self.downloads}
General\\Locale=en
WebUI\\Address=127.0.0.1
WebUI\\Port={self.port}
WebUI\\Username={USERNAME}
WebUI\\Password_PBKDF2={_pbkdf2(PASSWORD)}
WebUI\\HostHeaderValidation=false
WebUI\\LocalHostAuth=true
""")
        self.log = open(root / "qbittorrent.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            ["qbittorrent-nox", f"--profile={root / 'profile'}", f"--webui-port={self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(root)})
        wait_port(self.port, self.process, what="qbittorrent-nox")

    def stop(self) -> None:
        """Stop the client."""
        stop(self.process)
        self.log.close()
