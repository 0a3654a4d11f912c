"""Backups: byte-identical round trip, refused archives change nothing, retention."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from app.utils.stores.backup_manager import BackupError, BackupManager
from app.utils.stores.json_store import JsonStore


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.json"))}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, raw in members.items():
            archive.writestr(name, raw)
    return buffer.getvalue()


def _doc(data) -> bytes:
    return json.dumps({"schema_version": 1, "data": data}).encode()


def test_round_trip_restores_byte_identical_json(api) -> None:
    mms = api.client.application.extensions["mms"]
    api.call("PUT", "/api/settings", json={"values": {"sonarr_url": "http://nas:8989", "backup_keep": 9}})
    before = _snapshot(mms.instance_path)
    created = api.call("POST", "/api/backups")
    assert created.status_code == 201
    name = created.json["name"]
    assert set(created.json["files"]) == set(before)
    # change everything, then restore
    api.call("PUT", "/api/settings", json={"values": {"sonarr_url": "http://changed:8989", "backup_keep": 2}})
    assert _snapshot(mms.instance_path)["settings.json"] != before["settings.json"]
    restored = api.call("POST", f"/api/backups/{name}/restore")
    assert restored.status_code == 200, restored.json
    assert restored.json["safety_backup"].endswith("-safety.zip")
    after = _snapshot(mms.instance_path)
    assert {k: after[k] for k in before} == before
    assert mms.settings.load().sonarr_url == "http://nas:8989"
    with api.call("GET", f"/api/backups/{name}/download") as download:
        assert download.headers["Content-Disposition"] == f"attachment; filename={name}"
        with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
            assert archive.read("settings.json") == before["settings.json"]


@pytest.mark.parametrize("members", [
    {"../evil.json": _doc({})},
    {"settings.json": _doc({}), "sub/users.json": _doc({})},
    {"settings.json": _doc({}), "/etc/passwd.json": _doc({})},
    {"settings.json": _doc({}), "run.sh": b"#!/bin/sh\nrm -rf /"},
    {"settings.json": b"{not json"},
    {"settings.json": b'{"data": {}}'},
    {"settings.json": json.dumps({"schema_version": 99, "data": {}}).encode()},
])
def test_bad_archive_is_refused_and_nothing_changes(api, members) -> None:
    mms = api.client.application.extensions["mms"]
    api.call("PUT", "/api/settings", json={"values": {"backup_keep": 5}})
    before = _snapshot(mms.instance_path)
    backups_before = sorted(p.name for p in mms.backup_path.iterdir())
    response = api.call("POST", "/api/backups/restore",
                        data={"archive": (io.BytesIO(_zip(members)), "backup.zip")},
                        content_type="multipart/form-data")
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "backup_refused"
    assert _snapshot(mms.instance_path) == before
    assert sorted(p.name for p in mms.backup_path.iterdir()) == backups_before
    assert not (mms.instance_path.parent / "evil.json").exists()


def test_not_a_zip_and_unknown_names(api) -> None:
    response = api.call("POST", "/api/backups/restore", data={"archive": (io.BytesIO(b"hello"), "x.zip")},
                        content_type="multipart/form-data")
    assert response.status_code == 400
    assert api.call("POST", "/api/backups/..%2Fsettings.json/restore").status_code == 404
    assert api.call("DELETE", "/api/backups/mms-backup-20200101-000000-000000.zip").status_code == 404
    assert api.call("POST", "/api/backups/restore").status_code == 400


def test_retention_keeps_the_newest(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    JsonStore(instance / "settings.json").update(lambda d: d.update(a=1))
    manager = BackupManager(instance, tmp_path / "backups")
    names = [manager.create().name for _ in range(5)]
    manager.create(keep=3)
    kept = [b.name for b in manager.list()]
    assert len(kept) == 3 and names[-1] in kept and names[0] not in kept


def test_corrupt_store_is_left_out_of_a_backup(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    JsonStore(instance / "settings.json").update(lambda d: d.update(a=1))
    (instance / "broken.json").write_bytes(b"{oops")
    info = BackupManager(instance, tmp_path / "b").create()
    assert info.files == ("settings.json",)


def test_restore_refuses_member_too_new_for_live_store(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    store = JsonStore(instance / "settings.json", schema_version=1)
    store.update(lambda d: d.update(a=1))
    source = io.BytesIO(_zip({"settings.json": json.dumps({"schema_version": 2, "data": {}}).encode()}))
    with pytest.raises(BackupError):
        BackupManager(instance, tmp_path / "b").restore(source, {"settings.json": store})
    assert store.read() == {"a": 1}
