"""JSON store guarantees (DESIGN.md, JSON stores): crash safety, locking, corruption kept aside."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.utils.stores.json_store import JsonStore, StoreCorruptError, StoreSchemaError

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import sys
from app.utils.stores.json_store import JsonStore
store = JsonStore(sys.argv[1])
for i in range(int(sys.argv[2])):
    store.update(lambda data: data.__setitem__(f"k{i}", {"n": i, "pad": "x" * 200}))
    print(i, flush=True)
"""

INCREMENTER = """
import sys
from app.utils.stores.json_store import JsonStore
store = JsonStore(sys.argv[1])
def inc(data):
    data["count"] = data.get("count", 0) + 1
for _ in range(int(sys.argv[2])):
    store.update(inc)
"""


def _python(script: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, **kwargs)


@pytest.mark.parametrize("kill_after", [1, 137, 420])
def test_kill_9_mid_writes_keeps_every_acknowledged_write(tmp_path: Path, kill_after: int) -> None:
    path = tmp_path / "store.json"
    proc = _python(WRITER, str(path), "1000", stdout=subprocess.PIPE, text=True)
    acked = []
    for line in proc.stdout:
        acked.append(int(line))
        if len(acked) >= kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    acked += [int(line) for line in proc.stdout.read().split()]  # lines already in the pipe
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    data = JsonStore(path).read()  # parses: never a half-written file
    assert {f"k{i}" for i in acked} <= set(data)
    assert len(data) in (len(acked), len(acked) + 1)  # at most the write in flight got in
    assert json.loads(path.read_bytes())["schema_version"] == 1


def test_four_processes_increment_to_exactly_1000(tmp_path: Path) -> None:
    path = tmp_path / "counter.json"
    procs = [_python(INCREMENTER, str(path), "250") for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert JsonStore(path).read()["count"] == 1000


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    store = JsonStore(path)
    store.update(lambda d: d.update({f"k{i}": "v" * 100 for i in range(5000)}))
    writer = _python(WRITER, str(path), "300", stdout=subprocess.DEVNULL)
    reads = 0
    reader_store = JsonStore(path)
    while writer.poll() is None:
        data = reader_store.read()  # raises StoreCorruptError on a torn read
        assert "k4999" in data
        reads += 1
    assert writer.returncode == 0
    assert reads > 10


def test_unparsable_file_is_reported_and_kept_not_reset(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    bad = b'{"schema_version": 1, "data": {"ABC": '
    path.write_bytes(bad)
    store = JsonStore(path)
    with pytest.raises(StoreCorruptError) as caught:
        store.read()
    with pytest.raises(StoreCorruptError):
        store.update(lambda d: d.update(x=1))
    assert path.read_bytes() == bad  # never silently reset
    assert caught.value.kept_at is not None and caught.value.kept_at.read_bytes() == bad
    assert store.status().state == "corrupt"
    kept = store.reset_corrupt()  # only on the user's explicit request
    assert kept.read_bytes() == bad
    assert store.read() == {}


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"schema_version": 9, "data": {}}))
    with pytest.raises(StoreSchemaError):
        JsonStore(path, schema_version=1).read()
    assert JsonStore(path, schema_version=1).status().state == "newer_schema"


def test_failed_update_writes_nothing(tmp_path: Path) -> None:
    store = JsonStore(tmp_path / "s.json")
    store.update(lambda d: d.update(a=1))
    before = store.path.read_bytes()

    def boom(data: dict) -> None:
        data["a"] = 2
        raise ValueError("refused")

    with pytest.raises(ValueError):
        store.update(boom)
    assert store.path.read_bytes() == before
    assert store.update(lambda d: dict(d)) == {"a": 1}  # the half-modified copy was not reused


def test_threads_in_one_process_do_not_lose_updates(tmp_path: Path) -> None:
    store = JsonStore(tmp_path / "t.json")

    def work() -> None:
        for _ in range(50):
            store.update(lambda d: d.__setitem__("n", d.get("n", 0) + 1))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.read()["n"] == 200


def test_older_schema_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"schema_version": 1, "data": ["a", "b"]}))
    store = JsonStore(path, schema_version=2, migrate=lambda data, v: {x: True for x in data})
    assert store.read() == {"a": True, "b": True}
    store.update(lambda d: d.update(c=True))
    assert json.loads(path.read_text())["schema_version"] == 2
