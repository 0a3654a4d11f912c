"""The seedbox's SFTP server, through paramiko (OpenSSH ``sftp-server`` on the other side)."""

from __future__ import annotations

import posixpath
import socket
import stat

import paramiko

from app.utils.clients.base import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ConnectionReport, run_connection_test
from app.utils.clients.errors import UpstreamAuthError, UpstreamNotFound, UpstreamTimeout, UpstreamUnavailable
from app.utils.settings_schema import Settings

SERVICE = "SFTP"


class _FastTransport(paramiko.Transport):
    """paramiko's transport preferring AES-GCM."""

    _preferred_ciphers = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
                          *(c for c in paramiko.Transport._preferred_ciphers if "gcm" not in c))


class SftpClient:
    """SFTP on ``sftp_host:sftp_port`` as ``sftp_username`` (password and/or key file).

    Host keys: the system's known hosts are loaded; an unknown host key is
    accepted and its fingerprint reported (a LAN/seedbox setup, trust on first use).
    """

    def __init__(self, host: str, port: int, username: str, password: str = "", key_path: str = ""):
        self.host, self.port, self.username = host, port, username
        self.password, self.key_path = password, key_path

    @classmethod
    def from_settings(cls, settings: Settings) -> SftpClient:
        """A client for the ``sftp_*`` settings."""
        return cls(settings.sftp_host, settings.sftp_port, settings.sftp_username, settings.sftp_password,
                   settings.sftp_key_path)

    def connect(self) -> paramiko.SSHClient:
        """An authenticated SSH connection; raises an :class:`UpstreamError`.

        The socket sets ``TCP_NODELAY`` (SFTP's small read requests otherwise wait on delayed ACKs)
        and AES-GCM is preferred (no separate MAC: measured faster here).
        """
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError:
            raise UpstreamTimeout(SERVICE, f"no answer within {CONNECT_TIMEOUT_S:g} s") from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise UpstreamUnavailable(SERVICE, f"cannot connect to {self.host}:{self.port}: {reason}") from None
        ssh = paramiko.SSHClient()
        ssh.load_system_host_keys()
        ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            ssh.connect(
                self.host, port=self.port, username=self.username, password=self.password or None,
                key_filename=self.key_path or None, sock=sock, timeout=CONNECT_TIMEOUT_S,
                banner_timeout=READ_TIMEOUT_S, auth_timeout=READ_TIMEOUT_S, allow_agent=False, look_for_keys=False,
                transport_factory=_FastTransport,
            )
        except paramiko.AuthenticationException:
            ssh.close()
            raise UpstreamAuthError(SERVICE, "login refused", setting="SFTP_PASSWORD / SFTP_KEY_PATH") from None
        except TimeoutError:
            ssh.close()
            raise UpstreamTimeout(SERVICE, f"no answer within {CONNECT_TIMEOUT_S:g} s") from None
        except (paramiko.SSHException, OSError) as exc:
            ssh.close()
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UpstreamUnavailable(SERVICE, f"cannot connect to {self.host}:{self.port}: {reason}") from None
        return ssh

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Log in and list the download folder."""
        if not settings.sftp_host or not settings.sftp_username:
            return ConnectionReport(SERVICE, False, "not configured: set SFTP_HOST / SFTP_USERNAME", "not_configured")
        client = cls.from_settings(settings)

        def probe() -> str:
            ssh = client.connect()
            try:
                sftp = ssh.open_sftp()
                try:
                    count = len(sftp.listdir(settings.sftp_remote_path))
                except OSError:
                    raise UpstreamNotFound(SERVICE, f"folder {settings.sftp_remote_path} not found") from None
                finally:
                    sftp.close()
            finally:
                ssh.close()
            return f"logged in; {count} item(s) in {settings.sftp_remote_path}"

        return run_connection_test(SERVICE, probe)


def remove_tree(client: SftpClient, path: str, root: str) -> int:
    """Delete ``path`` (file or folder, recursively) on the seedbox; it must lie inside ``root``.

    Paths are POSIX (``/``), never ``os.path``. Returns the number of entries removed; a missing
    path removes nothing. Raises ``ValueError`` for a path outside ``root``, an :class:`UpstreamError`
    for SFTP failures.
    """
    target = posixpath.normpath(path)
    base = posixpath.normpath(root)
    if not root or target == base or not target.startswith(base.rstrip("/") + "/"):
        raise ValueError(f"{path} is not inside the seedbox download folder {root}")
    ssh = client.connect()
    removed = 0
    try:
        sftp = ssh.open_sftp()

        def walk(current: str) -> None:
            nonlocal removed
            try:
                attrs = sftp.lstat(current)
            except FileNotFoundError:
                return
            if stat.S_ISDIR(attrs.st_mode):
                for entry in sftp.listdir_attr(current):
                    walk(posixpath.join(current, entry.filename))
                sftp.rmdir(current)
            else:
                sftp.remove(current)
            removed += 1

        try:
            walk(target)
        except OSError as exc:
            raise UpstreamUnavailable(SERVICE, f"cannot delete {target}: {exc}") from None
        finally:
            sftp.close()
    finally:
        ssh.close()
    return removed
