"""The burst machine over SSH (paramiko): commands, files, and a tunnel to its Plex.

Nothing on the machine listens on a public port for MMS: its Plex is reached through an SSH local forward
(``direct-tcpip`` channels, RFC 4254 section 7.2). Secrets (the S3 keys, the Plex claim token) travel on a
command's standard input, never on its command line (which ``ps`` on the machine and MMS's logs would show).

The machine's host key is trusted on first use for the run and pinned in the run record: a later connection
(after an MMS restart) that meets another key is refused.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import posixpath
import select
import shlex
import socket
import threading
import time
from pathlib import Path

import paramiko

from app.utils.messages import N_, Refusal

CONNECT_TIMEOUT_S = 15.0
#: A command's default deadline (seconds); pulls and waits pass their own.
COMMAND_TIMEOUT_S = 120.0
OUTPUT_LIMIT = 1_000_000


class RemoteError(Refusal):
    """The machine did not answer or a command on it failed (the message says which)."""

    code = "cloud_burst_remote"
    status = 502


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:...`` as OpenSSH prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


class _PinnedKey(paramiko.MissingHostKeyPolicy):
    def __init__(self, expected: str | None):
        self.expected, self.seen = expected, None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        seen = fingerprint(key)
        if self.expected and seen != self.expected:
            raise RemoteError(N_("the machine %(host)s presents another host key (%(seen)s, expected %(expected)s)"),
                              host=hostname, seen=seen, expected=self.expected)
        self.seen = seen


class RemoteHost:
    """An SSH session to ``username@host:port`` with the private key ``key_path``.

    ``host_key`` is the expected fingerprint (``None`` on first use; :attr:`host_key` holds the one seen).
    Raises :class:`RemoteError` when the machine cannot be reached or logged into.
    """

    def __init__(self, host: str, port: int, username: str, key_path: str, host_key: str | None = None):
        self.host, self.port, self.username, self.key_path = host, port, username, key_path
        self.host_key = host_key
        self._ssh: paramiko.SSHClient | None = None
        self._lock = threading.Lock()
        self._forwards: list[_Forward] = []

    # -- connection ------------------------------------------------------------------------------------
    def connect(self) -> paramiko.SSHClient:
        """The open session (made on first use, made again when it dropped)."""
        with self._lock:
            transport = self._ssh.get_transport() if self._ssh else None
            if transport is not None and transport.is_active():
                return self._ssh
            ssh = paramiko.SSHClient()
            policy = _PinnedKey(self.host_key)
            ssh.set_missing_host_key_policy(policy)
            try:
                ssh.connect(self.host, port=self.port, username=self.username, key_filename=self.key_path or None,
                            timeout=CONNECT_TIMEOUT_S, banner_timeout=CONNECT_TIMEOUT_S,
                            auth_timeout=CONNECT_TIMEOUT_S, allow_agent=False, look_for_keys=False)
            except RemoteError:
                ssh.close()
                raise
            except paramiko.AuthenticationException:
                ssh.close()
                raise RemoteError(N_("the machine %(host)s refused the SSH key"), host=self.host) from None
            except (paramiko.SSHException, OSError) as exc:
                ssh.close()
                raise RemoteError(N_("cannot reach the machine %(host)s over SSH: %(reason)s"), host=self.host,
                                  reason=getattr(exc, "strerror", None) or str(exc)) from None
            self.host_key = policy.seen or self.host_key
            self._ssh = ssh
            return ssh

    def wait_ready(self, timeout: float, stop: threading.Event | None = None) -> None:
        """Try to log in every 5 s until it works or ``timeout`` seconds pass (a new machine boots). Raises
        :class:`RemoteError` with the last reason."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connect()
                return
            except RemoteError:
                if time.monotonic() > deadline or (stop is not None and stop.wait(0)):
                    raise
            if stop is not None and stop.wait(5):
                raise RemoteError(N_("stopped while waiting for the machine %(host)s"), host=self.host)
            if stop is None:
                time.sleep(5)

    def close(self) -> None:
        """End the tunnels and the session."""
        for forward in self._forwards:
            forward.close()
        self._forwards.clear()
        with self._lock:
            if self._ssh is not None:
                self._ssh.close()
                self._ssh = None

    # -- commands --------------------------------------------------------------------------------------
    def run(self, command: str, *, timeout: float = COMMAND_TIMEOUT_S, stdin: bytes | None = None,
            check: bool = True) -> tuple[int, str]:
        """Run a shell ``command`` (``sh -c`` on the machine) within ``timeout`` seconds; ``stdin`` is sent
        and closed. Returns ``(exit code, output)`` (stdout and stderr together, the last
        :data:`OUTPUT_LIMIT` bytes). Raises :class:`RemoteError` on a timeout, a lost session, or (``check``)
        a non-zero exit code."""
        ssh = self.connect()
        try:
            channel = ssh.get_transport().open_session(timeout=CONNECT_TIMEOUT_S)
            channel.settimeout(timeout)
            channel.set_combine_stderr(True)
            channel.exec_command(command)
            if stdin is not None:
                channel.sendall(stdin)
            channel.shutdown_write()
            output = bytearray()
            deadline = time.monotonic() + timeout
            while True:
                if time.monotonic() > deadline:
                    channel.close()
                    raise RemoteError(N_("%(command)s: no answer within %(seconds)s s"),
                                      command=command.split()[0], seconds=f"{timeout:g}")
                chunk = channel.recv(65536)
                if not chunk:
                    break
                output += chunk
                del output[:-OUTPUT_LIMIT]
            code = channel.recv_exit_status()
            channel.close()
        except TimeoutError:
            raise RemoteError(N_("%(command)s: no answer within %(seconds)s s"), command=command.split()[0],
                              seconds=f"{timeout:g}") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise RemoteError(N_("the SSH session to %(host)s dropped: %(reason)s"), host=self.host,
                              reason=str(exc) or type(exc).__name__) from None
        text = output.decode("utf-8", "replace")
        if check and code != 0:
            last = text.strip().splitlines()[-3:]
            raise RemoteError(N_("%(command)s failed on the machine (code %(code)s): %(output)s"),
                              command=command.split()[0], code=code, output=" / ".join(last) or "-")
        return code, text

    def run_checked(self, command: list[str], timeout: float) -> tuple[bool, str]:
        """A :data:`app.cloud_burst.mount.Runner` on the machine: ``command`` under ``timeout -s KILL`` (a
        read stuck in FUSE is killed there, not here). ``(finished with 0, output)``."""
        line = f"timeout -s KILL {max(1, int(timeout))} {shlex.join(command)}"
        try:
            code, output = self.run(line, timeout=timeout + 10, check=False)
        except RemoteError as exc:
            return False, str(exc)
        if code in (124, 137):
            return False, f"no answer within {timeout:g} s"
        return code == 0, output

    # -- files -----------------------------------------------------------------------------------------
    def put_bytes(self, data: bytes, remote: str, mode: int = 0o600) -> None:
        """Write ``data`` to ``remote`` (its folder made), mode ``mode`` set before any byte is written."""
        self.run(f"mkdir -p {shlex.quote(posixpath.dirname(remote))}")
        sftp = self.connect().open_sftp()
        try:
            with sftp.open(remote, "wb") as handle:
                handle.chmod(mode)
                handle.set_pipelined(True)
                handle.write(data)
        finally:
            sftp.close()

    def put_file(self, local: Path, remote: str) -> int:
        """Upload ``local`` to ``remote`` (written as ``remote.part``, then renamed); its size in bytes."""
        self.run(f"mkdir -p {shlex.quote(posixpath.dirname(remote))}")
        sftp = self.connect().open_sftp()
        try:
            sftp.put(str(local), remote + ".part")
            self.run(f"mv -f {shlex.quote(remote + '.part')} {shlex.quote(remote)}")
            return local.stat().st_size
        except OSError as exc:
            raise RemoteError(N_("cannot upload %(file)s: %(reason)s"), file=local.name, reason=str(exc)) from None
        finally:
            sftp.close()

    def get_file(self, remote: str, local: Path) -> None:
        """Download ``remote`` to ``local``. Raises :class:`RemoteError`."""
        sftp = self.connect().open_sftp()
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
            sftp.get(remote, str(local))
        except OSError as exc:
            raise RemoteError(N_("cannot download %(file)s: %(reason)s"), file=remote, reason=str(exc)) from None
        finally:
            sftp.close()

    def read_text(self, remote: str) -> str | None:
        """A small text file of the machine, or ``None`` when it is not there."""
        sftp = self.connect().open_sftp()
        try:
            with sftp.open(remote, "rb") as handle:
                return handle.read(1_000_000).decode("utf-8", "replace")
        except OSError:
            return None
        finally:
            sftp.close()

    # -- tunnel ----------------------------------------------------------------------------------------
    def forward(self, remote_port: int, remote_host: str = "127.0.0.1") -> int:
        """Listen on a free loopback port here and carry each connection to ``remote_host:remote_port`` as
        seen from the machine; the local port."""
        forward = _Forward(self, remote_host, remote_port)
        self._forwards.append(forward)
        return forward.port


class _Forward:
    """One local listening socket whose connections go through the SSH session (``direct-tcpip``)."""

    def __init__(self, host: RemoteHost, remote_host: str, remote_port: int):
        self.remote, self.target = host, (remote_host, remote_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True, name="burst-tunnel").start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, origin = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client, origin), daemon=True, name="burst-tunnel-io").start()

    def _pipe(self, client: socket.socket, origin: tuple) -> None:
        try:
            channel = self.remote.connect().get_transport().open_channel("direct-tcpip", self.target, origin,
                                                                         timeout=CONNECT_TIMEOUT_S)
        except (RemoteError, paramiko.SSHException, OSError):
            client.close()
            return
        try:
            while not self._closed.is_set():
                ready, _, _ = select.select([client, channel], [], [], 1.0)
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        break
                    channel.sendall(data)
                if channel in ready:
                    data = channel.recv(65536)
                    if not data:
                        break
                    client.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                channel.close()
            client.close()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self.listener.close()
