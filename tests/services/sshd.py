"""A real OpenSSH sshd (Debian's) on 127.0.0.1:random serving SFTP, key authentication only."""

from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path

import psutil

from tests.services.common import free_port, stop, wait_port

SSHD = "/usr/sbin/sshd"


class SshServer:
    """``host``, ``port``, ``username``, ``key_path`` (the client's private key), ``root`` (a folder to serve).

    ``sftp_subsystem`` is the ``Subsystem sftp`` command (sshd_config(5)); e.g. ``internal-sftp -P limits``
    serves an SFTP server that refuses the ``limits@openssh.com`` request, like older or other servers.
    """

    def __init__(self, root: Path, sftp_subsystem: str = "internal-sftp"):
        self.root = root
        self.dir = root / "sshd"
        self.dir.mkdir(parents=True, exist_ok=True)
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege-separation folder
        host_key, self.key_path = self.dir / "host_ed25519", self.dir / "client_ed25519"
        for key in (host_key, self.key_path):
            if not key.exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        (self.dir / "authorized_keys").write_text((self.dir / "client_ed25519.pub").read_text())
        os.chmod(self.dir / "authorized_keys", 0o600)
        self.host, self.port, self.username = "127.0.0.1", free_port(), getpass.getuser()
        config = self.dir / "sshd_config"
        config.write_text(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {self.dir / 'sshd.pid'}
AuthorizedKeysFile {self.dir / 'authorized_keys'}
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp {sftp_subsystem}
LogLevel ERROR
MaxStartups 100
MaxSessions 100
""")
        self.log = open(self.dir / "sshd.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        wait_port(self.port, self.process, what="sshd")

    def sessions(self) -> list[psutil.Process]:
        """The per-connection sshd processes (children of the listener)."""
        return psutil.Process(self.process.pid).children(recursive=False)

    def kill_sessions(self) -> int:
        """Cut every open SSH connection (kill the sessions' sshd processes); returns how many."""
        killed = []
        for child in self.sessions():
            try:
                child.kill()
            except psutil.NoSuchProcess:  # the session ended on its own between the listing and the kill
                continue
            killed.append(child)
        psutil.wait_procs(killed, timeout=10)
        return len(killed)

    def stop(self) -> None:
        """Stop the server and its sessions."""
        try:
            self.kill_sessions()
        finally:
            stop(self.process)
            self.log.close()
