"""The bulk SFTP session: reads sized from the server's ``limits@openssh.com`` answer (or the safe
32 KiB without it), on a real OpenSSH sshd; and the chunked channel pipe against a plain byte model."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paramiko.buffered_pipe import PipeTimeout

from app.utils.clients.sftp import (
    MAX_READ_SIZE,
    SAFE_READ_SIZE,
    BulkSftp,
    _chunk_pipe_class,
    open_bulk_sftp,
    read_ranges,
)
from app.utils.transfer import SftpPuller, SftpTarget, connect
from tests.services.sshd import SshServer
from tests.torrents import sha256_of, write_file


@pytest.mark.parametrize(("subsystem", "read_size"), [("internal-sftp", MAX_READ_SIZE),
                                                      ("internal-sftp -P limits", SAFE_READ_SIZE)])
def test_bulk_pull_sizes_reads_from_the_server_limits(tmp_path: Path, subsystem: str, read_size: int) -> None:
    server = SshServer(tmp_path, sftp_subsystem=subsystem)
    try:
        target = SftpTarget(server.host, server.port, server.username, key_path=str(server.key_path))
        client = connect(target)
        try:
            bulk = open_bulk_sftp(client)
            assert bulk.read_size == read_size
            assert bulk.in_flight * bulk.read_size <= 16 * 1024 * 1024  # half the 32 MiB window at most
        finally:
            client.close()
        # an odd size: the last read is short and SFTP messages straddle SSH packets
        source = write_file(tmp_path / "seedbox" / "Odd.Size.2019.mkv", 7 * 1024 * 1024 + 12_345)
        [pulled] = SftpPuller(target).pull(str(source), tmp_path / "staging")
        assert sha256_of(pulled) == sha256_of(source)
    finally:
        server.stop()


def test_read_ranges_asks_again_after_short_answers_and_stops_at_the_end(tmp_path: Path) -> None:
    server = SshServer(tmp_path)
    try:
        source = write_file(tmp_path / "seedbox" / "Movie.2018.mkv", 3 * 1024 * 1024 + 777)
        data = source.read_bytes()
        client = connect(SftpTarget(server.host, server.port, server.username, key_path=str(server.key_path)))
        try:
            # asking 512 KiB where OpenSSH answers at most 255 KiB: every answer is short
            bulk = BulkSftp(open_bulk_sftp(client).sftp, 512 * 1024, 4)
            pieces = list(read_ranges(bulk, str(source), 1000, len(data)))
            assert b"".join(pieces) == data[1000:]
            assert max(len(p) for p in pieces) == MAX_READ_SIZE  # the server's limit, not ours
            with pytest.raises(EOFError):  # the file is shorter than asked
                b"".join(read_ranges(bulk, str(source), len(data) - 10, len(data) + 10))
        finally:
            client.close()
    finally:
        server.stop()


_operations = st.lists(st.one_of(st.tuples(st.just("feed"), st.binary(max_size=300)),
                                 st.tuples(st.just("read"), st.integers(min_value=1, max_value=700))),
                       max_size=60)


@settings(max_examples=300, deadline=None)
@given(_operations)
def test_chunk_pipe_reads_what_a_plain_buffer_would(operations: list[tuple[str, object]]) -> None:
    pipe, model = _chunk_pipe_class()(), bytearray()
    for kind, value in operations:
        if kind == "feed":
            pipe.feed(value)
            model += value
        elif not model:
            with pytest.raises(PipeTimeout):
                pipe.read(value, timeout=0.0)
        else:
            assert pipe.read(value, timeout=0.0) == bytes(model[:value])
            del model[:value]
        assert len(pipe) == len(model)
        assert pipe.read_ready() == bool(model)
    assert pipe.empty() == bytes(model)
    pipe.close()
    assert pipe.read(10) == b""  # closed and drained: end of stream
