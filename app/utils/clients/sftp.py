"""The seedbox's SFTP server, through paramiko (OpenSSH ``sftp-server`` on the other side)."""

from __future__ import annotations

import base64
import functools
import posixpath
import socket
import stat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import paramiko
from paramiko.sftp import CMD_DATA, CMD_EXTENDED, CMD_EXTENDED_REPLY, CMD_READ, CMD_STATUS, int64

from app.utils.clients.base import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ConnectionReport, run_connection_test
from app.utils.clients.errors import (
    HostKeyChanged,
    UpstreamAuthError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.utils.settings_schema import Settings
from app.utils.stores.host_key_manager import HostKeyStore, fingerprint, host_entry

SERVICE = "SFTP"

#: Read request size (bytes) when the server does not state its limits: the size every SFTP server accepts.
SAFE_READ_SIZE = 32 * 1024
#: Largest read request we send (bytes): OpenSSH's sftp-server answers up to 255 KiB per SSH_FXP_READ.
MAX_READ_SIZE = 255 * 1024
#: Bulk channel: receive window (bytes; bounds the bytes in flight) and largest SSH packet accepted (bytes),
#: so that one SSH_FXP_DATA answer travels in one packet. Measured on one connection (bench/sftp_bench.py):
#: 32 KiB reads ~110 MB/s, 255 KiB reads ~290 MB/s, plus the chunked input pipe 450-590 MB/s.
BULK_WINDOW = 32 * 1024 * 1024
BULK_MAX_PACKET = 256 * 1024


#: Ciphers tried first: AES-GCM (no separate MAC: measured faster here).
GCM_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


def _fast_transport(sock: socket.socket, *args, **kwargs) -> paramiko.Transport:
    """paramiko's transport preferring AES-GCM (the order is set on the instance, read from paramiko
    when a connection is made, never at import)."""
    transport = paramiko.Transport(sock, *args, **kwargs)
    transport._preferred_ciphers = (*GCM_CIPHERS, *(c for c in paramiko.Transport._preferred_ciphers
                                                    if c not in GCM_CIPHERS))
    return transport


class _PinOnFirstUse(paramiko.MissingHostKeyPolicy):
    """Accepts an unknown host key for this connection and remembers it, to be pinned once the login
    succeeded (trust on first use)."""

    def __init__(self) -> None:
        self.seen: paramiko.PKey | None = None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        self.seen = key


class SftpClient:
    """SFTP on ``sftp_host:sftp_port`` as ``sftp_username`` (password and/or key file).

    Host keys (with ``host_keys``, as the app always does): the key presented on the first successful
    login is pinned in ``instance/ssh_host_keys.json``; later a different key is refused with
    :class:`HostKeyChanged` (both fingerprints) until the user trusts the new one. Without
    ``host_keys`` (tools, tests), an unknown key is accepted for that connection only.
    """

    def __init__(self, host: str, port: int, username: str, password: str = "", key_path: str = "",
                 host_keys: HostKeyStore | None = None):
        self.host, self.port, self.username = host, port, username
        self.password, self.key_path = password, key_path
        self.host_keys = host_keys
        #: The pinned record after a connection (fingerprint shown by "Test connection"); ``new`` on first use.
        self.host_key: dict | None = None

    @classmethod
    def from_settings(cls, settings: Settings, host_keys: HostKeyStore | None = None) -> SftpClient:
        """A client for the ``sftp_*`` settings."""
        return cls(settings.sftp_host, settings.sftp_port, settings.sftp_username, settings.sftp_password,
                   settings.sftp_key_path, host_keys)

    def _socket(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError:
            raise UpstreamTimeout(SERVICE, f"no answer within {CONNECT_TIMEOUT_S:g} s") from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise UpstreamUnavailable(SERVICE, f"cannot connect to {self.host}:{self.port}: {reason}") from None
        return sock

    def connect(self) -> paramiko.SSHClient:
        """An authenticated SSH connection; raises an :class:`UpstreamError` (:class:`HostKeyChanged` when
        the server's key is not the pinned one).

        The socket sets ``TCP_NODELAY`` (SFTP's small read requests otherwise wait on delayed ACKs)
        and AES-GCM is preferred (no separate MAC: measured faster here).
        """
        sock = self._socket()
        ssh = paramiko.SSHClient()
        ssh.load_system_host_keys()
        pinned = self.host_keys.get(self.host, self.port) if self.host_keys else None
        if pinned:
            key = paramiko.PKey.from_type_string(pinned["key_type"], base64.b64decode(pinned["key"]))
            ssh.get_host_keys().add(host_entry(self.host, self.port), pinned["key_type"], key)
        policy = _PinOnFirstUse()
        ssh.set_missing_host_key_policy(policy)
        try:
            ssh.connect(
                self.host, port=self.port, username=self.username, password=self.password or None,
                key_filename=self.key_path or None, sock=sock, timeout=CONNECT_TIMEOUT_S,
                banner_timeout=READ_TIMEOUT_S, auth_timeout=READ_TIMEOUT_S, allow_agent=False, look_for_keys=False,
                transport_factory=_fast_transport,
            )
        except paramiko.BadHostKeyException as exc:
            ssh.close()
            expected = pinned["fingerprint"] if pinned else fingerprint(exc.expected_key.asbytes())
            raise HostKeyChanged(SERVICE, f"{self.host}:{self.port}", expected,
                                 fingerprint(exc.key.asbytes())) from None
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
        if policy.seen is not None and self.host_keys is not None:
            self.host_key = {**self.host_keys.pin(self.host, self.port, policy.seen.get_name(),
                                                  policy.seen.asbytes()), "new": True}
        elif pinned:
            self.host_key = {**pinned, "new": False}
        return ssh

    def presented_key(self) -> tuple[str, bytes]:
        """The host key the server presents now, as ``(type, public key blob)``, without logging in (for
        "trust the new key"). Raises :class:`UpstreamError`."""
        sock = self._socket()
        transport = _fast_transport(sock)
        try:
            transport.start_client(timeout=READ_TIMEOUT_S)
            key = transport.get_remote_server_key()
            return key.get_name(), key.asbytes()
        except (paramiko.SSHException, OSError) as exc:
            raise UpstreamUnavailable(SERVICE, f"cannot read the host key of {self.host}:{self.port}: {exc}") from None
        finally:
            transport.close()

    @classmethod
    def test_connection(cls, settings: Settings, host_keys: HostKeyStore | None = None) -> ConnectionReport:
        """Log in and list the download folder; the report names the host key's fingerprint (pinned now
        on first use)."""
        if not settings.sftp_host or not settings.sftp_username:
            return ConnectionReport(SERVICE, False, "not configured: set SFTP_HOST / SFTP_USERNAME", "not_configured")
        client = cls.from_settings(settings, host_keys)

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
            key = client.host_key
            pinned = (f"; host key {key['fingerprint']} ({'trusted on first use now' if key['new'] else 'pinned'})"
                      if key else "")
            return f"logged in; {count} item(s) in {settings.sftp_remote_path}{pinned}"

        return run_connection_test(SERVICE, probe)


@dataclass
class BulkSftp:
    """An SFTP session opened for bulk reads: ``read_size`` bytes per request, ``in_flight`` requests at once."""

    sftp: paramiko.SFTPClient
    read_size: int
    in_flight: int
    #: ``False`` when paramiko's private hooks are missing: reads go through its public file API.
    pipelined: bool = True


def server_read_limit(sftp: paramiko.SFTPClient) -> int | None:
    """The server's largest read (bytes) from the ``limits@openssh.com`` extension (OpenSSH PROTOCOL,
    section "sftp: Extension request limits@openssh.com": four uint64, max-packet-length,
    max-read-length, max-write-length, max-open-handles; 0 = no limit); ``None`` when the server
    does not support the extension."""
    try:
        kind, message = sftp._request(CMD_EXTENDED, "limits@openssh.com")
    except (OSError, paramiko.SSHException):  # SFTPError (SSH_FX_OP_UNSUPPORTED) is an OSError
        return None
    if kind != CMD_EXTENDED_REPLY:
        return None
    message.get_int64()  # max-packet-length
    return message.get_int64()


class _ChunkBuffer:
    """The byte queue behind :class:`_ChunkPipe`: the received chunks as they came, plus a read offset.

    Speaks the part of ``array.array`` that ``BufferedPipe`` uses (``len``, ``del buffer[:n]``), so
    taking ``n`` bytes costs ``n`` bytes of copying, not the whole buffer's.
    """

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.offset = 0  # bytes of chunks[0] already read
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def append(self, data: bytes) -> None:
        if data:
            self.chunks.append(bytes(data))
            self.size += len(data)

    def head(self, limit: int | None) -> bytes:
        """The first ``limit`` bytes (all when ``None``) without consuming them."""
        limit = self.size if limit is None else min(limit, self.size)
        if not limit:
            return b""
        first = self.chunks[0]
        if self.offset == 0 and len(first) == limit:
            return first
        if len(first) - self.offset >= limit:
            return first[self.offset:self.offset + limit]
        pieces, wanted, offset = [], limit, self.offset
        for chunk in self.chunks:
            piece = chunk[offset:offset + wanted]
            pieces.append(piece)
            wanted -= len(piece)
            offset = 0
            if not wanted:
                break
        return b"".join(pieces)

    def __delitem__(self, span: slice) -> None:
        count = self.size if span.stop is None else min(span.stop, self.size)
        self.size -= count
        while count:
            left = len(self.chunks[0]) - self.offset
            if count >= left:
                self.chunks.popleft()
                self.offset = 0
                count -= left
            else:
                self.offset += count
                count = 0


#: The private paramiko hooks the fast path relies on (paramiko is pinned below 6; a test checks them).
PIPE_HOOKS = ("_buffer_frombytes", "_buffer_tobytes", "_buffer")
SFTP_HOOKS = ("_async_request", "_read_response", "_convert_status")


def fast_path_available() -> bool:
    """Whether this paramiko still has the private hooks of the fast path (the chunked input pipe and
    pipelined reads); when not, bulk reads fall back to paramiko's standard ones (slower, still correct)."""
    from paramiko.buffered_pipe import BufferedPipe

    pipe = BufferedPipe()
    return (all(hasattr(pipe, name) for name in PIPE_HOOKS)
            and all(callable(getattr(paramiko.SFTPClient, name, None)) for name in SFTP_HOOKS))


@functools.cache
def _chunk_pipe_class() -> type:
    """paramiko's ``BufferedPipe`` keeping the received chunks instead of one ``array`` (built on first
    use, not at import).

    paramiko's ``BufferedPipe.read`` does ``del self._buffer[:n]`` on an ``array``, which moves every
    byte still buffered: with a wide window (megabytes waiting) that memmove took ~40 % of a bulk
    download's CPU (py-spy, ``bench/sftp_bench.py``). Same locking and semantics, only the storage
    differs.
    """
    from paramiko.buffered_pipe import BufferedPipe

    class ChunkPipe(BufferedPipe):
        def __init__(self) -> None:
            super().__init__()
            self._buffer = _ChunkBuffer()

        def _buffer_frombytes(self, data: bytes) -> None:
            self._buffer.append(data)

        def _buffer_tobytes(self, limit: int | None = None) -> bytes:
            return self._buffer.head(limit)

    return ChunkPipe


def open_bulk_sftp(ssh: paramiko.SSHClient, window: int = BULK_WINDOW) -> BulkSftp:
    """Open an SFTP session for bulk reads on ``ssh``: a ``window`` (bytes) wide channel, large packets,
    a chunked input pipe, and reads sized to the server's limit (:func:`server_read_limit`, else
    :data:`SAFE_READ_SIZE`). The window bounds how far the network runs ahead of the reader: a
    bandwidth-limited caller passes about one second of its rate. When this paramiko lacks the private
    hooks (:func:`fast_path_available`), the session uses paramiko's own pipe and reads (``pipelined``
    false).

    Raises ``paramiko.SSHException`` when the server refuses the channel or the subsystem.
    """
    transport = ssh.get_transport()
    if transport is None:
        raise paramiko.SSHException("SSH connection is closed")
    fast = fast_path_available()
    channel = transport.open_session(window_size=window, max_packet_size=BULK_MAX_PACKET)
    if fast:
        channel.in_buffer = _chunk_pipe_class()()  # before the subsystem starts: nothing received yet
    channel.invoke_subsystem("sftp")
    sftp = paramiko.SFTPClient(channel)
    limit = server_read_limit(sftp)
    read_size = SAFE_READ_SIZE if limit is None else min(limit or MAX_READ_SIZE, MAX_READ_SIZE)
    # half the window in flight: with the whole window requested, the server stalls on window adjusts
    return BulkSftp(sftp, read_size, max(4, window // read_size // 2), pipelined=fast)


class _Answers:
    """Collects the answers to our read requests by request number (paramiko's ``_async_response`` hook)."""

    def __init__(self) -> None:
        self.by_number: dict[int, tuple[int, paramiko.Message]] = {}

    def _async_response(self, kind: int, message: paramiko.Message, number: int) -> None:
        self.by_number[number] = (kind, message)


def read_ranges(bulk: BulkSftp, path: str, start: int, end: int) -> Iterator[bytes]:
    """Yield the bytes ``[start, end)`` of the remote file ``path``, in order, in pieces of at most
    ``bulk.read_size`` bytes, keeping ``bulk.in_flight`` SSH_FXP_READ requests outstanding (the way
    OpenSSH's sftp client pipelines; draft-ietf-secsh-filexfer-02 section 6.4).

    One thread sends and reads everything, so memory stays at ``in_flight * read_size`` plus the
    channel window. (paramiko's ``readv`` prefetch thread can mark its prefetch finished while it is
    still sending; its reader then falls back to one request at a time while the prefetch goes on
    filling memory: seen at 325 MiB buffered for a 1 GiB file.) A short answer is followed by a
    request for the rest. Raises ``OSError`` (``EOFError`` when the file ends before ``end``),
    ``paramiko.SSHException`` when the connection drops.
    """
    if not bulk.pipelined:
        yield from _read_plain(bulk, path, start, end)
        return
    sftp, answers = bulk.sftp, _Answers()
    pending: deque[tuple[int, int, int]] = deque()  # (request number, offset, length), in file order
    next_offset = start

    def send(offset: int, length: int) -> int:
        return sftp._async_request(answers, CMD_READ, handle, int64(offset), int(length))

    with sftp.open(path, "rb") as remote:
        handle = remote.handle
        while pending or next_offset < end:
            while next_offset < end and len(pending) < bulk.in_flight:
                length = min(bulk.read_size, end - next_offset)
                pending.append((send(next_offset, length), next_offset, length))
                next_offset += length
            number, offset, length = pending.popleft()
            while number not in answers.by_number:
                sftp._read_response()
            kind, message = answers.by_number.pop(number)
            if kind == CMD_STATUS:
                sftp._convert_status(message)  # raises EOFError / OSError
            if kind != CMD_DATA:
                raise OSError(f"unexpected SFTP answer {kind} to a read of {path}")
            data = message.get_binary()
            if not data:
                raise EOFError(f"{path} ends before byte {offset}")
            if len(data) < length:  # the server sent less: ask for the rest before anything later
                pending.appendleft((send(offset + len(data), length - len(data)), offset + len(data),
                                    length - len(data)))
            yield data


def _read_plain(bulk: BulkSftp, path: str, start: int, end: int) -> Iterator[bytes]:
    """The bytes ``[start, end)`` through paramiko's public file API (its own prefetch): the fallback of
    :func:`read_ranges`. Raises ``EOFError`` when the file ends before ``end``."""
    with bulk.sftp.open(path, "rb") as remote:
        remote.seek(start)
        remote.prefetch(end)  # paramiko reads from the current position up to this size
        offset = start
        while offset < end:
            data = remote.read(min(bulk.read_size, end - offset))
            if not data:
                raise EOFError(f"{path} ends before byte {offset}")
            offset += len(data)
            yield data


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
