"""The seedbox's SFTP server, through paramiko (OpenSSH ``sftp-server`` on the other side)."""

from __future__ import annotations

import posixpath
import socket
import stat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import paramiko
from paramiko.buffered_pipe import BufferedPipe
from paramiko.sftp import CMD_DATA, CMD_EXTENDED, CMD_EXTENDED_REPLY, CMD_READ, CMD_STATUS, int64

from app.utils.clients.base import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ConnectionReport, run_connection_test
from app.utils.clients.errors import UpstreamAuthError, UpstreamNotFound, UpstreamTimeout, UpstreamUnavailable
from app.utils.settings_schema import Settings

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


@dataclass
class BulkSftp:
    """An SFTP session opened for bulk reads: ``read_size`` bytes per request, ``in_flight`` requests at once."""

    sftp: paramiko.SFTPClient
    read_size: int
    in_flight: int


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


class _ChunkPipe(BufferedPipe):
    """paramiko's channel input pipe keeping the received chunks instead of one ``array``.

    paramiko's ``BufferedPipe.read`` does ``del self._buffer[:n]`` on an ``array``, which moves every
    byte still buffered: with a wide window (megabytes waiting) that memmove took ~40 % of a bulk
    download's CPU (py-spy, ``bench/sftp_bench.py``). Same locking and semantics, only the storage
    differs.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buffer = _ChunkBuffer()

    def _buffer_frombytes(self, data: bytes) -> None:
        self._buffer.append(data)

    def _buffer_tobytes(self, limit: int | None = None) -> bytes:
        return self._buffer.head(limit)


def open_bulk_sftp(ssh: paramiko.SSHClient, window: int = BULK_WINDOW) -> BulkSftp:
    """Open an SFTP session for bulk reads on ``ssh``: a ``window`` (bytes) wide channel, large packets,
    a chunked input pipe, and reads sized to the server's limit (:func:`server_read_limit`, else
    :data:`SAFE_READ_SIZE`). The window bounds how far the network runs ahead of the reader: a
    bandwidth-limited caller passes about one second of its rate.

    Raises ``paramiko.SSHException`` when the server refuses the channel or the subsystem.
    """
    transport = ssh.get_transport()
    if transport is None:
        raise paramiko.SSHException("SSH connection is closed")
    channel = transport.open_session(window_size=window, max_packet_size=BULK_MAX_PACKET)
    channel.in_buffer = _ChunkPipe()  # before the subsystem starts: nothing received yet
    channel.invoke_subsystem("sftp")
    sftp = paramiko.SFTPClient(channel)
    limit = server_read_limit(sftp)
    read_size = SAFE_READ_SIZE if limit is None else min(limit or MAX_READ_SIZE, MAX_READ_SIZE)
    # half the window in flight: with the whole window requested, the server stalls on window adjusts
    return BulkSftp(sftp, read_size, max(4, window // read_size // 2))


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
