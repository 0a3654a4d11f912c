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
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.json")) if p.name != "secret.json"}


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


def _restore_upload(api, raw: bytes):
    return api.call("POST", "/api/backups/restore", data={"archive": (io.BytesIO(raw), "backup.zip")},
                    content_type="multipart/form-data")


def test_backups_are_private_and_never_hold_the_secret_key(api) -> None:
    mms = api.client.application.extensions["mms"]
    info = api.call("POST", "/api/backups").json
    path = mms.backup_path / info["name"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert mms.instance_path.stat().st_mode & 0o777 == 0o700
    assert "secret.json" not in info["files"] and (mms.instance_path / "secret.json").exists()
    key = (mms.instance_path / "secret.json").read_bytes()
    refused = _restore_upload(api, _zip({"settings.json": _doc({}), "secret.json": _doc({"secret_key": "a" * 64})}))
    assert refused.status_code == 400 and "secret.json" in refused.json["error"]["message"]
    assert (mms.instance_path / "secret.json").read_bytes() == key
    page = api.client.get("/configuration").text
    assert "API" in page and ("clés" in page or "keys" in page)


@pytest.mark.parametrize("members", [
    {"settings.json": _doc({"backup_keep": 0})},  # a value the settings model refuses
    {"settings.json": _doc({"media_root": "/data/\u0000x"})},
    {"settings.json": _doc({}), "users.json": _doc({"admin": {"username": "eve", "password_hash": "x:y"}})},
    {"settings.json": _doc({}), "unknown_store.json": _doc({})},  # a store MMS does not know
    {f"settings{i}.json": _doc({}) for i in range(80)},  # too many members
])
def test_restore_validates_every_store_before_replacing_anything(api, members) -> None:
    mms = api.client.application.extensions["mms"]
    api.call("PUT", "/api/settings", json={"values": {"backup_keep": 5}})
    before = _snapshot(mms.instance_path)
    backups_before = sorted(p.name for p in mms.backup_path.iterdir())
    response = _restore_upload(api, _zip(members))
    assert response.status_code == 400 and response.json["error"]["code"] == "backup_refused", response.json
    assert _snapshot(mms.instance_path) == before
    assert sorted(p.name for p in mms.backup_path.iterdir()) == backups_before


def test_restore_limits_are_checked_while_decompressing(api, monkeypatch) -> None:
    from app.utils.stores import backup_manager

    monkeypatch.setattr(backup_manager, "MAX_MEMBER_BYTES", 64 * 1024)
    big = _doc({"padding": "x" * 200_000})  # compresses to a few hundred bytes
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("settings.json", big)
    raw = bytearray(buffer.getvalue())
    # lie about the size in both headers: the check must count what comes out, not trust the header
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(header)
        raw[at + offset:at + offset + 4] = (100).to_bytes(4, "little")
    response = _restore_upload(api, bytes(raw))
    assert response.status_code in (400, 422) and response.is_json
    message = response.json["error"]["message"]  # in French, the default language
    assert "dépasse" in message or "endommagé" in message, message


def test_wrong_crc_is_a_422(api) -> None:
    raw = bytearray(_zip({"settings.json": _doc({"ui_language": "fr"})}))
    at = raw.index(b'"fr"')
    raw[at + 1:at + 3] = b"en"  # stored (not compressed): the bytes change, the CRC does not
    response = _restore_upload(api, bytes(raw))
    assert response.status_code == 422 and response.json["error"]["code"] == "backup_corrupt"


def test_the_safety_backup_always_restores(api) -> None:
    mms = api.client.application.extensions["mms"]
    api.call("PUT", "/api/settings", json={"values": {"backup_keep": 7, "sonarr_url": "http://one:8989"}})
    before = _snapshot(mms.instance_path)
    name = api.call("POST", "/api/backups").json["name"]
    api.call("PUT", "/api/settings", json={"values": {"sonarr_url": "http://two:8989"}})
    safety = api.call("POST", f"/api/backups/{name}/restore").json["safety_backup"]
    assert mms.settings.load().sonarr_url == "http://one:8989"
    back = api.call("POST", f"/api/backups/{safety}/restore")
    assert back.status_code == 200, back.json
    assert mms.settings.load().sonarr_url == "http://two:8989"
    assert _snapshot(mms.instance_path)["settings.json"] != before["settings.json"]
